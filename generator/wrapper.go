package generator

import (
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"
)

// wrapperEmitter writes one function's variables, wrapper and helper.
type wrapperEmitter struct {
	fp *filePlan
	w  *wrapperPlan
	fn *function
	r  *renderer // with the wrapper's names (w.names)
}

func (e *wrapperEmitter) typ(t types.Type) jen.Code { return e.r.typ(t) }

// emit writes, in order: the start-up guards of F's constants, the check
// that F keeps its signature, F's limiter variables, its cache's key and
// value types, the wrapper, and its helper.
func (e *wrapperEmitter) emit(f *jen.File) {
	e.constantGuards(f)
	f.Line()
	if !isGeneric(e.fn.sig) {
		f.Commentf("%s must keep the signature this file was generated for.", e.fn)
		f.Var().Id("_").Add(e.typ(methodExprType(e.fn.sig))).Op("=").Add(e.funcRef())
		f.Line()
	}
	switch defs := e.limiterVars(); len(defs) {
	case 0:
	case 1:
		f.Var().Add(defs[0])
	default:
		f.Var().Defs(defs...)
	}
	if e.w.cache != "" {
		e.cacheTypes(f)
	}
	e.wrapperDecl(f)
	if e.w.helper != "" {
		e.helperDecl(f)
	}
}

// limiterVars defines F's limiters, created once at package
// initialisation: its rate limits, its own concurrency limiter (a pool=
// one is the file's), its retry policy and its cache.
func (e *wrapperEmitter) limiterVars() []jen.Code {
	w, fn := e.w, e.fn
	var defs []jen.Code
	if w.rateVar != "" {
		args := []jen.Code{jen.Lit(fn.fullName)}
		for _, d := range fn.rates {
			args = append(args, rateSpec(e.r, d))
		}
		defs = append(defs, jen.Id(w.rateVar).Op("=").Add(rt("NewRate")).Call(args...))
	}
	if w.pool != nil && w.pool.dir == fn.conc && fn.conc.get("pool") == nil {
		defs = append(defs, jen.Id(w.pool.v).Op("=").Add(rt("NewConcurrency")).Call(concurrencySpec(e.r, w.pool.name, fn.conc)))
	}
	if w.retry != "" {
		defs = append(defs, jen.Id(w.retry).Op("=").Add(rt("NewRetry")).Call(retrySpec(e.r, fn, fn.retry)))
	}
	if w.cache != "" {
		k, v := jen.Id(w.keyType), jen.Id(w.valType)
		if isGeneric(fn.sig) {
			// A variable cannot be generic: one cache holds every
			// instantiation, keyed by its own key type (see cacheLookup).
			k, v = jen.Any(), jen.Any()
		}
		defs = append(defs, jen.Id(w.cache).Op("=").Add(rt("NewCache")).Types(k, v).Call(cacheSpec(e.r, fn, fn.cache)))
	}
	return defs
}

// wrapperDecl writes the wrapper, with a doc comment listing F's
// directives.
func (e *wrapperEmitter) wrapperDecl(f *jen.File) {
	w, fn := e.w, e.fn
	f.Line()
	f.Comment(w.name + " calls " + fn.decl.Name.Name + " through its throttle policies:")
	f.Comment("")
	for _, d := range fn.dirs {
		f.Comment("\t" + d.text)
	}
	decl := jen.Func()
	if fn.sig.Recv() != nil {
		decl.Params(jen.Id(w.recv).Add(e.typ(fn.sig.Recv().Type())))
	}
	decl.Id(w.name)
	if tps := fn.sig.TypeParams(); tps.Len() > 0 {
		decl.Types(e.r.typeParams(tps)...)
	}
	decl.Params(e.paramDecls()...).Params(e.resultTypes()...).BlockFunc(e.wrapperBody)
	f.Add(decl)
}

