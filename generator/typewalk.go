package generator

import "go/types"

// eachType calls visit for t and, once each, every type t is built from:
// elements, keys, parameters and results, fields, embedded types and
// methods, union terms and type arguments. It does not enter a named type's
// underlying type, so recursive types end.
func eachType(t types.Type, visit func(types.Type), seen map[types.Type]bool) {
	if t == nil || seen[t] {
		return
	}
	seen[t] = true
	visit(t)
	walk := func(t types.Type) { eachType(t, visit, seen) }
	switch t := t.(type) {
	case *types.Alias:
		for i := range t.TypeArgs().Len() {
			walk(t.TypeArgs().At(i))
		}
	case *types.Named:
		for i := range t.TypeArgs().Len() {
			walk(t.TypeArgs().At(i))
		}
	case *types.Pointer:
		walk(t.Elem())
	case *types.Slice:
		walk(t.Elem())
	case *types.Array:
		walk(t.Elem())
	case *types.Map:
		walk(t.Key())
		walk(t.Elem())
	case *types.Chan:
		walk(t.Elem())
	case *types.Signature:
		for _, tu := range []*types.Tuple{t.Params(), t.Results()} {
			for i := range tu.Len() {
				walk(tu.At(i).Type())
			}
		}
	case *types.Struct:
		for i := range t.NumFields() {
			walk(t.Field(i).Type())
		}
	case *types.Interface:
		for i := range t.NumEmbeddeds() {
			walk(t.EmbeddedType(i))
		}
		for i := range t.NumExplicitMethods() {
			walk(t.ExplicitMethod(i).Type())
		}
	case *types.Union:
		for i := range t.Len() {
			walk(t.Term(i).Type())
		}
	}
}
