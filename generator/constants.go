package generator

import (
	"fmt"
	"go/constant"
	"go/token"
	"go/types"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"
)

// This file resolves numeric and duration arguments written as Go
// constants (SPEC §2): quota=MaxCalls, duration=2*Window,
// quota=config.PerSecond.
//
// Model: the generator checks the constant's value now, as it checks a
// literal, and the generated code names the constant instead of copying its
// value, so a changed constant needs no regeneration. Because the value may
// change after generation, the generated file also checks it again when the
// program starts (constantGuards): an invalid value then panics during
// package initialisation, naming the limit, the argument and the value.
// A non-constant expression (over the parameters) is accepted only where
// the table says the argument may be per call (argSpec.perCall: quota=,
// burst=, bucket= and cost= of rate policies); the wrapper evaluates it on
// each call (resolvePerCall, wrapper.go's rateGate).

// checkConstants resolves every constant argument of fn's directives.
func checkConstants(fn *function, fset *token.FileSet) ErrorList {
	var errs ErrorList
	for _, d := range fn.dirs {
		for _, a := range d.args {
			if a.constExpr == nil || a.spec == nil {
				continue
			}
			if e := resolveConstant(fn, fset, a); e != nil {
				errs = append(errs, e)
				continue
			}
		}
	}
	return errs
}

// resolveConstant classifies a's expression and, for a constant of the
// right type and range, sets a.i, a.f or a.d and a.constant.
func resolveConstant(fn *function, fset *token.FileSet, a *arg) *Error {
	k, class, err := classify(fn, fset, a, a.constExpr, 0)
	want := map[argType]string{
		argInt:      "a whole number or an integer constant",
		argFraction: "a fraction in (0, 1] or a constant",
		argDuration: "a duration such as 1s or 250ms, or a time.Duration constant",
	}[a.spec.typ]
	if a.spec.perCall {
		want = "a whole number, an integer constant or an integer expression over the parameters"
	}
	switch class {
	case classInvalid:
		msg := strings.TrimPrefix(err.Msg, a.name+"=: ")
		if !strings.Contains(msg, "did you mean") {
			msg += constantHint(fn, msg)
		}
		return &Error{Pos: err.Pos, Msg: a.name + "=: want " + want + "; " + msg}
	case classPerCall:
		if a.spec.perCall {
			return resolvePerCall(fn, a, k)
		}
		return &Error{Pos: a.valuePos, Msg: a.name + "=" + clip(a.raw) + ": not a constant: " + joinAnd(constantOnlyArgs()) +
			" take a literal or a Go constant of the package's scope, not a value that changes per call (on rate policies, " +
			joinAnd(perCallArgs()) + " may be per call)"}
	}
	bad := func(msg string) *Error {
		return &Error{Pos: a.valuePos, Msg: a.name + "=" + clip(a.raw) + ": " + msg}
	}
	t := k.typ
	switch a.spec.typ {
	case argInt:
		v := constant.ToInt(k.val)
		n, exact := constant.Int64Val(v)
		switch {
		case v.Kind() != constant.Int || !isNumeric(t, types.IsInteger|types.IsUntyped):
			return bad("want a whole number or an integer constant, not " + typeString(fn, k.typ) + " " + clip(k.val.String()) + notIntegerHint(a, k))
		case !exact:
			return bad("too large (at most 2^53)")
		}
		if msg := intRange(a.spec, n); msg != "" {
			return bad("is " + k.val.ExactString() + ": " + msg)
		}
		a.i = n
	case argFraction:
		f, _ := constant.Float64Val(constant.ToFloat(k.val))
		if !isNumeric(t, types.IsNumeric|types.IsUntyped) || constant.ToFloat(k.val).Kind() != constant.Float || !fractionRange(f) {
			return bad("is " + k.val.String() + ": want a fraction in (0, 1]")
		}
		a.f = f
	case argDuration:
		if !isNamed(types.Default(t), "time", "Duration") {
			return bad("want " + want + ", not a constant of type " + typeString(fn, k.typ) + " (write it as a multiple of time.Second, time.Millisecond, ...)")
		}
		n, exact := constant.Int64Val(k.val)
		if !exact {
			return bad("want " + want + ": " + k.val.ExactString() + " is out of range")
		}
		d := time.Duration(n)
		if msg := durationRange(a.spec, d); msg != "" {
			return bad("is " + d.String() + ": " + msg)
		}
		a.d = d
	}
	a.constant = k
	return nil
}

