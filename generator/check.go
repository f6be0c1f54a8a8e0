package generator

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/printer"
	"go/token"
	"go/types"
	"math/bits"
	"strings"
	"time"
)

// runtimePath is the import path of the package generated code calls.
const runtimePath = "github.com/throttlegen/throttlegen/runtime"

// conv is how a checked expression becomes what the runtime takes.
type conv uint8

const (
	convAsIs          conv = iota // a string used as is, or a value (cache keys, priorities, errors)
	convString                    // string(x): named string types and []byte
	convInt                       // strconv.FormatInt(int64(x), 10)
	convUint                      // strconv.FormatUint(uint64(x), 10)
	convStringer                  // x.String()
	convParsePriority             // throttle.ParsePriority(x)
)

// keyExpr is a type-checked expression of a directive.
type keyExpr struct {
	arg  *arg
	expr ast.Expr
	info *types.Info
	typ  types.Type
	val  constant.Value // a constant's value; nil for a per-call expression
	conv conv
}

// check type-checks fn: its signature and shape, the combination of its
// directives, and every expression they hold. Each step below is one of
// those; a function whose signature cannot be used stops after the first.
func check(fn *function, fset *token.FileSet, cfg *Config) ErrorList {
	errs := resolveSignature(fn, fset)
	if len(errs) > 0 {
		return errs
	}
	classifyShape(fn)
	errs = append(errs, checkWrapperNameFree(fn, fset, cfg)...)
	errs = append(errs, sortDirectives(fn)...)
	if cerrs := checkConstants(fn, fset); len(cerrs) > 0 {
		return append(errs, cerrs...) // the values below depend on them
	}
	errs = append(errs, checkRateDirectives(fn)...)
	errs = append(errs, checkCombinations(fn)...)
	errs = append(errs, checkRateKeys(fn, fset)...)
	errs = append(errs, checkConcurrencyExprs(fn, fset)...)
	errs = append(errs, checkRetryOn(fn, fset)...)
	errs = append(errs, checkCacheKey(fn, fset)...)
	errs = append(errs, checkSharedCache(fn)...)
	errs = append(errs, checkConsumerQuota(fn)...)
	return errs
}

// resolveSignature finds fn's type-checked object and signature and names
// it (fullName, recvName); it fails when fn cannot be called or its
// signature does not type-check.
func resolveSignature(fn *function, fset *token.FileSet) ErrorList {
	var errs ErrorList
	p := fn.pkg
	obj, _ := p.TypesInfo.Defs[fn.decl.Name].(*types.Func)
	if obj == nil {
		errs.add(fn.pos, "cannot throttle %s: it has no type information (does the package type-check?)", fn.decl.Name.Name)
		return errs
	}
	fn.obj = obj
	fn.sig = obj.Type().(*types.Signature)
	name := fn.decl.Name.Name
	if fn.sig.Recv() != nil {
		t := fn.sig.Recv().Type()
		if ptr, ok := t.(*types.Pointer); ok {
			t = ptr.Elem()
		}
		if n, ok := types.Unalias(t).(*types.Named); ok {
			fn.recvName = n.Obj().Name()
		}
	}
	fn.fullName = p.PkgPath + "." + name
	if fn.recvName != "" {
		fn.fullName = p.PkgPath + "." + fn.recvName + "." + name
	}
	if name == "init" || name == "_" {
		errs.add(fn.pos, "cannot throttle %s: it cannot be called", name)
		return errs
	}
	if bad := invalidSignature(fn.sig); bad {
		errs.add(fn.pos, "cannot throttle %s: its signature does not type-check", fn)
		for _, te := range p.TypeErrors {
			if te.Pos >= fn.decl.Type.Pos() && te.Pos < fn.decl.Type.End() {
				errs.add(fset.Position(te.Pos), "%s", te.Msg)
			}
		}
	}
	return errs
}

// classifyShape records what the wrapper's shape depends on: a leading
// context, a trailing error, an http handler.
func classifyShape(fn *function) {
	params, results := fn.sig.Params(), fn.sig.Results()
	fn.ctxFirst = params.Len() > 0 && isNamed(params.At(0).Type(), "context", "Context")
	fn.errLast = results.Len() > 0 && isError(results.At(results.Len()-1).Type())
	fn.http = params.Len() == 2 && results.Len() == 0 && !fn.sig.Variadic() &&
		isNamed(params.At(0).Type(), "net/http", "ResponseWriter") &&
		isPointerTo(params.At(1).Type(), "net/http", "Request")
}

