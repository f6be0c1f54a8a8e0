package generator

import (
	"fmt"
	"go/ast"
	"go/types"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// This file turns go/types types and type-checked expressions into
// jennifer code. Packages are always named through jen.Qual, so the output
// imports exactly what it uses, under the names the plan chose (plan.go).

// renderer writes types and expressions as they read in the generated file
// of the package whose import path is self. names maps the receiver,
// parameters and type parameters a wrapper renames (to keep them from
// shadowing a name its body uses; see planLocals) to their names in the
// wrapper; every other object keeps its own name.
type renderer struct {
	self  string
	names map[types.Object]string
}

// nameOf is obj's name in the generated code.
func (r *renderer) nameOf(obj types.Object) string {
	if n, ok := r.names[obj]; ok {
		return n
	}
	return obj.Name()
}

// typ renders t.
func (r *renderer) typ(t types.Type) jen.Code {
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return jen.Qual("unsafe", "Pointer")
		}
		return jen.Id(t.Name())
	case *types.Alias:
		return r.named(t.Obj(), t.TypeArgs())
	case *types.Named:
		return r.named(t.Obj(), t.TypeArgs())
	case *types.TypeParam:
		return jen.Id(r.nameOf(t.Obj()))
	case *types.Pointer:
		return jen.Op("*").Add(r.typ(t.Elem()))
	case *types.Slice:
		return jen.Index().Add(r.typ(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(r.typ(t.Elem()))
	case *types.Map:
		return jen.Map(r.typ(t.Key())).Add(r.typ(t.Elem()))
	case *types.Chan:
		return r.chanType(t)
	case *types.Signature:
		return jen.Func().Add(r.signature(t))
	case *types.Struct:
		return r.structType(t)
	case *types.Interface:
		return r.interfaceType(t)
	case *types.Union:
		terms := make([]jen.Code, t.Len())
		for i := range t.Len() {
			term := t.Term(i)
			if term.Tilde() {
				terms[i] = jen.Op("~").Add(r.typ(term.Type()))
			} else {
				terms[i] = r.typ(term.Type())
			}
		}
		return jen.Union(terms...)
	}
	panic(fmt.Sprintf("throttlegen: cannot render type %T %v", t, t))
}

func (r *renderer) chanType(t *types.Chan) jen.Code {
	elem := r.typ(t.Elem())
	switch t.Dir() {
	case types.SendOnly:
		return jen.Chan().Op("<-").Add(elem)
	case types.RecvOnly:
		return jen.Op("<-").Chan().Add(elem)
	}
	if inner, ok := t.Elem().(*types.Chan); ok && inner.Dir() == types.RecvOnly {
		return jen.Chan().Parens(elem) // chan (<-chan T), not chan<- (chan T)
	}
	return jen.Chan().Add(elem)
}

func (r *renderer) structType(t *types.Struct) jen.Code {
	fields := make([]jen.Code, t.NumFields())
	for i := range t.NumFields() {
		f := t.Field(i)
		var c *jen.Statement
		if f.Embedded() {
			c = jen.Add(r.typ(f.Type()))
		} else {
			c = jen.Id(f.Name()).Add(r.typ(f.Type()))
		}
		if tag := t.Tag(i); tag != "" {
			if strings.Contains(tag, "`") {
				c = c.Id(strconv.Quote(tag))
			} else {
				c = c.Id("`" + tag + "`")
			}
		}
		fields[i] = c
	}
	return jen.Struct(fields...)
}

func (r *renderer) interfaceType(t *types.Interface) jen.Code {
	var items []jen.Code
	for i := range t.NumEmbeddeds() {
		items = append(items, r.typ(t.EmbeddedType(i)))
	}
	for i := range t.NumExplicitMethods() {
		m := t.ExplicitMethod(i)
		items = append(items, jen.Id(m.Name()).Add(r.signature(m.Type().(*types.Signature))))
	}
	if t.IsImplicit() && len(items) == 1 {
		return items[0] // [T ~int | ~string]
	}
	return jen.Interface(items...)
}

func (r *renderer) named(obj *types.TypeName, args *types.TypeList) jen.Code {
	var c *jen.Statement
	if obj.Pkg() == nil || obj.Pkg().Path() == r.self {
		c = jen.Id(obj.Name())
	} else {
		c = jen.Qual(obj.Pkg().Path(), obj.Name())
	}
	if args.Len() > 0 {
		list := make([]jen.Code, args.Len())
		for i := range args.Len() {
			list[i] = r.typ(args.At(i))
		}
		c = c.Types(list...)
	}
	return c
}

// signature renders the parameters and results of sig (without func).
func (r *renderer) signature(sig *types.Signature) jen.Code {
	return jen.Params(r.tuple(sig.Params(), sig.Variadic())...).Params(r.tuple(sig.Results(), false)...)
}

func (r *renderer) tuple(t *types.Tuple, variadic bool) []jen.Code {
	out := make([]jen.Code, t.Len())
	for i := range t.Len() {
		v := t.At(i)
		var typ jen.Code
		if variadic && i == t.Len()-1 {
			typ = jen.Op("...").Add(r.typ(v.Type().(*types.Slice).Elem()))
		} else {
			typ = r.typ(v.Type())
		}
		if v.Name() != "" {
			out[i] = jen.Id(v.Name()).Add(typ)
		} else {
			out[i] = typ
		}
	}
	return out
}

// typeParams renders a type parameter list with constraints.
func (r *renderer) typeParams(list *types.TypeParamList) []jen.Code {
	out := make([]jen.Code, list.Len())
	for i := range list.Len() {
		tp := list.At(i)
		out[i] = jen.Id(r.nameOf(tp.Obj())).Add(r.typ(tp.Constraint()))
	}
	return out
}

// typeArgs renders a type parameter list without constraints, for
// instantiation: [T, U].
func (r *renderer) typeArgs(list *types.TypeParamList) []jen.Code {
	out := make([]jen.Code, list.Len())
	for i := range list.Len() {
		out[i] = jen.Id(r.nameOf(list.At(i).Obj()))
	}
	return out
}

// zero renders the zero value of t.
func (r *renderer) zero(t types.Type) jen.Code {
	if _, ok := types.Unalias(t).(*types.TypeParam); ok {
		return jen.Op("*").New(r.typ(t))
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return jen.False()
		case u.Info()&types.IsString != 0:
			return jen.Lit("")
		case u.Kind() == types.UnsafePointer:
			return jen.Nil()
		default:
			return jen.Lit(0)
		}
	case *types.Struct, *types.Array:
		return jen.Add(r.typ(t)).Values()
	default:
		return jen.Nil()
	}
}

