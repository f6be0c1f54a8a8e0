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

// typeCode renders t as it would be written in the package of path self.
func typeCode(t types.Type, self string) jen.Code {
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return jen.Qual("unsafe", "Pointer")
		}
		return jen.Id(t.Name())
	case *types.Alias:
		return namedCode(t.Obj(), t.TypeArgs(), self)
	case *types.Named:
		return namedCode(t.Obj(), t.TypeArgs(), self)
	case *types.TypeParam:
		return jen.Id(t.Obj().Name())
	case *types.Pointer:
		return jen.Op("*").Add(typeCode(t.Elem(), self))
	case *types.Slice:
		return jen.Index().Add(typeCode(t.Elem(), self))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(typeCode(t.Elem(), self))
	case *types.Map:
		return jen.Map(typeCode(t.Key(), self)).Add(typeCode(t.Elem(), self))
	case *types.Chan:
		elem := typeCode(t.Elem(), self)
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
	case *types.Signature:
		return jen.Func().Add(signatureCode(t, self))
	case *types.Struct:
		fields := make([]jen.Code, t.NumFields())
		for i := range t.NumFields() {
			f := t.Field(i)
			var c *jen.Statement
			if f.Embedded() {
				c = jen.Add(typeCode(f.Type(), self))
			} else {
				c = jen.Id(f.Name()).Add(typeCode(f.Type(), self))
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
	case *types.Interface:
		var items []jen.Code
		for i := range t.NumEmbeddeds() {
			items = append(items, typeCode(t.EmbeddedType(i), self))
		}
		for i := range t.NumExplicitMethods() {
			m := t.ExplicitMethod(i)
			items = append(items, jen.Id(m.Name()).Add(signatureCode(m.Type().(*types.Signature), self)))
		}
		if t.IsImplicit() && len(items) == 1 {
			return items[0] // [T ~int | ~string]
		}
		return jen.Interface(items...)
	case *types.Union:
		terms := make([]jen.Code, t.Len())
		for i := range t.Len() {
			term := t.Term(i)
			if term.Tilde() {
				terms[i] = jen.Op("~").Add(typeCode(term.Type(), self))
			} else {
				terms[i] = typeCode(term.Type(), self)
			}
		}
		return jen.Union(terms...)
	}
	panic(fmt.Sprintf("throttlegen: cannot render type %T %v", t, t))
}

func namedCode(obj *types.TypeName, args *types.TypeList, self string) jen.Code {
	var c *jen.Statement
	if obj.Pkg() == nil || obj.Pkg().Path() == self {
		c = jen.Id(obj.Name())
	} else {
		c = jen.Qual(obj.Pkg().Path(), obj.Name())
	}
	if args.Len() > 0 {
		list := make([]jen.Code, args.Len())
		for i := range args.Len() {
			list[i] = typeCode(args.At(i), self)
		}
		c = c.Types(list...)
	}
	return c
}

// signatureCode renders the parameters and results of sig (without func).
func signatureCode(sig *types.Signature, self string) jen.Code {
	return jen.Params(tupleCode(sig.Params(), sig.Variadic(), self)...).Params(tupleCode(sig.Results(), false, self)...)
}

func tupleCode(t *types.Tuple, variadic bool, self string) []jen.Code {
	out := make([]jen.Code, t.Len())
	for i := range t.Len() {
		v := t.At(i)
		var typ jen.Code
		if variadic && i == t.Len()-1 {
			typ = jen.Op("...").Add(typeCode(v.Type().(*types.Slice).Elem(), self))
		} else {
			typ = typeCode(v.Type(), self)
		}
		if v.Name() != "" {
			out[i] = jen.Id(v.Name()).Add(typ)
		} else {
			out[i] = typ
		}
	}
	return out
}

// typeParamsCode renders a type parameter list with constraints.
func typeParamsCode(list *types.TypeParamList, self string) []jen.Code {
	out := make([]jen.Code, list.Len())
	for i := range list.Len() {
		tp := list.At(i)
		out[i] = jen.Id(tp.Obj().Name()).Add(typeCode(tp.Constraint(), self))
	}
	return out
}

// typeParamNames renders a type parameter list without constraints, for
// instantiation: [T, U].
func typeParamNames(list *types.TypeParamList) []jen.Code {
	out := make([]jen.Code, list.Len())
	for i := range list.Len() {
		out[i] = jen.Id(list.At(i).Obj().Name())
	}
	return out
}

