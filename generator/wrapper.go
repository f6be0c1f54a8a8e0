package generator

import (
	"fmt"
	"go/types"
	"strconv"
	"strings"
)

// wrapperEmitter writes one function's variables, wrapper and helper.
type wrapperEmitter struct {
	*writer
	w  *wrapperPlan
	fn *function
}

// emit writes the declarations of one annotated function, each preceded by
// a blank line.
func (e *wrapperEmitter) emit() {
	w, fn := e.w, e.fn
	type def struct{ name, value string }
	var defs []def
	if w.rateVar != "" {
		args := strconv.Quote(fn.fullName)
		for _, d := range fn.rates {
			args += ", " + e.rateSpec(d)
		}
		defs = append(defs, def{w.rateVar, e.rt("NewRate") + "(" + args + ")"})
	}
	if w.pool != nil && w.pool.dir == fn.conc && fn.conc.get("pool") == nil {
		defs = append(defs, def{w.pool.v, e.rt("NewConcurrency") + "(" + e.concurrencySpec(w.pool.name, fn.conc) + ")"})
	}
	if w.retry != "" {
		defs = append(defs, def{w.retry, e.rt("NewRetry") + "(" + e.retrySpec(fn, fn.retry) + ")"})
	}
	if w.cache != "" {
		defs = append(defs, def{w.cache, e.rt("NewCache") + "[" + w.keyType + ", " + w.valType + "](" + e.cacheSpec(fn, fn.cache) + ")"})
	}
	if !isGeneric(fn.sig) {
		e.blank()
		e.line(0, fmt.Sprintf("// %s must keep the signature this file was generated for.", fn))
		e.line(0, "var _ ", e.methodExprType(), " = ", e.funcRef())
	}
	switch len(defs) {
	case 0:
	case 1:
		e.blank()
		e.line(0, "var ", defs[0].name, " = ", defs[0].value)
	default:
		// gofmt aligns the = of a group's specs.
		width := 0
		for _, d := range defs {
			width = max(width, len(d.name))
		}
		e.blank()
		e.line(0, "var (")
		for _, d := range defs {
			e.line(1, d.name, strings.Repeat(" ", width-len(d.name)), " = ", d.value)
		}
		e.line(0, ")")
	}
	if w.cache != "" {
		e.cacheTypes()
	}

	// The wrapper.
	e.blank()
	e.line(0, "// ", w.name, " calls ", fn.decl.Name.Name, " through its throttle policies:")
	e.line(0, "//")
	for _, d := range fn.dirs {
		e.line(0, "//\t", d.text)
	}
	decl := "func "
	if fn.sig.Recv() != nil {
		decl += "(" + w.recv + " " + e.typ(fn.sig.Recv().Type()) + ") "
	}
	decl += w.name
	if tps := fn.sig.TypeParams(); tps.Len() > 0 {
		decl += "[" + e.typeParams(tps) + "]"
	}
	e.line(0, decl, "(", e.paramDecls(), ")", e.resultTypes(), " {")
	e.wrapperBody()
	e.line(0, "}")

	if w.helper != "" {
		e.blank()
		what := "one attempt of"
		if fn.retry == nil {
			what = "a cache miss of"
		}
		e.line(0, fmt.Sprintf("// %s runs %s %s: its rate, concurrency and timeout policies and the call.", w.helper, what, w.name))
		h := "func " + w.helper
		if fn.sig.RecvTypeParams().Len()+fn.sig.TypeParams().Len() > 0 {
			h += "[" + e.typeParams(fn.sig.RecvTypeParams(), fn.sig.TypeParams()) + "]"
		}
		e.line(0, h, "(", e.helperParams(), ")", e.resultTypes(), " {")
		e.gatesAndCall()
		e.line(0, "}")
	}
}