// helperDecl writes the function a retry runs per attempt, or a cache per
// miss: the gates and the call.
func (e *wrapperEmitter) helperDecl(f *jen.File) {
	w := e.w
	f.Line()
	what := "one attempt of"
	if e.fn.retry == nil {
		what = "a cache miss of"
	}
	f.Commentf("%s runs %s %s: its rate, concurrency and timeout policies and the call.", w.helper, what, w.name)
	h := jen.Func().Id(w.helper)
	if tps := e.allTypeParams(); len(tps) > 0 {
		h.Types(tps...)
	}
	h.Params(e.helperParams()...).Params(e.resultTypes()...).BlockFunc(e.gatesAndCall)
	f.Add(h)
}

// methodExprType is the type of F, or of the method expression (*T).M.
// Parameters and results are unnamed: only types matter.
func methodExprType(sig *types.Signature) *types.Signature {
	var params []*types.Var
	if sig.Recv() != nil {
		params = append(params, types.NewParam(0, nil, "", sig.Recv().Type()))
	}
	for i := range sig.Params().Len() {
		params = append(params, types.NewParam(0, nil, "", sig.Params().At(i).Type()))
	}
	var results []*types.Var
	for i := range sig.Results().Len() {
		results = append(results, types.NewParam(0, nil, "", sig.Results().At(i).Type()))
	}
	return types.NewSignatureType(nil, nil, nil, types.NewTuple(params...), types.NewTuple(results...), sig.Variadic())
}

// funcRef refers to F as a value: F, T.M or (*T).M.
func (e *wrapperEmitter) funcRef() jen.Code {
	fn := e.fn
	if fn.sig.Recv() == nil {
		return jen.Id(fn.decl.Name.Name)
	}
	if _, ptr := types.Unalias(fn.sig.Recv().Type()).(*types.Pointer); ptr {
		return jen.Parens(jen.Op("*").Id(fn.recvName)).Dot(fn.decl.Name.Name)
	}
	return jen.Id(fn.recvName).Dot(fn.decl.Name.Name)
}

func (e *wrapperEmitter) cacheTypes(f *jen.File) {
	w, fn := e.w, e.fn
	var keyFields []jen.Code
	if fn.cacheKey != nil {
		keyFields = append(keyFields, jen.Id("K").Add(e.typ(types.Default(fn.cacheKey.typ))))
	} else {
		for i, v := range cacheParams(fn) {
			keyFields = append(keyFields, jen.Id("K"+strconv.Itoa(i)).Add(e.typ(v.Type())))
		}
	}
	tps := e.allTypeParams()
	f.Line()
	f.Commentf("%s identifies a call of %s for its cache.", w.keyType, fn.decl.Name.Name)
	f.Type().Id(w.keyType).Types(tps...).Struct(keyFields...)
	var valFields []jen.Code
	for i := range w.results {
		valFields = append(valFields, jen.Id("R"+strconv.Itoa(i)).Add(e.typ(fn.sig.Results().At(i).Type())))
	}
	f.Line()
	f.Commentf("%s holds the results of a call of %s for its cache.", w.valType, fn.decl.Name.Name)
	f.Type().Id(w.valType).Types(tps...).Struct(valFields...)
}

// allTypeParams declares the type parameters of the receiver and of F, with
// their constraints: those of the helper and of the cache's key and value
// structs.
func (e *wrapperEmitter) allTypeParams() []jen.Code {
	sig := e.fn.sig
	return append(e.r.typeParams(sig.RecvTypeParams()), e.r.typeParams(sig.TypeParams())...)
}

// instance names the key or value struct type, instantiated with the
// wrapper's type parameters when F is generic: key[K, V].
func (e *wrapperEmitter) instance(name string) *jen.Statement {
	sig := e.fn.sig
	args := append(e.r.typeArgs(sig.RecvTypeParams()), e.r.typeArgs(sig.TypeParams())...)
	if len(args) == 0 {
		return jen.Id(name)
	}
	return jen.Id(name).Types(args...)
}

