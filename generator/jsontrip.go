package generator

import (
	"go/types"
	"reflect"
	"strconv"
)

// jsonLoss says why a value of type t would not come back unchanged from
// encoding/json (Marshal, then Unmarshal into a t), as cache store=shared
// needs of its keys and results; "" when it would. field is the field
// being walked ("" for the value itself); the answer names the field at
// fault, e.g. "field User.secret is unexported, so encoding/json drops it".
//
// The model is encoding/json's: exported fields (also those promoted from
// embedded structs) are kept unless tagged json:"-"; unexported ones are
// dropped; channels, functions, complex numbers and unsafe pointers cannot
// be encoded; an interface cannot be decoded into its dynamic type; map keys
// must be strings, integers or encoding.TextMarshalers. A named type with
// both MarshalJSON and UnmarshalJSON (or both text methods), such as
// time.Time, is trusted to round-trip.
func jsonLoss(t types.Type, field string, seen map[types.Type]bool) string {
	if seen[t] {
		return ""
	}
	seen[t] = true
	if roundTripsItself(t) {
		return ""
	}
	what := "it"
	if field != "" {
		what = "field " + field
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsComplex != 0:
			return what + " is a complex number, which encoding/json cannot encode"
		case u.Kind() == types.UnsafePointer:
			return what + " is an unsafe.Pointer, which encoding/json cannot encode"
		}
	case *types.Pointer:
		return jsonLoss(u.Elem(), field, seen)
	case *types.Slice:
		return jsonLoss(u.Elem(), field, seen)
	case *types.Array:
		return jsonLoss(u.Elem(), field, seen)
	case *types.Map:
		if !jsonMapKey(u.Key()) {
			return what + " is a map whose keys encoding/json cannot encode"
		}
		return jsonLoss(u.Elem(), field, seen)
	case *types.Chan:
		return what + " is a channel, which encoding/json cannot encode"
	case *types.Signature:
		return what + " is a function, which encoding/json cannot encode"
	case *types.Interface:
		return what + " is an interface, which encoding/json cannot decode back into its dynamic type"
	case *types.Struct:
		owner := "struct"
		if n, ok := types.Unalias(t).(*types.Named); ok {
			owner = n.Obj().Name()
		}
		for i := range u.NumFields() {
			f := u.Field(i)
			name := owner + "." + f.Name()
			switch tag := reflect.StructTag(u.Tag(i)).Get("json"); {
			case tag == "-":
				return "field " + name + " is tagged json:\"-\", so encoding/json drops it"
			case f.Embedded() && !f.Exported():
				// encoding/json promotes the exported fields of an
				// embedded struct (or pointer to one), even unexported.
				if _, ok := derefStruct(f.Type()); !ok {
					return "field " + name + " is unexported, so encoding/json drops it"
				}
			case !f.Exported():
				return "field " + name + " is unexported, so encoding/json drops it"
			}
			if why := jsonLoss(f.Type(), name, seen); why != "" {
				return why
			}
		}
	}
	return ""
}

func derefStruct(t types.Type) (*types.Struct, bool) {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	s, ok := t.Underlying().(*types.Struct)
	return s, ok
}

// roundTripsItself reports whether t (or *t) has both MarshalJSON and
// UnmarshalJSON, or both MarshalText and UnmarshalText.
func roundTripsItself(t types.Type) bool {
	if _, ok := types.Unalias(t).(*types.Named); !ok {
		return false
	}
	has := func(name string) bool {
		obj, _, _ := types.LookupFieldOrMethod(t, true, nil, name)
		_, ok := obj.(*types.Func)
		return ok
	}
	return has("MarshalJSON") && has("UnmarshalJSON") || has("MarshalText") && has("UnmarshalText")
}

// jsonMapKey reports whether encoding/json encodes and decodes map keys of
// type t.
func jsonMapKey(t types.Type) bool {
	if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&(types.IsString|types.IsInteger) != 0 {
		return true
	}
	return roundTripsItself(t)
}

// sharedCacheLoss checks cache store=shared's key and results: the first
// that would not make the round trip through encoding/json, and why; ""
// when all would.
func sharedCacheLoss(fn *function) string {
	check := func(what string, t types.Type) string {
		if why := jsonLoss(t, "", map[types.Type]bool{}); why != "" {
			return what + " (" + typeString(fn, t) + "): " + why
		}
		return ""
	}
	var loss []string
	if fn.cacheKey != nil {
		loss = append(loss, check("the key", types.Default(fn.cacheKey.typ)))
	} else {
		for _, v := range cacheParams(fn) {
			what := "parameter " + v.Name()
			if v == fn.sig.Recv() {
				what = "the receiver " + v.Name()
			}
			loss = append(loss, check(what, v.Type()))
		}
	}
	results := fn.sig.Results()
	for i := range results.Len() {
		if i == results.Len()-1 && fn.errLast {
			break
		}
		loss = append(loss, check("result "+strconv.Itoa(i+1), results.At(i).Type()))
	}
	for _, l := range loss {
		if l != "" {
			return l
		}
	}
	return ""
}
