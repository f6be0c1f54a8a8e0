package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// This file turns go/types types and type-checked expressions into Go
// source text, in gofmt's layout where it does not depend on context and
// marking the declaration irregular (see emit) where it does. Packages are
// always named through writer.q, so the output imports exactly what it
// uses, under the names the plan chose.

// typ renders t as it would be written in the generated file's package.
func (w *writer) typ(t types.Type) string {
	var b strings.Builder
	w.writeType(&b, t)
	return b.String()
}

func (w *writer) writeType(b *strings.Builder, t types.Type) {
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			b.WriteString(w.q("unsafe", "Pointer"))
			return
		}
		b.WriteString(t.Name())
	case *types.Alias:
		w.writeNamed(b, t.Obj(), t.TypeArgs())
	case *types.Named:
		w.writeNamed(b, t.Obj(), t.TypeArgs())
	case *types.TypeParam:
		b.WriteString(t.Obj().Name())
	case *types.Pointer:
		b.WriteByte('*')
		w.writeType(b, t.Elem())
	case *types.Slice:
		b.WriteString("[]")
		w.writeType(b, t.Elem())
	case *types.Array:
		b.WriteString("[" + strconv.FormatInt(t.Len(), 10) + "]")
		w.writeType(b, t.Elem())
	case *types.Map:
		b.WriteString("map[")
		w.writeType(b, t.Key())
		b.WriteByte(']')
		w.writeType(b, t.Elem())
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			b.WriteString("chan<- ")
		case types.RecvOnly:
			b.WriteString("<-chan ")
		default:
			if inner, ok := t.Elem().(*types.Chan); ok && inner.Dir() == types.RecvOnly {
				b.WriteString("chan (") // chan (<-chan T), not chan<- (chan T)
				w.writeType(b, t.Elem())
				b.WriteByte(')')
				return
			}
			b.WriteString("chan ")
		}
		w.writeType(b, t.Elem())
	case *types.Signature:
		b.WriteString("func")
		w.writeSignature(b, t)
	case *types.Struct:
		if t.NumFields() == 0 {
			b.WriteString("struct{}")
			return
		}
		// gofmt aligns the fields (and their tags): leave it the layout.
		w.irregular = true
		b.WriteString("struct {\n")
		for i := range t.NumFields() {
			f := t.Field(i)
			if !f.Embedded() {
				b.WriteString(f.Name() + " ")
			}
			w.writeType(b, f.Type())
			if tag := t.Tag(i); tag != "" {
				if strings.Contains(tag, "`") {
					b.WriteString(" " + strconv.Quote(tag))
				} else {
					b.WriteString(" `" + tag + "`")
				}
			}
			b.WriteByte('\n')
		}
		b.WriteByte('}')
	case *types.Interface:
		var items []string
		for i := range t.NumEmbeddeds() {
			items = append(items, w.typ(t.EmbeddedType(i)))
		}
		for i := range t.NumExplicitMethods() {
			m := t.ExplicitMethod(i)
			var mb strings.Builder
			mb.WriteString(m.Name())
			w.writeSignature(&mb, m.Type().(*types.Signature))
			items = append(items, mb.String())
		}
		switch {
		case t.IsImplicit() && len(items) == 1:
			b.WriteString(items[0]) // [T ~int | ~string]
		case len(items) == 0:
			b.WriteString("interface{}")
		default:
			w.irregular = true
			b.WriteString("interface {\n" + strings.Join(items, "\n") + "\n}")
		}
	case *types.Union:
		for i := range t.Len() {
			if i > 0 {
				b.WriteString(" | ")
			}
			term := t.Term(i)
			if term.Tilde() {
				b.WriteByte('~')
			}
			w.writeType(b, term.Type())
		}
	default:
		panic(fmt.Sprintf("throttlegen: cannot render type %T %v", t, t))
	}
}

func (w *writer) writeNamed(b *strings.Builder, obj *types.TypeName, args *types.TypeList) {
	if obj.Pkg() == nil {
		b.WriteString(obj.Name())
	} else {
		b.WriteString(w.q(obj.Pkg().Path(), obj.Name()))
	}
	if args.Len() > 0 {
		b.WriteByte('[')
		for i := range args.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			w.writeType(b, args.At(i))
		}
		b.WriteByte(']')
	}
}

// writeSignature renders the parameters and results of sig (without func),
// as gofmt does: no parentheses around one unnamed result.
func (w *writer) writeSignature(b *strings.Builder, sig *types.Signature) {
	b.WriteByte('(')
	w.writeTuple(b, sig.Params(), sig.Variadic())
	b.WriteByte(')')
	res := sig.Results()
	switch {
	case res.Len() == 0:
	case res.Len() == 1 && res.At(0).Name() == "":
		b.WriteByte(' ')
		w.writeType(b, res.At(0).Type())
	default:
		b.WriteString(" (")
		w.writeTuple(b, res, false)
		b.WriteByte(')')
	}
}

func (w *writer) writeTuple(b *strings.Builder, t *types.Tuple, variadic bool) {
	for i := range t.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		v := t.At(i)
		if v.Name() != "" {
			b.WriteString(v.Name() + " ")
		}
		if variadic && i == t.Len()-1 {
			b.WriteString("...")
			w.writeType(b, v.Type().(*types.Slice).Elem())
		} else {
			w.writeType(b, v.Type())
		}
	}
}

// typeParams renders a type parameter list with constraints, without
// brackets: T any, U ~int | ~string.
func (w *writer) typeParams(lists ...*types.TypeParamList) string {
	var parts []string
	for _, list := range lists {
		for i := range list.Len() {
			tp := list.At(i)
			parts = append(parts, tp.Obj().Name()+" "+w.typ(tp.Constraint()))
		}
	}
	return strings.Join(parts, ", ")
}