// paramDecls declares the wrapper's parameters, with F's types and names.
func (e *wrapperEmitter) paramDecls() []jen.Code {
	params := e.fn.sig.Params()
	out := make([]jen.Code, params.Len())
	for i := range params.Len() {
		t := params.At(i).Type()
		if e.fn.sig.Variadic() && i == params.Len()-1 {
			out[i] = jen.Id(e.w.params[i]).Op("...").Add(e.typ(t.(*types.Slice).Elem()))
		} else {
			out[i] = jen.Id(e.w.params[i]).Add(e.typ(t))
		}
	}
	return out
}

// helperParams: ctx (for functions without one), the receiver, then F's
// parameters.
func (e *wrapperEmitter) helperParams() []jen.Code {
	var out []jen.Code
	if e.w.helpCtx {
		out = append(out, jen.Id(e.w.ctx).Qual("context", "Context"))
	}
	if r := e.fn.sig.Recv(); r != nil {
		out = append(out, jen.Id(e.w.recv).Add(e.typ(r.Type())))
	}
	return append(out, e.paramDecls()...)
}

// helperCall calls the helper with the wrapper's variables.
func (e *wrapperEmitter) helperCall() jen.Code {
	var args []jen.Code
	if e.w.helpCtx {
		args = append(args, jen.Id(e.w.ctx))
	}
	if e.fn.sig.Recv() != nil {
		args = append(args, jen.Id(e.w.recv))
	}
	args = append(args, e.args(false)...)
	h := jen.Id(e.w.helper)
	if tps := e.r.typeArgs(e.fn.sig.RecvTypeParams()); len(tps) > 0 || e.fn.sig.TypeParams().Len() > 0 {
		h = h.Types(append(tps, e.r.typeArgs(e.fn.sig.TypeParams())...)...)
	}
	return h.Call(args...)
}

// resultTypes are the wrapper's results: F's, plus an error unless F's last
// result is one. HTTP handlers keep their shape (no results).
func (e *wrapperEmitter) resultTypes() []jen.Code {
	if e.fn.http {
		return nil
	}
	var out []jen.Code
	for i := range e.w.results {
		out = append(out, e.typ(e.fn.sig.Results().At(i).Type()))
	}
	return append(out, jen.Error())
}

// zeros are the zero values of F's results but the error.
func (e *wrapperEmitter) zeros() []jen.Code {
	var out []jen.Code
	for i := range e.w.results {
		out = append(out, e.r.zero(e.fn.sig.Results().At(i).Type()))
	}
	return out
}

func ids(names []string) []jen.Code {
	out := make([]jen.Code, len(names))
	for i, n := range names {
		out[i] = jen.Id(n)
	}
	return out
}

// args are the arguments of the call of F; withTimeoutCtx replaces a
// leading context by the timeout's.
func (e *wrapperEmitter) args(withTimeoutCtx bool) []jen.Code {
	out := ids(e.w.params)
	if withTimeoutCtx && e.fn.ctxFirst && e.w.tctx != "" {
		out[0] = jen.Id(e.w.tctx)
	}
	if e.fn.sig.Variadic() {
		out[len(out)-1] = jen.Add(out[len(out)-1]).Op("...")
	}
	return out
}

// call calls F.
func (e *wrapperEmitter) call(withTimeoutCtx bool) *jen.Statement {
	fn := e.fn
	var f *jen.Statement
	if fn.sig.Recv() != nil {
		f = jen.Id(e.w.recv).Dot(fn.decl.Name.Name)
	} else {
		f = jen.Id(fn.decl.Name.Name)
		if tps := fn.sig.TypeParams(); tps.Len() > 0 {
			f = f.Types(e.r.typeArgs(tps)...)
		}
	}
	return f.Call(e.args(withTimeoutCtx)...)
}

// reject ends the wrapper with err: returned, or written to an HTTP client.
func (e *wrapperEmitter) reject(g *jen.Group) {
	if e.fn.http {
		g.Add(rt("WriteRejection")).Call(jen.Id(e.w.params[0]), jen.Id(e.w.err))
		g.Return()
		return
	}
	g.Return(append(e.zeros(), jen.Id(e.w.err))...)
}