// checkWrapperNameFree checks that the wrapper's name is not taken by a
// package-level name or, for a method, by a field or method of the
// receiver's own (not one promoted from an embedded field).
func checkWrapperNameFree(fn *function, fset *token.FileSet, cfg *Config) ErrorList {
	var errs ErrorList
	p := fn.pkg
	wname := fn.decl.Name.Name + cfg.suffix()
	if fn.sig.Recv() != nil {
		// Only the receiver type's own fields and methods collide: a method
		// declared on it shadows one promoted from an embedded field.
		if o, index, _ := types.LookupFieldOrMethod(fn.sig.Recv().Type(), true, p.Types, wname); o != nil && len(index) == 1 {
			errs.add(fn.pos, "cannot generate %s.%s: %s already has a field or method of that name (%s)", fn.recvName, wname, fn.recvName, where(fset.Position(o.Pos()), fn.pos))
		}
	} else if o := p.Types.Scope().Lookup(wname); o != nil {
		errs.add(fn.pos, "cannot generate %s: the package already declares it at %s", wname, where(fset.Position(o.Pos()), fn.pos))
	}
	return errs
}

// sortDirectives sorts fn's directives into the layers of the wrapper: any
// number of rate directives, at most one of each other kind.
func sortDirectives(fn *function) ErrorList {
	var errs ErrorList
	for _, d := range fn.dirs {
		var slot **directive
		switch d.spec.kind {
		case kindRate:
			fn.rates = append(fn.rates, d)
			continue
		case kindConcurrency:
			slot = &fn.conc
		case kindRetry:
			slot = &fn.retry
		case kindTimeout:
			slot = &fn.timeout
		case kindCache:
			slot = &fn.cache
		}
		if *slot != nil {
			errs.add(d.polPos, "%s: only one %s directive per function (the first is at line %d)", fn, d.policy, (*slot).pos.Line)
			continue
		}
		*slot = d
	}
	return errs
}

// checkRateDirectives checks each rate directive's arithmetic range and
// that no two of fn's rate directives share one identity.
func checkRateDirectives(fn *function) ErrorList {
	var errs ErrorList
	for _, d := range fn.rates {
		if msg := exactRange(d); msg != "" {
			errs.add(d.polPos, "%s: %s", fn, msg)
		}
		if a, msg := costRange(d); msg != "" {
			errs.add(a.valuePos, "%s: %s", fn, msg)
		}
	}
	seen := map[string]*directive{}
	for _, d := range fn.rates {
		id := d.policy + "\x00" + rateName(fn, d)
		if prev := seen[id]; prev != nil {
			errs.add(d.polPos, "%s: two %s directives share the identity %s (line %d): give one a different name=", fn, d.policy, quoteClip(rateName(fn, d)), prev.pos.Line)
		}
		seen[id] = d
	}
	return errs
}

// checkCombinations rejects policies that cannot wrap fn's shape.
func checkCombinations(fn *function) ErrorList {
	var errs ErrorList
	if fn.http {
		for _, d := range []*directive{fn.retry, fn.timeout, fn.cache} {
			if d != nil {
				errs.add(d.polPos, "%s: %s cannot wrap an http handler (func(http.ResponseWriter, *http.Request)); use rate or concurrency policies", fn, d.policy)
			}
		}
	}
	if d := fn.cache; d != nil && !fn.http && fn.sig.Results().Len() == btoi(fn.errLast) {
		what := "returns only an error"
		if !fn.errLast {
			what = "returns nothing"
		}
		errs.add(d.polPos, "%s: cache needs a result besides error, and %s %s: there is nothing to keep; remove cache (retry or a rate policy may be what you want)", fn, fn, what)
	}
	if d := fn.cache; d != nil && isGeneric(fn.sig) {
		if a := d.get("store"); a != nil && a.s == "shared" {
			errs.add(a.valuePos, "%s: cache store=shared is not supported on generic functions (JSON cannot decode into a type parameter): use store=local", fn)
		}
	}
	return errs
}