// isNumeric reports whether t's underlying basic type has any of info's
// flags (untyped constants count when IsUntyped is among them).
func isNumeric(t types.Type, info types.BasicInfo) bool {
	b, ok := t.Underlying().(*types.Basic)
	if !ok {
		return false
	}
	if b.Info()&types.IsUntyped != 0 {
		return info&types.IsUntyped != 0 && b.Info()&types.IsNumeric != 0
	}
	return b.Info()&(info&^types.IsUntyped) != 0
}

// resolvePerCall accepts k, a non-constant value of a, an argument that
// may be per call (SPEC §6), when it has an integer type: the wrapper
// evaluates it on each call, converted to int64.
func resolvePerCall(fn *function, a *arg, k *keyExpr) *Error {
	if isIntegerType(k.typ) {
		a.perCall = k
		return nil
	}
	return &Error{Pos: a.valuePos, Msg: a.name + "=" + clip(a.raw) + " has type " + typeString(fn, k.typ) +
		": want an integer expression (any integer type) or an integer constant" + notIntegerHint(a, k)}
}

// isIntegerType reports whether values of t convert to int64 as integers:
// an integer kind, or a type parameter whose type set holds only those.
func isIntegerType(t types.Type) bool {
	if tp, ok := types.Unalias(t).(*types.TypeParam); ok {
		iface, ok := tp.Constraint().Underlying().(*types.Interface)
		if !ok || iface.NumEmbeddeds() == 0 {
			return false
		}
		for i := range iface.NumEmbeddeds() {
			switch e := iface.EmbeddedType(i).(type) {
			case *types.Union:
				for j := range e.Len() {
					if !isIntegerType(e.Term(j).Type()) {
						return false
					}
				}
			default:
				if !isIntegerType(e) {
					return false
				}
			}
		}
		return true
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// notIntegerHint suggests, for a value of a that is not an integer, what
// to write instead: a conversion of a float, len of a string or
// collection (cost=), an integer field of a struct, the number a string
// constant holds; "" when nothing fits.
func notIntegerHint(a *arg, k *keyExpr) string {
	t := types.Default(k.typ)
	var b *types.Basic
	if u, ok := t.Underlying().(*types.Basic); ok {
		b = u
	}
	text := exprText(k.expr)
	switch {
	case k.val != nil && k.val.Kind() == constant.String:
		if n, err := strconv.ParseInt(constant.StringVal(k.val), 10, 64); err == nil {
			return "; did you mean " + argText(a.name, strconv.FormatInt(n, 10)) + "?"
		}
	case k.val != nil && isUntyped(k.typ):
		// An untyped float constant: 0.5.
		if a.name == "quota" {
			return "; round it to a whole number, or, for less than one call per duration, raise duration= instead"
		}
		return "; round it to a whole number"
	case k.val != nil:
		// A typed constant of another kind: const Ratio float64 = 2.
		if v := constant.ToInt(k.val); v.Kind() == constant.Int && b != nil && b.Info()&types.IsNumeric != 0 {
			return "; did you mean " + argText(a.name, "int64("+text+")") + "?"
		}
		return "; declare it as an integer constant"
	case b != nil && b.Info()&types.IsFloat != 0:
		return "; convert it, rounding as you mean to: " + argText(a.name, "int64("+text+")") + " truncates"
	case b != nil && b.Info()&types.IsString != 0 && a.name == "cost":
		return "; did you mean " + argText(a.name, "len("+text+")") + "?"
	case b != nil && b.Info()&types.IsString != 0:
		return "; a string is not a number: give the function an integer (or a struct with an integer field) to read it from"
	}
	switch u := t.Underlying().(type) {
	case *types.Slice, *types.Map, *types.Chan, *types.Array:
		if a.name == "cost" {
			return "; did you mean " + argText(a.name, "len("+text+")") + "?"
		}
	case *types.Pointer, *types.Struct:
		st, _ := u.(*types.Struct)
		if p, ok := u.(*types.Pointer); ok {
			st, _ = p.Elem().Underlying().(*types.Struct)
		}
		if st == nil {
			break
		}
		for i := range st.NumFields() {
			if f := st.Field(i); f.Exported() && isIntegerType(f.Type()) {
				sel := text
				if !isPrimary(k.expr) {
					sel = "(" + text + ")"
				}
				return "; did you mean " + argText(a.name, sel+"."+f.Name()) + "?"
			}
		}
	}
	return ""
}

func isUntyped(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Info()&types.IsUntyped != 0
}

// argText writes name=value as a directive would hold it: quoted when the
// value holds a space.
func argText(name, value string) string {
	if strings.ContainsAny(value, " \t") {
		value = strconv.Quote(value)
	}
	return name + "=" + clip(value)
}

// constantOnlyArgs lists, from the directive table, the arguments that take
// only literals and constants: "duration=", "wait=", ... "ttl=".
func constantOnlyArgs() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range policies {
		for _, a := range p.args {
			if (a.typ == argInt || a.typ == argFraction || a.typ == argDuration) && !a.perCall && !seen[a.name] {
				seen[a.name] = true
				names = append(names, a.name+"=")
			}
		}
	}
	return names
}

// constantGuards writes, before F's limiters, a package-level check of the
// constants F's directives name: each is checked again when the program
// starts, since it may have changed since generation, and an invalid value
// panics during package initialisation, naming the limit, the argument and
// the value. Nothing is written when F names no constant; a valid constant
// makes each check a constant false condition, compiled away.
func (e *wrapperEmitter) constantGuards(f *jen.File) {
	var checks []jen.Code
	for _, d := range e.fn.dirs {
		for _, a := range d.args {
			if a.constant != nil && !fixedConstant(a.constant) {
				checks = append(checks, e.constantGuard(d, a))
			}
		}
	}
	if len(checks) == 0 {
		return
	}
	f.Line()
	f.Commentf("The constants %s's directives name are checked again when the program starts:", e.fn)
	f.Comment("a changed constant needs no regeneration, but an invalid value stops the program here.")
	f.Var().Id("_").Op("=").Func().Params().Bool().Block(append(checks, jen.Return(jen.True()))...).Call()
}

// constantGuard checks one constant argument a of d.
func (e *wrapperEmitter) constantGuard(d *directive, a *arg) jen.Code {
	c, _ := e.r.expr(a.constant.expr, a.constant.info)
	what := jen.Lit("throttle: limit " + limitName(e.fn, d) + " (" + d.policy + " " + a.name + "=" + clip(a.raw) + ") is ")
	v := func() *jen.Statement { return jen.Id("v") }
	switch a.spec.typ {
	case argFraction:
		return jen.If(v().Op(":=").Float64().Call(c), jen.Op("!").Parens(v().Op(">").Lit(0).Op("&&").Add(v()).Op("<=").Lit(1))).Block(
			jen.Panic(jen.Add(what).Op("+").Qual("strconv", "FormatFloat").Call(v(), jen.LitRune('g'), jen.Lit(-1), jen.Lit(64)).Op("+").Lit(": want a fraction in (0, 1]")))
	case argDuration:
		min, want := jen.Lit(1), ": want a positive whole number of microseconds"
		if a.spec.zeroOK {
			min, want = jen.Lit(0), ": want a whole number of microseconds, at least 0"
		}
		return jen.If(v().Op(":=").Qual("time", "Duration").Call(c), v().Op("<").Add(min).Op("||").Add(v()).Op("%").Qual("time", "Microsecond").Op("!=").Lit(0)).Block(
			jen.Panic(jen.Add(what).Op("+").Add(v()).Dot("String").Call().Op("+").Lit(want)))
	}
	return jen.If(v().Op(":=").Int64().Call(c), v().Op("<").Lit(int(a.spec.min)).Op("||").Add(v()).Op(">").Lit(maxExact)).Block(
		jen.Panic(jen.Add(what).Op("+").Qual("strconv", "FormatInt").Call(v(), jen.Lit(10)).Op("+").Lit(fmt.Sprintf(": want a whole number from %d to 2^53", a.spec.min))))
}

// limitName is the identity of the limit d defines, for messages: its
// name= or pool=, else F's full name.
func limitName(fn *function, d *directive) string {
	switch {
	case d.spec.kind == kindRate:
		return rateName(fn, d)
	case d.get("pool") != nil:
		return d.get("pool").s
	}
	return fn.fullName
}

// fixedConstant reports whether k names only constants of package time
// (duration=time.Second, ttl=5*time.Minute): they cannot change, and need
// no guard.
func fixedConstant(k *keyExpr) bool {
	for _, obj := range k.info.Uses {
		if _, ok := obj.(*types.PkgName); ok {
			continue
		}
		if obj.Pkg() == nil || obj.Pkg().Path() != "time" {
			return false
		}
	}
	return true
}