func (e *wrapperEmitter) wrapperBody(g *jen.Group) {
	w, fn := e.w, e.fn
	switch {
	case fn.http:
		g.Id(w.ctx).Op(":=").Id(w.params[1]).Dot("Context").Call()
	case !fn.ctxFirst:
		g.Id(w.ctx).Op(":=").Qual("context", "Background").Call()
	}
	if w.helper == "" {
		e.gatesAndCall(g)
		return
	}
	if fn.cache != nil {
		e.cacheLookup(g)
	}
	results := ids(w.results)
	if fn.retry != nil {
		for i, r := range w.results {
			g.Var().Id(r).Add(e.typ(fn.sig.Results().At(i).Type()))
		}
		g.Var().Id(w.err).Error()
		g.Var().Id(w.attempt).Int()
		retryable := jen.Id(w.retry).Dot("Retryable").Call(jen.Id(w.err))
		for _, k := range fn.on {
			c, _ := e.r.expr(k.expr, k.info)
			retryable = retryable.Op("||").Qual("errors", "Is").Call(jen.Id(w.err), c)
		}
		if len(fn.on) > 0 {
			retryable = jen.Parens(retryable)
		}
		g.For(jen.Id(w.attempt).Op("=").Lit(1), jen.Empty(), jen.Id(w.attempt).Op("++")).Block(
			jen.List(append(results, jen.Id(w.err))...).Op("=").Add(e.helperCall()),
			jen.If(jen.Id(w.err).Op("==").Nil().Op("||").Op("!").Add(retryable).Op("||").
				Op("!").Id(w.retry).Dot("Next").Call(jen.Id(w.ctx), jen.Id(w.attempt), jen.Id(w.err))).Block(jen.Break()),
		)
		g.Id(w.err).Op("=").Id(w.retry).Dot("Done").Call(jen.Id(w.attempt), jen.Id(w.err))
	} else {
		g.List(append(results, jen.Id(w.err))...).Op(":=").Add(e.helperCall())
	}
	if fn.cache != nil {
		vals := make([]jen.Code, len(w.results))
		for i, r := range w.results {
			vals[i] = field("R"+strconv.Itoa(i), jen.Id(r))
		}
		g.Id(w.cache).Dot("Complete").Call(jen.Id(w.flight), e.instance(w.valType).Values(vals...), jen.Id(w.err))
	}
	g.Return(append(results, jen.Id(w.err))...)
}

// cacheLookup answers from the cache or from the call already computing the
// same key, or makes this call the leader.
func (e *wrapperEmitter) cacheLookup(g *jen.Group) {
	w, fn := e.w, e.fn
	var key []jen.Code
	if k := fn.cacheKey; k != nil {
		c, _ := e.r.expr(k.expr, k.info)
		key = append(key, field("K", c))
	} else {
		for i, v := range cacheParams(fn) {
			name := w.recv
			if v != fn.sig.Recv() {
				name = e.paramName(v)
			}
			key = append(key, field("K"+strconv.Itoa(i), jen.Id(name)))
		}
	}
	fromV := func(v func() *jen.Statement) []jen.Code {
		out := make([]jen.Code, len(w.results))
		for i := range w.results {
			out[i] = v().Dot("R" + strconv.Itoa(i))
		}
		return out
	}
	id := func(name string) func() *jen.Statement {
		return func() *jen.Statement { return jen.Id(name) }
	}
	g.List(jen.Id(w.val), jen.Id(w.hit), jen.Id(w.flight)).Op(":=").Id(w.cache).Dot("Lookup").Call(jen.Id(w.ctx), e.instance(w.keyType).Values(key...))
	if !isGeneric(fn.sig) {
		g.If(jen.Id(w.hit)).Block(jen.Return(append(fromV(id(w.val)), jen.Nil())...))
		g.If(jen.Op("!").Id(w.flight).Dot("Leader").Call()).Block(
			jen.List(jen.Id(w.val), jen.Id(w.err)).Op(":=").Id(w.flight).Dot("Wait").Call(jen.Id(w.ctx)),
			jen.Return(append(fromV(id(w.val)), jen.Id(w.err))...),
		)
	} else {
		// The cache is Cache[any, any]: each instantiation's key has its
		// own dynamic type, so instantiations never share entries, and a
		// stored value is always this instantiation's value struct. A
		// waiter's value is nil when the leader failed.
		g.If(jen.Id(w.hit)).Block(jen.Return(append(fromV(func() *jen.Statement { return jen.Id(w.val).Assert(e.instance(w.valType)) }), jen.Nil())...))
		g.If(jen.Op("!").Id(w.flight).Dot("Leader").Call()).Block(
			jen.List(jen.Id(w.val), jen.Id(w.err)).Op(":=").Id(w.flight).Dot("Wait").Call(jen.Id(w.ctx)),
			jen.List(jen.Id(w.typed), jen.Id("_")).Op(":=").Id(w.val).Assert(e.instance(w.valType)),
			jen.Return(append(fromV(id(w.typed)), jen.Id(w.err))...),
		)
	}
	g.Defer().Id(w.cache).Dot("Abandon").Call(jen.Id(w.flight))
}