// methodExprType is the type of F, or of the method expression (*T).M:
// parameters and results unnamed, only types matter.
func (e *wrapperEmitter) methodExprType() string {
	sig := e.fn.sig
	var b strings.Builder
	b.WriteString("func(")
	if r := sig.Recv(); r != nil {
		e.writeType(&b, r.Type())
		if sig.Params().Len() > 0 {
			b.WriteString(", ")
		}
	}
	for i := range sig.Params().Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		t := sig.Params().At(i).Type()
		if sig.Variadic() && i == sig.Params().Len()-1 {
			b.WriteString("...")
			t = t.(*types.Slice).Elem()
		}
		e.writeType(&b, t)
	}
	b.WriteByte(')')
	res := sig.Results()
	if res.Len() > 1 {
		b.WriteString(" (")
	} else if res.Len() == 1 {
		b.WriteByte(' ')
	}
	for i := range res.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		e.writeType(&b, res.At(i).Type())
	}
	if res.Len() > 1 {
		b.WriteByte(')')
	}
	return b.String()
}

// funcRef refers to F as a value: F, T.M or (*T).M.
func (e *wrapperEmitter) funcRef() string {
	fn := e.fn
	if fn.sig.Recv() == nil {
		return fn.decl.Name.Name
	}
	if _, ptr := types.Unalias(fn.sig.Recv().Type()).(*types.Pointer); ptr {
		return "(*" + fn.recvName + ")." + fn.decl.Name.Name
	}
	return fn.recvName + "." + fn.decl.Name.Name
}

// structFields writes the fields (name, type) of a struct type at depth,
// one a line, aligned as gofmt aligns them.
func (e *wrapperEmitter) structFields(depth int, names, typs []string) {
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for i, n := range names {
		e.line(depth, n, strings.Repeat(" ", width-len(n)), " ", typs[i])
	}
}

func (e *wrapperEmitter) cacheTypes() {
	w, fn := e.w, e.fn
	var names, typs []string
	if fn.cacheKey != nil {
		names, typs = append(names, "K"), append(typs, e.typ(types.Default(fn.cacheKey.typ)))
	} else {
		for i, v := range cacheParams(fn) {
			names, typs = append(names, "K"+strconv.Itoa(i)), append(typs, e.typ(v.Type()))
		}
	}
	e.blank()
	e.line(0, fmt.Sprintf("// %s identifies a call of %s for its cache.", w.keyType, fn.decl.Name.Name))
	e.structDecl(w.keyType, names, typs)
	names, typs = nil, nil
	for i := range w.results {
		names, typs = append(names, "R"+strconv.Itoa(i)), append(typs, e.typ(fn.sig.Results().At(i).Type()))
	}
	e.blank()
	e.line(0, fmt.Sprintf("// %s holds the results of a call of %s for its cache.", w.valType, fn.decl.Name.Name))
	e.structDecl(w.valType, names, typs)
}

// structDecl declares a struct type.
func (e *wrapperEmitter) structDecl(name string, names, typs []string) {
	if len(names) == 0 {
		e.line(0, "type ", name, " struct{}")
		return
	}
	e.line(0, "type ", name, " struct {")
	e.structFields(1, names, typs)
	e.line(0, "}")
}

// paramDecls declares the wrapper's parameters, with F's types and names.
func (e *wrapperEmitter) paramDecls() string {
	params := e.fn.sig.Params()
	out := make([]string, params.Len())
	for i := range params.Len() {
		t := params.At(i).Type()
		if e.fn.sig.Variadic() && i == params.Len()-1 {
			out[i] = e.w.params[i] + " ..." + e.typ(t.(*types.Slice).Elem())
		} else {
			out[i] = e.w.params[i] + " " + e.typ(t)
		}
	}
	return strings.Join(out, ", ")
}

// helperParams: ctx (for functions without one), the receiver, then F's
// parameters.
func (e *wrapperEmitter) helperParams() string {
	var out []string
	if e.w.helpCtx {
		out = append(out, e.w.ctx+" "+e.q("context", "Context"))
	}
	if r := e.fn.sig.Recv(); r != nil {
		out = append(out, e.w.recv+" "+e.typ(r.Type()))
	}
	if p := e.paramDecls(); p != "" {
		out = append(out, p)
	}
	return strings.Join(out, ", ")
}