// zeroCode renders the zero value of t.
func zeroCode(t types.Type, self string) jen.Code {
	if _, ok := types.Unalias(t).(*types.TypeParam); ok {
		return jen.Op("*").New(typeCode(t, self))
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
		return jen.Add(typeCode(t, self)).Values()
	default:
		return jen.Nil()
	}
}

// exprCode renders a type-checked expression written in a directive.
// Identifiers naming packages or package-level objects are qualified, so
// the expression means the same in the generated file as in the user's.
func exprCode(e ast.Expr, info *types.Info, self string) (jen.Code, error) {
	if tv, ok := info.Types[e]; ok && tv.IsType() {
		return typeCode(tv.Type, self), nil
	}
	switch e := e.(type) {
	case *ast.Ident:
		obj := info.Uses[e]
		if obj != nil && obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() && obj.Pkg().Path() != self {
			return jen.Qual(obj.Pkg().Path(), e.Name), nil
		}
		return jen.Id(e.Name), nil
	case *ast.BasicLit:
		return jen.Id(e.Value), nil
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			if pn, ok := info.Uses[id].(*types.PkgName); ok {
				if pn.Imported().Path() == self {
					return jen.Id(e.Sel.Name), nil
				}
				return jen.Qual(pn.Imported().Path(), e.Sel.Name), nil
			}
		}
		x, err := exprCode(e.X, info, self)
		return jen.Add(x).Dot(e.Sel.Name), err
	case *ast.ParenExpr:
		x, err := exprCode(e.X, info, self)
		return jen.Parens(x), err
	case *ast.StarExpr:
		x, err := exprCode(e.X, info, self)
		return jen.Op("*").Add(x), err
	case *ast.UnaryExpr:
		x, err := exprCode(e.X, info, self)
		return jen.Op(e.Op.String()).Add(x), err
	case *ast.BinaryExpr:
		x, err1 := exprCode(e.X, info, self)
		y, err2 := exprCode(e.Y, info, self)
		return jen.Add(x).Op(e.Op.String()).Add(y), firstErr(err1, err2)
	case *ast.CallExpr:
		fun, err := exprCode(e.Fun, info, self)
		args := make([]jen.Code, len(e.Args))
		for i, a := range e.Args {
			c, aerr := exprCode(a, info, self)
			err = firstErr(err, aerr)
			if e.Ellipsis.IsValid() && i == len(e.Args)-1 {
				c = jen.Add(c).Op("...")
			}
			args[i] = c
		}
		return jen.Add(fun).Call(args...), err
	case *ast.IndexExpr:
		x, err1 := exprCode(e.X, info, self)
		i, err2 := exprCode(e.Index, info, self)
		return jen.Add(x).Index(i), firstErr(err1, err2)
	case *ast.IndexListExpr:
		x, err := exprCode(e.X, info, self)
		idx := make([]jen.Code, len(e.Indices))
		for i, ix := range e.Indices {
			c, ierr := exprCode(ix, info, self)
			idx[i], err = c, firstErr(err, ierr)
		}
		return jen.Add(x).Types(idx...), err
	case *ast.SliceExpr:
		x, err := exprCode(e.X, info, self)
		s := jen.Null()
		for i, part := range []ast.Expr{e.Low, e.High, e.Max} {
			if i > 0 && (i < 2 || e.Slice3) {
				s = s.Op(":")
			}
			if part != nil {
				c, perr := exprCode(part, info, self)
				s, err = s.Add(c), firstErr(err, perr)
			}
		}
		return jen.Add(x).Index(s), err
	case *ast.TypeAssertExpr:
		x, err := exprCode(e.X, info, self)
		return jen.Add(x).Assert(typeCode(info.Types[e.Type].Type, self)), err
	case *ast.CompositeLit:
		var err error
		elts := make([]jen.Code, len(e.Elts))
		for i, el := range e.Elts {
			var c jen.Code
			var cerr error
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				var k, v jen.Code
				var kerr, verr error
				if id, ok := kv.Key.(*ast.Ident); ok && isField(info.Uses[id]) {
					k = jen.Id(id.Name)
				} else {
					k, kerr = exprCode(kv.Key, info, self)
				}
				v, verr = exprCode(kv.Value, info, self)
				c, cerr = jen.Add(k).Op(":").Add(v), firstErr(kerr, verr)
			} else {
				c, cerr = exprCode(el, info, self)
			}
			elts[i], err = c, firstErr(err, cerr)
		}
		return jen.Add(typeCode(info.Types[e].Type, self)).Values(elts...), err
	}
	return jen.Null(), fmt.Errorf("expressions of this form (%T) are not supported in directives", e)
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