// checkSharedCache checks that cache store=shared's key and results make
// the round trip through encoding/json unchanged (a dropped field would
// come back zero on a hit, or two keys collide).
func checkSharedCache(fn *function) ErrorList {
	var errs ErrorList
	d := fn.cache
	if d == nil || isGeneric(fn.sig) {
		return nil // generic: rejected by checkCombinations
	}
	if a := d.get("store"); a != nil && a.s == "shared" {
		if why := sharedCacheLoss(fn); why != "" {
			errs.add(a.valuePos, "%s: cache store=shared keeps keys and results as JSON, but %s: use store=local, give key= an expression that encodes, or change the type", fn, why)
		}
	}
	return errs
}

// checkConsumerQuota rejects a bare consumer_quota fraction without
// consumer=: every call would be the one consumer "", and the fraction
// would silently cap the whole capacity.
func checkConsumerQuota(fn *function) ErrorList {
	var errs ErrorList
	d := fn.conc
	if d == nil || d.get("consumer") != nil {
		return nil
	}
	if a := d.get("consumer_quota"); a != nil {
		for _, q := range a.quotas {
			if q.name == "" {
				errs.add(a.valuePos, "%s: consumer_quota=%s: a bare fraction applies to each consumer, but without consumer= every call is the same consumer, so it would cap the whole capacity at %v: add consumer=EXPR, or lower capacity", fn, clip(a.raw), q.fraction)
				break
			}
		}
	}
	return errs
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkRateKeys checks every rate directive's key=; fn.rateKeys gets one
// entry per rate directive, nil for an unkeyed one.
func checkRateKeys(fn *function, fset *token.FileSet) ErrorList {
	var errs ErrorList
	for _, d := range fn.rates {
		var k *keyExpr
		if a := d.get("key"); a != nil {
			var e *Error
			k, e = checkKey(fn, fset, a, a.expr)
			if e != nil {
				errs = append(errs, e)
			}
		}
		fn.rateKeys = append(fn.rateKeys, k)
	}
	return errs
}

// checkConcurrencyExprs checks the concurrency directive's consumer= and
// priority=.
func checkConcurrencyExprs(fn *function, fset *token.FileSet) ErrorList {
	var errs ErrorList
	d := fn.conc
	if d == nil {
		return nil
	}
	if a := d.get("consumer"); a != nil {
		k, e := checkKey(fn, fset, a, a.expr)
		if e != nil {
			errs = append(errs, e)
		}
		fn.consumer = k
	}
	if a := d.get("priority"); a != nil {
		k, e := checkPriority(fn, fset, a)
		if e != nil {
			errs = append(errs, e)
		}
		fn.priority = k
	}
	return errs
}

// checkRetryOn checks the error values listed in retry on=.
func checkRetryOn(fn *function, fset *token.FileSet) ErrorList {
	var errs ErrorList
	if fn.retry == nil {
		return nil
	}
	a := fn.retry.get("on")
	if a == nil {
		return nil
	}
	for _, it := range a.on {
		if it.expr == nil {
			continue
		}
		k, e := checkErrorValue(fn, fset, a, it)
		if e != nil {
			errs = append(errs, e)
			continue
		}
		fn.on = append(fn.on, k)
	}
	return errs
}

// checkCacheKey checks the cache's key=, or, without one, that every
// parameter identifying a call can be a map key.
func checkCacheKey(fn *function, fset *token.FileSet) ErrorList {
	var errs ErrorList
	d := fn.cache
	if d == nil {
		return nil
	}
	if a := d.get("key"); a != nil {
		k, e := typeCheck(fn, fset, a, a.expr, 0)
		if e == nil && !types.Comparable(k.typ) {
			e = &Error{Pos: a.valuePos, Msg: "cache key=" + clip(a.raw) + " has type " + typeString(fn, k.typ) + ", which is not comparable"}
		}
		if e != nil {
			errs = append(errs, e)
		}
		fn.cacheKey = k
		return errs
	}
	for i, v := range cacheParams(fn) {
		if _, tp := types.Unalias(v.Type()).(*types.TypeParam); tp && !types.Comparable(v.Type()) {
			errs.add(d.polPos, "%s: cache: parameter %d (%s) has type %s, whose constraint is not comparable (a value of it may not be usable as a map key): constrain %s by comparable or give key= an expression that identifies the call", fn, i+1, v.Name(), typeString(fn, v.Type()), typeString(fn, v.Type()))
		} else if !types.Comparable(v.Type()) {
			errs.add(d.polPos, "%s: cache: parameter %d (%s) of type %s is not comparable: give key= an expression that identifies the call", fn, i+1, v.Name(), typeString(fn, v.Type()))
		}
	}
	return errs
}

// exactRange checks that a rate directive's state fits in 2^53, the
// integers the Redis store's Lua scripts represent exactly (see
// docs/design.md), and explains which product is too large. Products with
// a per-call factor are the runtime's to check, on each call.
func exactRange(d *directive) string {
	quota := d.get("quota")
	dur := d.get("duration").d / time.Microsecond
	if uint64(dur) > maxExact {
		return "duration= is too long (more than 2^53 microseconds)"
	}
	burst := quota
	if a := d.get("burst"); a != nil {
		burst = a
	}
	var cell int64
	if q := quota.i; quota.perCall == nil {
		cell = (int64(dur) + q - 1) / q // ⌈D/Q⌉
	}
	over := func(a, b int64) bool {
		hi, lo := bits.Mul64(uint64(a), uint64(b))
		return hi != 0 || lo > maxExact
	}
	switch d.policy {
	case "token_bucket":
		if burst.perCall == nil && over(burst.i, int64(dur)) {
			return "burst × duration (in microseconds) exceeds 2^53: lower burst or duration"
		}
	case "gcra":
		if quota.perCall == nil && burst.perCall == nil && over(burst.i, cell) {
			return "burst × duration/quota (in microseconds) exceeds 2^53: lower burst or duration"
		}
	case "leaky_bucket":
		if b := d.get("bucket"); quota.perCall == nil && b.perCall == nil && over(b.i, cell) {
			return "bucket × duration/quota (in microseconds) exceeds 2^53: lower bucket or duration"
		}
	}
	return ""
}

// costRange checks a constant cost= against the limit's constant capacity
// (SPEC §6): a cost above burst (token_bucket, gcra), above quota (the
// windows) or above bucket+1 (leaky_bucket) could never be admitted, and
// every call would be rejected with ReasonCost. "" when it can be, or when
// either side is per call.
func costRange(d *directive) (*arg, string) {
	c := d.get("cost")
	if c == nil || c.perCall != nil {
		return nil, ""
	}
	quota := d.get("quota")
	var limit *arg
	var most int64
	var why string
	switch d.policy {
	case "token_bucket", "gcra":
		limit = quota
		if b := d.get("burst"); b != nil {
			limit = b
		}
		most = limit.i
		why = fmt.Sprintf("at most burst=%s units at once", clip(limit.raw))
		if limit == quota {
			why = fmt.Sprintf("at most %d units at once (burst defaults to quota=%s)", most, clip(quota.raw))
		}
	case "leaky_bucket":
		limit = d.get("bucket")
		most = limit.i + 1
		why = fmt.Sprintf("at most bucket+1 = %d units at once (bucket=%s)", most, clip(limit.raw))
	default:
		limit, most = quota, quota.i
		why = fmt.Sprintf("at most quota=%s units per window", clip(quota.raw))
	}
	if limit.perCall != nil || c.i <= most {
		return nil, ""
	}
	val := ""
	if c.constant != nil {
		val = fmt.Sprintf(" (%d)", c.i)
	}
	return c, fmt.Sprintf("cost=%s%s can never be admitted: %s admits %s; lower cost= or raise %s=",
		clip(c.raw), val, d.policy, why, limit.name)
}

// cacheParams are the parameters that identify a call for the cache by
// default: the receiver and every parameter but a leading context.
func cacheParams(fn *function) []*types.Var {
	var vs []*types.Var
	if r := fn.sig.Recv(); r != nil {
		vs = append(vs, r)
	}
	params := fn.sig.Params()
	for i := range params.Len() {
		if i == 0 && fn.ctxFirst {
			continue
		}
		vs = append(vs, params.At(i))
	}
	return vs
}

// rateName is the identity of a rate directive's limit.
func rateName(fn *function, d *directive) string {
	if a := d.get("name"); a != nil {
		return a.s
	}
	return fn.fullName
}

// typeCheck type-checks e (the value of a, or the item at byte off of it)
// in the scope of fn's parameters: a constant or a per-call expression.
func typeCheck(fn *function, fset *token.FileSet, a *arg, e ast.Expr, off int) (*keyExpr, *Error) {
	k, _, err := classify(fn, fset, a, e, off)
	return k, err
}

// checkKey checks a key= or consumer= expression and picks its conversion
// to string.
func checkKey(fn *function, fset *token.FileSet, a *arg, e ast.Expr) (*keyExpr, *Error) {
	k, err := typeCheck(fn, fset, a, e, 0)
	if err != nil {
		return nil, err
	}
	c, ok := keyConv(k.typ, isAddressable(e, k.info))
	if !ok {
		msg := a.name + "=" + clip(a.raw) + " has type " + typeString(fn, k.typ) +
			", which cannot be a key: use a string, integer, []byte or fmt.Stringer expression"
		if f := keyField(k.typ); f != "" {
			msg += "; did you mean " + a.name + "=" + exprText(e) + "." + f + "?"
		}
		return nil, &Error{Pos: a.valuePos, Msg: msg}
	}
	k.conv = c
	return k, nil
}

// keyConv picks how a value of type t becomes a string key.
func keyConv(t types.Type, addressable bool) (conv, bool) {
	t = types.Default(t)
	if tp, ok := types.Unalias(t).(*types.TypeParam); ok {
		return typeParamConv(tp)
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsString != 0:
			if types.Identical(t, types.Typ[types.String]) {
				return convAsIs, true
			}
			return convString, true
		case u.Info()&types.IsInteger != 0 && u.Info()&types.IsUnsigned != 0:
			return convUint, true
		case u.Info()&types.IsInteger != 0:
			return convInt, true
		}
	case *types.Slice:
		if b, ok := types.Unalias(u.Elem()).(*types.Basic); ok && b.Kind() == types.Byte {
			return convString, true
		}
	}
	if isStringer(t, addressable) {
		return convStringer, true
	}
	return 0, false
}