// helperCall calls the helper with the wrapper's variables.
func (e *wrapperEmitter) helperCall() string {
	var args []string
	if e.w.helpCtx {
		args = append(args, e.w.ctx)
	}
	if e.fn.sig.Recv() != nil {
		args = append(args, e.w.recv)
	}
	args = append(args, e.args(false)...)
	h := e.w.helper
	if tps := typeParamNames(e.fn.sig.RecvTypeParams(), e.fn.sig.TypeParams()); tps != "" {
		h += "[" + tps + "]"
	}
	return h + "(" + strings.Join(args, ", ") + ")"
}

// resultTypes are the wrapper's results, with their leading blank: F's,
// plus an error unless F's last result is one. HTTP handlers keep their
// shape (no results).
func (e *wrapperEmitter) resultTypes() string {
	if e.fn.http {
		return ""
	}
	if len(e.w.results) == 0 {
		return " error"
	}
	out := make([]string, 0, len(e.w.results)+1)
	for i := range e.w.results {
		out = append(out, e.typ(e.fn.sig.Results().At(i).Type()))
	}
	return " (" + strings.Join(append(out, "error"), ", ") + ")"
}

// zeros are the zero values of F's results but the error.
func (e *wrapperEmitter) zeros() []string {
	var out []string
	for i := range e.w.results {
		out = append(out, e.zero(e.fn.sig.Results().At(i).Type()))
	}
	return out
}

// args are the arguments of the call of F; withTimeoutCtx replaces a
// leading context by the timeout's.
func (e *wrapperEmitter) args(withTimeoutCtx bool) []string {
	out := append([]string{}, e.w.params...)
	if withTimeoutCtx && e.fn.ctxFirst && e.w.tctx != "" {
		out[0] = e.w.tctx
	}
	if e.fn.sig.Variadic() {
		out[len(out)-1] += "..."
	}
	return out
}

// call calls F.
func (e *wrapperEmitter) call(withTimeoutCtx bool) string {
	fn := e.fn
	var f string
	if fn.sig.Recv() != nil {
		f = e.w.recv + "." + fn.decl.Name.Name
	} else {
		f = fn.decl.Name.Name
		if tps := typeParamNames(fn.sig.TypeParams()); tps != "" {
			f += "[" + tps + "]"
		}
	}
	return f + "(" + strings.Join(e.args(withTimeoutCtx), ", ") + ")"
}

// list joins expressions as an expression list.
func list(xs ...string) string { return strings.Join(xs, ", ") }

// reject ends the wrapper with err, at depth: returned, or written to an
// HTTP client.
func (e *wrapperEmitter) reject(depth int) {
	if e.fn.http {
		e.line(depth, e.rt("WriteRejection"), "(", e.w.params[0], ", ", e.w.err, ")")
		e.line(depth, "return")
		return
	}
	e.line(depth, "return ", list(append(e.zeros(), e.w.err)...))
}

func (e *wrapperEmitter) wrapperBody() {
	w, fn := e.w, e.fn
	switch {
	case fn.http:
		e.line(1, w.ctx, " := ", w.params[1], ".Context()")
	case !fn.ctxFirst:
		e.line(1, w.ctx, " := ", e.q("context", "Background"), "()")
	}
	if w.helper == "" {
		e.gatesAndCall()
		return
	}
	if fn.cache != nil {
		e.cacheLookup()
	}
	results := append(append([]string{}, w.results...), w.err)
	if fn.retry != nil {
		for i, r := range w.results {
			e.line(1, "var ", r, " ", e.typ(fn.sig.Results().At(i).Type()))
		}
		e.line(1, "var ", w.err, " error")
		e.line(1, "var ", w.attempt, " int")
		retryable := w.retry + ".Retryable(" + w.err + ")"
		for _, k := range fn.on {
			c, _ := e.expr(k.expr, k.info)
			retryable += " || " + e.q("errors", "Is") + "(" + w.err + ", " + c + ")"
		}
		if len(fn.on) > 0 {
			retryable = "(" + retryable + ")"
		}
		e.line(1, "for ", w.attempt, " = 1; ; ", w.attempt, "++ {")
		e.line(2, list(results...), " = ", e.helperCall())
		e.line(2, "if ", w.err, " == nil || !", retryable, " || !", w.retry, ".Next(", list(w.ctx, w.attempt, w.err), ") {")
		e.line(3, "break")
		e.line(2, "}")
		e.line(1, "}")
		e.line(1, w.err, " = ", w.retry, ".Done(", w.attempt, ", ", w.err, ")")
	} else {
		e.line(1, list(results...), " := ", e.helperCall())
	}
	if fn.cache != nil {
		vals := make([]string, len(w.results))
		for i, r := range w.results {
			vals[i] = field("R"+strconv.Itoa(i), r)
		}
		e.line(1, w.cache, ".Complete(", list(w.flight, literal(w.valType, vals), w.err), ")")
	}
	e.line(1, "return ", list(results...))
}