// expr renders a type-checked expression written in a directive.
// Identifiers naming packages or package-level objects are qualified, so
// the expression means the same in the generated file as in the user's;
// the wrapper's renamed parameters take their new names.
func (r *renderer) expr(e ast.Expr, info *types.Info) (jen.Code, error) {
	if tv, ok := info.Types[e]; ok && tv.IsType() {
		return r.typ(tv.Type), nil
	}
	switch e := e.(type) {
	case *ast.Ident:
		return r.ident(e, info), nil
	case *ast.BasicLit:
		return jen.Id(e.Value), nil
	case *ast.SelectorExpr:
		return r.selector(e, info)
	case *ast.ParenExpr:
		x, err := r.expr(e.X, info)
		return jen.Parens(x), err
	case *ast.StarExpr:
		x, err := r.expr(e.X, info)
		return jen.Op("*").Add(x), err
	case *ast.UnaryExpr:
		x, err := r.expr(e.X, info)
		return jen.Op(e.Op.String()).Add(x), err
	case *ast.BinaryExpr:
		x, err1 := r.expr(e.X, info)
		y, err2 := r.expr(e.Y, info)
		return jen.Add(x).Op(e.Op.String()).Add(y), firstErr(err1, err2)
	case *ast.CallExpr:
		return r.call(e, info)
	case *ast.IndexExpr:
		x, err1 := r.expr(e.X, info)
		i, err2 := r.expr(e.Index, info)
		return jen.Add(x).Index(i), firstErr(err1, err2)
	case *ast.IndexListExpr:
		x, err := r.expr(e.X, info)
		idx, ierr := r.exprs(e.Indices, info)
		return jen.Add(x).Types(idx...), firstErr(err, ierr)
	case *ast.SliceExpr:
		return r.slice(e, info)
	case *ast.TypeAssertExpr:
		x, err := r.expr(e.X, info)
		return jen.Add(x).Assert(r.typ(info.Types[e.Type].Type)), err
	case *ast.CompositeLit:
		return r.compositeLit(e, info)
	}
	return jen.Null(), fmt.Errorf("expressions of this form (%T) are not supported in directives", e)
}