// paramName is the wrapper's name of parameter v.
func (e *wrapperEmitter) paramName(v *types.Var) string {
	params := e.fn.sig.Params()
	for i := range params.Len() {
		if params.At(i) == v {
			return e.w.params[i]
		}
	}
	return v.Name()
}

// gatesAndCall writes the rate and concurrency checks, the timeout and the
// call of F, ending with a return.
func (e *wrapperEmitter) gatesAndCall(g *jen.Group) {
	e.rateGate(g)
	errDeclared := e.concurrencyGate(g)
	switch fn := e.fn; {
	case fn.http:
		g.Add(e.call(false))
	case fn.timeout != nil && fn.ctxFirst:
		e.callWithDeadline(g, errDeclared)
	case fn.timeout != nil:
		e.callOnTimeoutGoroutine(g, errDeclared)
	default:
		e.callAndReturn(g, errDeclared)
	}
}

// rateGate asks the function's rate limits, returning the rejection.
func (e *wrapperEmitter) rateGate(g *jen.Group) {
	w, fn := e.w, e.fn
	if w.rateVar == "" {
		return
	}
	var call jen.Code
	switch {
	case fn.rateCalls():
		args := []jen.Code{jen.Id(w.ctx)}
		for i, d := range fn.rates {
			args = append(args, e.callCode(d, fn.rateKeys[i]))
		}
		method := "AllowCalls"
		if len(fn.rates) == 1 {
			method = "AllowCall"
		}
		call = jen.Id(w.rateVar).Dot(method).Call(args...)
	case len(fn.rates) == 1:
		call = jen.Id(w.rateVar).Dot("Allow").Call(jen.Id(w.ctx), e.keyCode(fn.rateKeys[0]))
	default:
		keys := []jen.Code{jen.Id(w.ctx)}
		for _, k := range fn.rateKeys {
			keys = append(keys, e.keyCode(k))
		}
		call = jen.Id(w.rateVar).Dot("AllowKeys").Call(keys...)
	}
	g.If(jen.Id(w.err).Op(":=").Add(call), jen.Id(w.err).Op("!=").Nil()).BlockFunc(e.reject)
}

// rateCalls reports whether fn's rate gate passes a runtime.Call per
// directive (AllowCall, AllowCalls): when a directive has cost= or a
// per-call value. Otherwise keys are enough (Allow, AllowKeys).
func (fn *function) rateCalls() bool {
	for _, d := range fn.rates {
		if d.get("cost") != nil {
			return true
		}
		for _, v := range perCallFields {
			if a := d.get(v.arg); a != nil && a.perCall != nil {
				return true
			}
		}
	}
	return false
}