// typeParamConv picks the conversion of a type parameter whose type set
// holds only strings, only signed or only unsigned integers.
func typeParamConv(tp *types.TypeParam) (conv, bool) {
	iface, ok := tp.Constraint().Underlying().(*types.Interface)
	if !ok {
		return 0, false
	}
	if isStringer(tp, true) {
		return convStringer, true
	}
	var kinds []conv
	for i := range iface.NumEmbeddeds() {
		u, ok := iface.EmbeddedType(i).(*types.Union)
		if !ok {
			if b, ok := iface.EmbeddedType(i).Underlying().(*types.Basic); ok {
				c, ok := keyConv(b, false)
				if !ok {
					return 0, false
				}
				kinds = append(kinds, c)
				continue
			}
			return 0, false
		}
		for j := range u.Len() {
			c, ok := keyConv(u.Term(j).Type().Underlying(), false)
			if !ok || c == convStringer {
				return 0, false
			}
			kinds = append(kinds, c)
		}
	}
	if len(kinds) == 0 {
		return 0, false
	}
	first := kinds[0]
	if first == convAsIs {
		first = convString
	}
	for _, c := range kinds[1:] {
		if c == convAsIs {
			c = convString
		}
		if c != first {
			return 0, false
		}
	}
	return first, true
}