// exprs renders a list of expressions.
func (r *renderer) exprs(list []ast.Expr, info *types.Info) ([]jen.Code, error) {
	var err error
	out := make([]jen.Code, len(list))
	for i, x := range list {
		c, xerr := r.expr(x, info)
		out[i], err = c, firstErr(err, xerr)
	}
	return out, err
}

// ident qualifies a package-level object of another package and renames a
// renamed parameter.
func (r *renderer) ident(e *ast.Ident, info *types.Info) jen.Code {
	obj := info.Uses[e]
	if obj == nil {
		return jen.Id(e.Name)
	}
	if obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() && obj.Pkg().Path() != r.self {
		return jen.Qual(obj.Pkg().Path(), e.Name)
	}
	return jen.Id(r.nameOf(obj))
}

// selector renders pkg.Name through the file's import of pkg (or as Name
// in pkg itself), and x.Field as it is.
func (r *renderer) selector(e *ast.SelectorExpr, info *types.Info) (jen.Code, error) {
	if id, ok := e.X.(*ast.Ident); ok {
		if pn, ok := info.Uses[id].(*types.PkgName); ok {
			if pn.Imported().Path() == r.self {
				return jen.Id(e.Sel.Name), nil
			}
			return jen.Qual(pn.Imported().Path(), e.Sel.Name), nil
		}
	}
	x, err := r.expr(e.X, info)
	return jen.Add(x).Dot(e.Sel.Name), err
}

func (r *renderer) call(e *ast.CallExpr, info *types.Info) (jen.Code, error) {
	fun, err := r.expr(e.Fun, info)
	args, aerr := r.exprs(e.Args, info)
	if e.Ellipsis.IsValid() && len(args) > 0 {
		args[len(args)-1] = jen.Add(args[len(args)-1]).Op("...")
	}
	return jen.Add(fun).Call(args...), firstErr(err, aerr)
}

func (r *renderer) slice(e *ast.SliceExpr, info *types.Info) (jen.Code, error) {
	x, err := r.expr(e.X, info)
	s := jen.Null()
	for i, part := range []ast.Expr{e.Low, e.High, e.Max} {
		if i > 0 && (i < 2 || e.Slice3) {
			s = s.Op(":")
		}
		if part != nil {
			c, perr := r.expr(part, info)
			s, err = s.Add(c), firstErr(err, perr)
		}
	}
	return jen.Add(x).Index(s), err
}

// compositeLit renders T{...}; a key naming a struct field stays as it is.
func (r *renderer) compositeLit(e *ast.CompositeLit, info *types.Info) (jen.Code, error) {
	var err error
	elts := make([]jen.Code, len(e.Elts))
	for i, el := range e.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			c, cerr := r.expr(el, info)
			elts[i], err = c, firstErr(err, cerr)
			continue
		}
		var k jen.Code
		var kerr error
		if id, ok := kv.Key.(*ast.Ident); ok && isField(info.Uses[id]) {
			k = jen.Id(id.Name)
		} else {
			k, kerr = r.expr(kv.Key, info)
		}
		v, verr := r.expr(kv.Value, info)
		elts[i], err = jen.Add(k).Op(":").Add(v), firstErr(err, kerr, verr)
	}
	return jen.Add(r.typ(info.Types[e].Type)).Values(elts...), err
}

func isField(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	return ok && v.IsField()
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