// cacheLookup answers from the cache or from the call already computing the
// same key, or makes this call the leader.
func (e *wrapperEmitter) cacheLookup() {
	w, fn := e.w, e.fn
	var key []string
	if k := fn.cacheKey; k != nil {
		c, _ := e.expr(k.expr, k.info)
		key = append(key, field("K", c))
	} else {
		for i, v := range cacheParams(fn) {
			name := w.recv
			if v != fn.sig.Recv() {
				name = e.paramName(v)
			}
			key = append(key, field("K"+strconv.Itoa(i), name))
		}
	}
	fromV := func(last string) string {
		out := make([]string, len(w.results), len(w.results)+1)
		for i := range w.results {
			out[i] = w.val + ".R" + strconv.Itoa(i)
		}
		return list(append(out, last)...)
	}
	e.line(1, list(w.val, w.hit, w.flight), " := ", w.cache, ".Lookup(", w.ctx, ", ", literal(w.keyType, key), ")")
	e.line(1, "if ", w.hit, " {")
	e.line(2, "return ", fromV("nil"))
	e.line(1, "}")
	e.line(1, "if !", w.flight, ".Leader() {")
	e.line(2, w.val, ", ", w.err, " := ", w.flight, ".Wait(", w.ctx, ")")
	e.line(2, "return ", fromV(w.err))
	e.line(1, "}")
	e.line(1, "defer ", w.cache, ".Abandon(", w.flight, ")")
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
// call of F, ending with a return, as the body of a function.
func (e *wrapperEmitter) gatesAndCall() {
	w, fn := e.w, e.fn
	errDeclared := false
	if w.rateVar != "" {
		var call string
		if len(fn.rates) == 1 {
			call = w.rateVar + ".Allow(" + w.ctx + ", " + e.keyCode(fn.rateKeys[0]) + ")"
		} else {
			keys := []string{w.ctx}
			for _, k := range fn.rateKeys {
				keys = append(keys, e.keyCode(k))
			}
			call = w.rateVar + ".AllowKeys(" + list(keys...) + ")"
		}
		e.line(1, "if ", w.err, " := ", call, "; ", w.err, " != nil {")
		e.reject(2)
		e.line(1, "}")
	}
	if w.pool != nil {
		var acquire string
		if fn.priority != nil {
			acquire = w.pool.v + ".AcquirePriority(" + list(w.ctx, e.keyCode(fn.consumer), e.priorityCode(fn.priority)) + ")"
		} else {
			acquire = w.pool.v + ".Acquire(" + list(w.ctx, e.keyCode(fn.consumer)) + ")"
		}
		e.line(1, w.slot, ", ", w.err, " := ", acquire)
		e.line(1, "if ", w.err, " != nil {")
		e.reject(2)
		e.line(1, "}")
		e.line(1, "defer ", w.slot, ".Release()")
		errDeclared = true
	}
	if fn.http {
		e.line(1, e.call(false))
		return
	}
	results := w.results
	assign := func(call string) {
		lhs := append([]string{}, results...)
		if fn.errLast {
			lhs = append(lhs, w.err)
		}
		switch {
		case len(lhs) == 0:
			e.line(1, call)
		case len(results) == 0 && errDeclared:
			e.line(1, list(lhs...), " = ", call)
		default:
			e.line(1, list(lhs...), " := ", call)
		}
	}
	errOrNil := "nil"
	if fn.errLast {
		errOrNil = w.err
	}
	switch {
	case fn.timeout != nil && fn.ctxFirst:
		e.line(1, w.tctx, " := ", e.rt("WithTimeout"), "(", w.ctx, ", ", e.duration(fn.timeout.get("duration").d, false), ")")
		e.line(1, "defer ", w.tctx, ".Cancel()")
		assign(e.call(true))
		e.line(1, "return ", list(append(append([]string{}, results...), e.rt("TimeoutError")+"("+w.tctx+", "+errOrNil+")")...))
	case fn.timeout != nil:
		var names, typs, lhs, out []string
		for i := range w.results {
			name := "R" + strconv.Itoa(i)
			names, typs = append(names, name), append(typs, e.typ(fn.sig.Results().At(i).Type()))
			lhs = append(lhs, w.res+"."+name)
		}
		if fn.errLast {
			names, typs = append(names, "Err"), append(typs, "error")
			lhs = append(lhs, w.res+".Err")
			out = append(out, lhs...)
		} else {
			out = append(append(out, lhs...), "nil")
		}
		op, res := ":=", w.res
		switch {
		case len(names) == 0:
			res = "_"
			if errDeclared {
				op = "="
			}
		case errDeclared:
			e.line(1, "var ", w.res, " struct {")
			e.structFields(2, names, typs)
			e.line(1, "}")
			op = "="
		}
		head := list(res, w.err) + " " + op + " " + e.rt("RunTimeout") + "(" + list(w.ctx, e.duration(fn.timeout.get("duration").d, false)) + ", func() (" + w.res + " struct"
		if len(names) == 0 {
			e.line(1, head, "{}) {")
		} else {
			e.line(1, head, " {")
			e.structFields(2, names, typs)
			e.line(1, "}) {")
		}
		if len(lhs) > 0 {
			e.line(2, list(lhs...), " = ", e.call(false))
		} else {
			e.line(2, e.call(false))
		}
		e.line(2, "return")
		e.line(1, "})")
		e.line(1, "if ", w.err, " != nil {")
		e.line(2, "return ", list(append(e.zeros(), w.err)...))
		e.line(1, "}")
		e.line(1, "return ", list(out...))
	case fn.errLast:
		e.line(1, "return ", e.call(false))
	case len(results) == 1:
		e.line(1, "return ", e.call(false), ", nil")
	default:
		assign(e.call(false))
		e.line(1, "return ", list(append(append([]string{}, results...), "nil")...))
	}
}

// keyCode converts a checked key or consumer expression to a string; nil
// is the empty key.
func (e *wrapperEmitter) keyCode(k *keyExpr) string {
	if k == nil {
		return `""`
	}
	c, _ := e.expr(k.expr, k.info)
	t := types.Default(k.typ)
	switch k.conv {
	case convString:
		return "string(" + c + ")"
	case convInt:
		if !types.Identical(t, types.Typ[types.Int64]) {
			c = "int64(" + c + ")"
		}
		return e.q("strconv", "FormatInt") + "(" + c + ", 10)"
	case convUint:
		if !types.Identical(t, types.Typ[types.Uint64]) {
			c = "uint64(" + c + ")"
		}
		return e.q("strconv", "FormatUint") + "(" + c + ", 10)"
	case convStringer:
		if !isPrimary(k.expr) {
			c = "(" + c + ")"
		}
		return c + ".String()"
	}
	return c
}

func (e *wrapperEmitter) priorityCode(k *keyExpr) string {
	c, _ := e.expr(k.expr, k.info)
	if k.conv == convParsePriority {
		if !types.Identical(types.Default(k.typ), types.Typ[types.String]) {
			c = "string(" + c + ")"
		}
		return e.rt("ParsePriority") + "(" + c + ")"
	}
	return c
}
