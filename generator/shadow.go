package generator

import (
	"go/types"
	"strconv"
)

// This file keeps a wrapper's own names from shadowing the names its body
// uses (SPEC §3: every shape compiles).
//
// Model: a wrapper is declared with F's receiver, type parameters and
// parameters, but its body (and its helper's, and its cache's key and value
// types, which take F's type parameters) also refers to names F's body never
// did: F itself, the package-level variables, types and helpers generated
// for it, the predeclared identifiers (error, nil, new, string, int64, ...),
// the package's own types that its results and its directives' expressions
// have, and the package-level objects those expressions name. A receiver,
// type parameter or parameter of F spelled like one of those is renamed in
// the wrapper (Slice becomes Slice1); everything the wrapper writes for it
// (declarations, the call of F, directive expressions) uses the new name
// through renderer.names. Imports are planned afterwards, around every name
// a wrapper declares (planImports), and locals are fresh in the same scope,
// so neither can shadow either.

// bodyNames lists the names w's generated code refers to besides F's
// receiver, type parameters and parameters.
func bodyNames(w *wrapperPlan) map[string]bool {
	fn := w.fn
	used := map[string]bool{}
	for _, name := range types.Universe.Names() {
		used[name] = true
	}
	if fn.sig.Recv() == nil {
		used[fn.decl.Name.Name] = true
	}
	for _, name := range []string{w.rateVar, w.retry, w.cache, w.keyType, w.valType, w.helper} {
		used[name] = true
	}
	if w.pool != nil {
		used[w.pool.v] = true
	}
	self := fn.pkg.Types
	seen := map[types.Type]bool{}
	addType := func(t types.Type) {
		eachType(t, func(t types.Type) {
			var obj *types.TypeName
			switch t := t.(type) {
			case *types.Named:
				obj = t.Obj()
			case *types.Alias:
				obj = t.Obj()
			}
			if obj != nil && obj.Pkg() == self {
				used[obj.Name()] = true
			}
		}, seen)
	}
	// The type parameters' scope holds the whole signature, constraints
	// included.
	if r := fn.sig.Recv(); r != nil {
		addType(r.Type())
	}
	for _, list := range []*types.TypeParamList{fn.sig.RecvTypeParams(), fn.sig.TypeParams()} {
		for i := range list.Len() {
			addType(list.At(i).Constraint())
		}
	}
	addType(fn.sig)
	for _, k := range fn.exprs() {
		addType(types.Default(k.typ))
		for _, obj := range k.info.Uses {
			if obj.Pkg() == self && obj.Parent() == self.Scope() {
				used[obj.Name()] = true
			}
		}
		for _, tv := range k.info.Types {
			if tv.IsType() {
				addType(tv.Type)
			}
		}
	}
	delete(used, "")
	return used
}

// nameSignature names w's receiver, type parameters and parameters in n:
// each keeps its name unless used holds it; blank and unnamed ones get
// fresh names. Renamed objects are recorded in w.names.
func nameSignature(w *wrapperPlan, n *namer, used map[string]bool) {
	sig := w.fn.sig
	var tparams []*types.TypeName
	for _, list := range []*types.TypeParamList{sig.RecvTypeParams(), sig.TypeParams()} {
		for i := range list.Len() {
			tparams = append(tparams, list.At(i).Obj())
		}
	}
	reserveNames(n, used, tparams, sig)
	for _, tp := range tparams {
		renameIfUsed(w, n, used, tp)
	}
	if r := sig.Recv(); r != nil && named(r) {
		w.recv = renameIfUsed(w, n, used, r)
	} else if r != nil {
		w.recv = n.fresh("recv")
	}
	w.params = make([]string, sig.Params().Len())
	for i := range sig.Params().Len() {
		if v := sig.Params().At(i); named(v) {
			w.params[i] = renameIfUsed(w, n, used, v)
		} else {
			w.params[i] = n.fresh(unnamedParamBase(w.fn, i))
		}
	}
}

// reserveNames takes, in n, every used name and every name of the
// signature: a rename is fresh of them all.
func reserveNames(n *namer, used map[string]bool, tparams []*types.TypeName, sig *types.Signature) {
	for name := range used {
		n.take(name)
	}
	for _, tp := range tparams {
		n.take(tp.Name())
	}
	if r := sig.Recv(); r != nil && named(r) {
		n.take(r.Name())
	}
	for i := range sig.Params().Len() {
		if v := sig.Params().At(i); named(v) {
			n.take(v.Name())
		}
	}
}

// renameIfUsed returns obj's name in the wrapper: its own, or, when used
// holds it, a fresh one recorded in w.names.
func renameIfUsed(w *wrapperPlan, n *namer, used map[string]bool, obj types.Object) string {
	if !used[obj.Name()] {
		return obj.Name()
	}
	name := n.fresh(obj.Name())
	if w.names == nil {
		w.names = map[types.Object]string{}
	}
	w.names[obj] = name
	return name
}

// unnamedParamBase is the name an unnamed or blank parameter i gets in the
// wrapper (numbered if taken).
func unnamedParamBase(fn *function, i int) string {
	switch {
	case i == 0 && fn.ctxFirst:
		return "ctx"
	case fn.http && i == 0:
		return "w"
	case fn.http && i == 1:
		return "r"
	}
	return "p" + strconv.Itoa(i)
}

// named reports whether v has a name the wrapper can refer to.
func named(v *types.Var) bool { return v.Name() != "" && v.Name() != "_" }

// typeParamNames lists the wrapper's names of F's type parameters.
func (w *wrapperPlan) typeParamNames() []string {
	var out []string
	for _, list := range []*types.TypeParamList{w.fn.sig.RecvTypeParams(), w.fn.sig.TypeParams()} {
		for i := range list.Len() {
			obj := list.At(i).Obj()
			if name, ok := w.names[obj]; ok {
				out = append(out, name)
			} else {
				out = append(out, obj.Name())
			}
		}
	}
	return out
}