// typeParamNames renders type parameter lists without constraints, for
// instantiation, without brackets: T, U.
func typeParamNames(lists ...*types.TypeParamList) string {
	var parts []string
	for _, list := range lists {
		for i := range list.Len() {
			parts = append(parts, list.At(i).Obj().Name())
		}
	}
	return strings.Join(parts, ", ")
}

// zero renders the zero value of t.
func (w *writer) zero(t types.Type) string {
	if _, ok := types.Unalias(t).(*types.TypeParam); ok {
		return "*new(" + w.typ(t) + ")"
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return "false"
		case u.Info()&types.IsString != 0:
			return `""`
		case u.Kind() == types.UnsafePointer:
			return "nil"
		default:
			return "0"
		}
	case *types.Struct, *types.Array:
		return w.typ(t) + "{}"
	default:
		return "nil"
	}
}

// expr renders a type-checked expression written in a directive.
// Identifiers naming packages or package-level objects are qualified, so
// the expression means the same in the generated file as in the user's.
// Expressions whose spacing gofmt computes from context (binary
// operators, for one) mark the declaration irregular.
func (w *writer) expr(e ast.Expr, info *types.Info) (string, error) {
	var b strings.Builder
	err := w.writeExpr(&b, e, info)
	return b.String(), err
}

func (w *writer) writeExpr(b *strings.Builder, e ast.Expr, info *types.Info) error {
	if tv, ok := info.Types[e]; ok && tv.IsType() {
		w.writeType(b, tv.Type)
		return nil
	}
	switch e := e.(type) {
	case *ast.Ident:
		obj := info.Uses[e]
		if obj != nil && obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() && obj.Pkg().Path() != w.self {
			b.WriteString(w.q(obj.Pkg().Path(), e.Name))
		} else {
			b.WriteString(e.Name)
		}
		return nil
	case *ast.BasicLit:
		if e.Kind != token.STRING && e.Kind != token.CHAR && strings.ToLower(e.Value) != e.Value {
			w.irregular = true // gofmt lowercases prefixes and exponents: 0X1P-2
		}
		b.WriteString(e.Value)
		return nil
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			if pn, ok := info.Uses[id].(*types.PkgName); ok {
				b.WriteString(w.q(pn.Imported().Path(), e.Sel.Name))
				return nil
			}
		}
		err := w.writeExpr(b, e.X, info)
		b.WriteString("." + e.Sel.Name)
		return err
	case *ast.ParenExpr:
		if _, ok := e.X.(*ast.ParenExpr); ok {
			w.irregular = true // gofmt drops doubled parentheses
		}
		b.WriteByte('(')
		err := w.writeExpr(b, e.X, info)
		b.WriteByte(')')
		return err
	case *ast.StarExpr:
		if _, ok := e.X.(*ast.StarExpr); ok {
			w.irregular = true
		}
		b.WriteByte('*')
		return w.writeExpr(b, e.X, info)
	case *ast.UnaryExpr:
		switch e.X.(type) {
		case *ast.UnaryExpr, *ast.StarExpr:
			w.irregular = true // - -x, & *p: gofmt decides the blanks
		}
		b.WriteString(e.Op.String())
		return w.writeExpr(b, e.X, info)
	case *ast.BinaryExpr:
		w.irregular = true // spacing depends on precedence and nesting
		err1 := w.writeExpr(b, e.X, info)
		b.WriteString(" " + e.Op.String() + " ")
		err2 := w.writeExpr(b, e.Y, info)
		return firstErr(err1, err2)
	case *ast.CallExpr:
		err := w.writeExpr(b, e.Fun, info)
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			err = firstErr(err, w.writeExpr(b, a, info))
		}
		if e.Ellipsis.IsValid() {
			b.WriteString("...")
		}
		b.WriteByte(')')
		return err
	case *ast.IndexExpr:
		err1 := w.writeExpr(b, e.X, info)
		b.WriteByte('[')
		err2 := w.writeExpr(b, e.Index, info)
		b.WriteByte(']')
		return firstErr(err1, err2)
	case *ast.IndexListExpr:
		err := w.writeExpr(b, e.X, info)
		b.WriteByte('[')
		for i, ix := range e.Indices {
			if i > 0 {
				b.WriteString(", ")
			}
			err = firstErr(err, w.writeExpr(b, ix, info))
		}
		b.WriteByte(']')
		return err
	case *ast.SliceExpr:
		err := w.writeExpr(b, e.X, info)
		b.WriteByte('[')
		for i, part := range []ast.Expr{e.Low, e.High, e.Max} {
			if i > 0 && (i < 2 || e.Slice3) {
				b.WriteByte(':')
			}
			if part != nil {
				err = firstErr(err, w.writeExpr(b, part, info))
			}
		}
		b.WriteByte(']')
		return err
	case *ast.TypeAssertExpr:
		err := w.writeExpr(b, e.X, info)
		b.WriteString(".(")
		w.writeType(b, info.Types[e.Type].Type)
		b.WriteByte(')')
		return err
	case *ast.CompositeLit:
		w.writeType(b, info.Types[e].Type)
		b.WriteByte('{')
		var err error
		for i, el := range e.Elts {
			if i > 0 {
				b.WriteString(", ")
			}
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && isField(info.Uses[id]) {
					b.WriteString(id.Name)
				} else {
					err = firstErr(err, w.writeExpr(b, kv.Key, info))
				}
				b.WriteString(": ")
				err = firstErr(err, w.writeExpr(b, kv.Value, info))
			} else {
				err = firstErr(err, w.writeExpr(b, el, info))
			}
		}
		b.WriteByte('}')
		return err
	}
	return fmt.Errorf("expressions of this form (%T) are not supported in directives", e)
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