// callCode writes one rate directive's runtime.Call: its key (k, nil when
// unkeyed), its cost (1 without cost=) and its per-call values, each
// converted to int64. The expressions are the directive's own, evaluated
// where the call is made.
func (e *wrapperEmitter) callCode(d *directive, k *keyExpr) jen.Code {
	var fields []jen.Code
	if k != nil {
		fields = append(fields, field("Key", e.keyCode(k)))
	}
	cost := jen.Code(jen.Lit(1))
	if a := d.get("cost"); a != nil {
		cost = e.int64Code(a)
	}
	fields = append(fields, field("Cost", cost))
	for _, v := range perCallFields {
		if a := d.get(v.arg); a != nil && a.perCall != nil {
			fields = append(fields, field(v.field, e.int64Code(a)))
		}
	}
	return rt("Call").Values(fields...)
}

// int64Code writes an integer argument as an int64: a per-call expression
// converted unless it is one already, a constant by name, or a literal.
func (e *wrapperEmitter) int64Code(a *arg) jen.Code {
	k := a.perCall
	if k == nil {
		return intCode(e.r, a, types.Int64)
	}
	c, _ := e.r.expr(k.expr, k.info)
	if types.Identical(k.typ, types.Typ[types.Int64]) {
		return c
	}
	return jen.Int64().Call(c)
}

// concurrencyGate takes a slot of the function's pool, returning the
// rejection, and releases it when the wrapper returns. It reports whether
// it declared the err variable.
func (e *wrapperEmitter) concurrencyGate(g *jen.Group) (errDeclared bool) {
	w, fn := e.w, e.fn
	if w.pool == nil {
		return false
	}
	var acquire *jen.Statement
	if fn.priority != nil {
		acquire = jen.Id(w.pool.v).Dot("AcquirePriority").Call(jen.Id(w.ctx), e.keyCode(fn.consumer), e.priorityCode(fn.priority))
	} else {
		acquire = jen.Id(w.pool.v).Dot("Acquire").Call(jen.Id(w.ctx), e.keyCode(fn.consumer))
	}
	g.List(jen.Id(w.slot), jen.Id(w.err)).Op(":=").Add(acquire)
	g.If(jen.Id(w.err).Op("!=").Nil()).BlockFunc(e.reject)
	g.Defer().Id(w.slot).Dot("Release").Call()
	return true
}

// assignCall calls F, assigning its results (and its error, if it returns
// one) to the wrapper's locals; := unless every name is declared already.
func (e *wrapperEmitter) assignCall(g *jen.Group, call jen.Code, errDeclared bool) {
	results := ids(e.w.results)
	lhs := append([]jen.Code{}, results...)
	if e.fn.errLast {
		lhs = append(lhs, jen.Id(e.w.err))
	}
	switch {
	case len(lhs) == 0:
		g.Add(call)
	case len(results) == 0 && errDeclared:
		g.List(lhs...).Op("=").Add(call)
	default:
		g.List(lhs...).Op(":=").Add(call)
	}
}

// fErr is F's error as the wrapper holds it after assignCall: err, or nil
// when F returns none.
func (e *wrapperEmitter) fErr() jen.Code {
	if e.fn.errLast {
		return jen.Id(e.w.err)
	}
	return jen.Nil()
}

// callWithDeadline calls F (which takes a context) with a context bounded
// by the timeout, and returns runtime.TimeoutError's verdict.
func (e *wrapperEmitter) callWithDeadline(g *jen.Group, errDeclared bool) {
	w, fn := e.w, e.fn
	g.Id(w.tctx).Op(":=").Add(rt("WithTimeout")).Call(jen.Id(w.ctx), durCode(e.r, fn.timeout.get("duration")))
	g.Defer().Id(w.tctx).Dot("Cancel").Call()
	e.assignCall(g, e.call(true), errDeclared)
	g.Return(append(ids(w.results), rt("TimeoutError").Call(jen.Id(w.tctx), e.fErr()))...)
}