func isStringer(t types.Type, addressable bool) bool {
	obj, _, _ := types.LookupFieldOrMethod(t, addressable, nil, "String")
	f, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig := f.Type().(*types.Signature)
	return sig.Params().Len() == 0 && sig.Results().Len() == 1 &&
		types.Identical(sig.Results().At(0).Type(), types.Typ[types.String])
}

// keyField suggests an exported field of a struct (or pointer to struct)
// type that could be a key.
func keyField(t types.Type) string {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	s, ok := t.Underlying().(*types.Struct)
	if !ok {
		return ""
	}
	for i := range s.NumFields() {
		f := s.Field(i)
		if !f.Exported() {
			continue
		}
		if _, ok := keyConv(f.Type(), true); ok {
			return f.Name()
		}
	}
	return ""
}

// identVar is the variable the identifier name means in fn's scope, when
// that is fn's receiver or parameter, or a variable of fn's package no
// name of fn's signature shadows; nil otherwise (type-check it).
func identVar(fn *function, name string) *types.Var {
	sig := fn.sig
	if name == "_" || name == "" {
		return nil
	}
	if r := sig.Recv(); r != nil && r.Name() == name {
		return r
	}
	for i := range sig.Params().Len() {
		if v := sig.Params().At(i); v.Name() == name {
			return v
		}
	}
	for i := range sig.Results().Len() {
		if sig.Results().At(i).Name() == name {
			return nil
		}
	}
	for _, tp := range typeParamNamesOf(sig) {
		if tp == name {
			return nil
		}
	}
	v, _ := fn.pkg.Types.Scope().Lookup(name).(*types.Var)
	return v
}

