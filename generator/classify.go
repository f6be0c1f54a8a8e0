package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// valueClass is what a directive's expression is, once type-checked in the
// scope of its function (SPEC §2, §6).
type valueClass uint8

const (
	// classInvalid: the expression does not type-check, is not a value, or
	// has a form the generator cannot write.
	classInvalid valueClass = iota
	// classConstant: a Go constant (a literal, or constants of the
	// package's scope and its imports: MaxCalls, 2*Window,
	// config.PerSecond). Its value is known at generation time and is
	// checked then; generated code refers to it by name.
	classConstant
	// classPerCall: any other value, over the parameters, the receiver or
	// package-level variables; generated code evaluates it on each call.
	classPerCall
)

// classify type-checks e (the value of a, or the item at byte off of it) at
// the top of fn's body, and says which class it is in. This is the one
// place that decides constant versus per-call: key=, consumer=, priority=,
// on= and cache key= use it for their per-call expressions, numeric and
// duration arguments for their constants. For classInvalid the error says
// why, with a "did you mean" for an undefined name close to a parameter or
// a receiver field; the *keyExpr is nil then.
func classify(fn *function, fset *token.FileSet, a *arg, e ast.Expr, off int) (*keyExpr, valueClass, *Error) {
	// A parameter's name (the usual key) or a package-level variable's
	// (the usual on= error value) needs no type-checking: packages.Load
	// has typed it already.
	if id, ok := e.(*ast.Ident); ok {
		if v := identVar(fn, id.Name); v != nil {
			info := &types.Info{Uses: map[*ast.Ident]types.Object{id: v}}
			return &keyExpr{arg: a, expr: e, info: info, typ: v.Type()}, classPerCall, nil
		}
	}
	info := &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{},
		Uses:  map[*ast.Ident]types.Object{},
	}
	pos := fn.decl.Type.End()
	if fn.decl.Body != nil {
		pos = fn.decl.Body.Lbrace + 1
	}
	if err := types.CheckExpr(fset, fn.pkg.Types, pos, e, info); err != nil {
		p, msg := a.innerPos(off), err.Error()
		if te, ok := err.(types.Error); ok {
			msg = te.Msg
			if te.Pos.IsValid() {
				p = a.innerPos(off + int(te.Pos) - 1)
			}
		}
		return nil, classInvalid, &Error{Pos: p, Msg: a.name + "=: " + clip(msg) + undefinedHint(fn, msg)}
	}
	tv := info.Types[e]
	if !tv.IsValue() {
		return nil, classInvalid, &Error{Pos: a.innerPos(off), Msg: a.name + "=: " + exprText(e) + " is not a value"}
	}
	if _, err := (&renderer{self: fn.pkg.PkgPath}).expr(e, info); err != nil {
		return nil, classInvalid, &Error{Pos: a.innerPos(off), Msg: a.name + "=: " + err.Error()}
	}
	k := &keyExpr{arg: a, expr: e, info: info, typ: tv.Type, val: tv.Value}
	if tv.Value != nil {
		return k, classConstant, nil
	}
	return k, classPerCall, nil
}

// undefinedHint suggests, for go/types' "undefined: NAME", the parameter
// or receiver field closest to NAME; "" when none is close.
func undefinedHint(fn *function, msg string) string {
	name, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok || !token.IsIdentifier(name) {
		return ""
	}
	var params []string
	if r := fn.sig.Recv(); r != nil && named(r) {
		params = append(params, r.Name())
	}
	for i := range fn.sig.Params().Len() {
		if v := fn.sig.Params().At(i); named(v) {
			params = append(params, v.Name())
		}
	}
	if s := didYouMean(name, params); s != "" {
		return s
	}
	r := fn.sig.Recv()
	if r == nil || !named(r) {
		return ""
	}
	t := r.Type()
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return ""
	}
	var fields []string
	for i := range st.NumFields() {
		fields = append(fields, st.Field(i).Name())
	}
	if f := suggest(name, fields); f != "" {
		return fmt.Sprintf("; did you mean %q?", r.Name()+"."+f)
	}
	return ""
}

// constantHint suggests, for go/types' "undefined: NAME", the package's
// constant closest to NAME; "" when none is close.
func constantHint(fn *function, msg string) string {
	name, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok || !token.IsIdentifier(name) {
		return ""
	}
	var consts []string
	scope := fn.pkg.Types.Scope()
	for _, n := range scope.Names() {
		if _, ok := scope.Lookup(n).(*types.Const); ok {
			consts = append(consts, n)
		}
	}
	return didYouMean(name, consts)
}