// callOnTimeoutGoroutine runs F (which takes no context) through
// runtime.RunTimeout, its results gathered in one struct.
func (e *wrapperEmitter) callOnTimeoutGoroutine(g *jen.Group, errDeclared bool) {
	w, fn := e.w, e.fn
	var fields, lhs, out []jen.Code
	for i := range w.results {
		name := "R" + strconv.Itoa(i)
		fields = append(fields, jen.Id(name).Add(e.typ(fn.sig.Results().At(i).Type())))
		lhs = append(lhs, jen.Id(w.res).Dot(name))
		out = append(out, jen.Id(w.res).Dot(name))
	}
	if fn.errLast {
		fields = append(fields, jen.Id("Err").Error())
		lhs = append(lhs, jen.Id(w.res).Dot("Err"))
		out = append(out, jen.Id(w.res).Dot("Err"))
	} else {
		out = append(out, jen.Nil())
	}
	var inner []jen.Code
	if len(lhs) > 0 {
		inner = append(inner, jen.List(lhs...).Op("=").Add(e.call(false)))
	} else {
		inner = append(inner, e.call(false))
	}
	inner = append(inner, jen.Return())
	op, res := ":=", jen.Id(w.res)
	switch {
	case len(fields) == 0:
		res = jen.Id("_")
		if errDeclared {
			op = "="
		}
	case errDeclared:
		g.Var().Id(w.res).Struct(fields...)
		op = "="
	}
	fnLit := jen.Func().Params().Params(jen.Id(w.res).Struct(fields...)).Block(inner...)
	g.List(res, jen.Id(w.err)).Op(op).Add(rt("RunTimeout")).Call(jen.Id(w.ctx), durCode(e.r, fn.timeout.get("duration")), fnLit)
	g.If(jen.Id(w.err).Op("!=").Nil()).Block(jen.Return(append(e.zeros(), jen.Id(w.err))...))
	g.Return(out...)
}

// callAndReturn calls F and returns its results, with a nil error added
// when F returns none.
func (e *wrapperEmitter) callAndReturn(g *jen.Group, errDeclared bool) {
	switch results := ids(e.w.results); {
	case e.fn.errLast:
		g.Return(e.call(false))
	case len(results) == 1:
		g.Return(e.call(false), jen.Nil())
	default:
		e.assignCall(g, e.call(false), errDeclared)
		g.Return(append(results, jen.Nil())...)
	}
}

// keyCode converts a checked key or consumer expression to a string; nil
// is the empty key.
func (e *wrapperEmitter) keyCode(k *keyExpr) jen.Code {
	if k == nil {
		return jen.Lit("")
	}
	c, _ := e.r.expr(k.expr, k.info)
	t := types.Default(k.typ)
	switch k.conv {
	case convString:
		return jen.String().Call(c)
	case convInt:
		if !types.Identical(t, types.Typ[types.Int64]) {
			c = jen.Int64().Call(c)
		}
		return jen.Qual("strconv", "FormatInt").Call(c, jen.Lit(10))
	case convUint:
		if !types.Identical(t, types.Typ[types.Uint64]) {
			c = jen.Uint64().Call(c)
		}
		return jen.Qual("strconv", "FormatUint").Call(c, jen.Lit(10))
	case convStringer:
		return jen.Add(primary(k, c)).Dot("String").Call()
	}
	return c
}

// primary parenthesises an expression that is not a primary expression.
func primary(k *keyExpr, c jen.Code) jen.Code {
	if isPrimary(k.expr) {
		return c
	}
	return jen.Parens(c)
}

func (e *wrapperEmitter) priorityCode(k *keyExpr) jen.Code {
	c, _ := e.r.expr(k.expr, k.info)
	if k.conv == convParsePriority {
		if !types.Identical(types.Default(k.typ), types.Typ[types.String]) {
			c = jen.String().Call(c)
		}
		return rt("ParsePriority").Call(c)
	}
	return c
}