func isAddressable(e ast.Expr, info *types.Info) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return false
	}
	_, ok = info.Uses[id].(*types.Var)
	return ok
}

// checkPriority checks a priority= expression: a runtime.Priority, or a
// string parsed by runtime.ParsePriority.
func checkPriority(fn *function, fset *token.FileSet, a *arg) (*keyExpr, *Error) {
	k, err := typeCheck(fn, fset, a, a.expr, 0)
	if err != nil {
		return nil, err
	}
	t := types.Default(k.typ)
	switch {
	case isNamed(t, runtimePath, "Priority"):
		k.conv = convAsIs
	case isStringKind(t):
		k.conv = convParsePriority
	default:
		return nil, &Error{Pos: a.valuePos, Msg: "priority=" + clip(a.raw) + " has type " + typeString(fn, k.typ) + ": want a runtime.Priority or a string"}
	}
	return k, nil
}

// checkErrorValue checks an on= item that is a Go expression: an error
// value matched with errors.Is.
func checkErrorValue(fn *function, fset *token.FileSet, a *arg, it onItem) (*keyExpr, *Error) {
	off := 0
	if d := it.pos.Column - a.innerPos(0).Column; d > 0 {
		off = d
	}
	k, err := typeCheck(fn, fset, a, it.expr, off)
	if err != nil {
		return nil, err
	}
	if !types.AssignableTo(k.typ, errorType) {
		return nil, &Error{Pos: it.pos, Msg: "on=: " + clip(it.text) + " has type " + typeString(fn, k.typ) + ", not error; on= takes throttled, timeout, error or error values"}
	}
	return k, nil
}

var errorType = types.Universe.Lookup("error").Type()

func isError(t types.Type) bool { return types.Identical(t, errorType) }

func isStringKind(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// isNamed reports whether t (through aliases) is the named type path.name.
func isNamed(t types.Type, path, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

func isPointerTo(t types.Type, path, name string) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && isNamed(p.Elem(), path, name)
}

func isGeneric(sig *types.Signature) bool {
	return sig.TypeParams().Len() > 0 || sig.RecvTypeParams().Len() > 0
}

// invalidSignature reports whether a type in sig failed to type-check.
func invalidSignature(sig *types.Signature) bool {
	bad := false
	check := func(t types.Type) {
		if b, ok := t.(*types.Basic); ok && b.Kind() == types.Invalid {
			bad = true
		}
	}
	seen := map[types.Type]bool{}
	if sig.Recv() != nil {
		eachType(sig.Recv().Type(), check, seen)
	}
	eachType(sig, check, seen)
	return bad
}

// typeString prints t as the user's package would write it.
func typeString(fn *function, t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string {
		if p == fn.pkg.Types {
			return ""
		}
		return p.Name()
	})
}

// exprText prints an expression compactly, for messages: at most maxEcho
// bytes of it.
func exprText(e ast.Expr) string {
	var b strings.Builder
	_ = printer.Fprint(&b, token.NewFileSet(), e)
	return clip(b.String())
}

// isPrimary reports whether e can take a selector without parentheses.
func isPrimary(e ast.Expr) bool {
	switch e.(type) {
	case *ast.Ident, *ast.SelectorExpr, *ast.CallExpr, *ast.IndexExpr, *ast.IndexListExpr, *ast.ParenExpr, *ast.SliceExpr, *ast.TypeAssertExpr, *ast.BasicLit, *ast.CompositeLit:
		return true
	}
	return false
}
