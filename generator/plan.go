package generator

import (
	"go/types"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// filePlan is everything emit needs for one package's file: the names of
// every generated identifier, local variable and import, chosen so that
// none collides with the user's names.
type filePlan struct {
	cfg       *Config
	pkg       *packages.Package
	self      string // the package's import path
	out       string // the generated file's path
	buildExpr string // a //go:build expression the file carries, "" for none
	wrappers  []*wrapperPlan
	pools     []*poolPlan
	imports   map[string]string // import path → name in the generated file
	real      map[string]string // import path → the package's own name
}

// poolPlan is one concurrency limiter variable, shared by the functions
// naming its pool.
type poolPlan struct {
	name string // the pool's identity
	v    string // the package-level variable
	dir  *directive
}

// wrapperPlan is one annotated function's generated code.
type wrapperPlan struct {
	fn      *function
	name    string // the wrapper
	rateVar string
	pool    *poolPlan
	retry   string // the *Retry variable
	cache   string // the *Cache variable
	keyType string // cache key struct type
	valType string // cache value struct type
	helper  string // the per-attempt (retry) or per-miss (cache) function, "" when inline

	names   map[types.Object]string // receiver, parameters and type parameters renamed in the wrapper
	recv    string                  // the receiver's name
	params  []string                // the parameters' names in the wrapper
	ctx     string                  // the context variable
	helpCtx bool                    // the helper takes ctx as an extra first parameter
	results []string                // locals for F's results but a trailing error
	err     string
	slot    string
	tctx    string
	res     string // RunTimeout's result
	attempt string
	hit     string
	flight  string
	typed   string // a generic cached wrapper's value struct from a waited-for call
	val     string
	key     string
}

// namer hands out identifiers free in its scope and every enclosing one.
// Scopes nest (package, then each wrapper) without copying.
type namer struct {
	own    map[string]bool
	parent *namer
}

func newNamer(parent *namer) *namer { return &namer{own: map[string]bool{}, parent: parent} }

func (n *namer) taken(name string) bool {
	for s := n; s != nil; s = s.parent {
		if s.own[name] {
			return true
		}
	}
	return false
}

func (n *namer) take(name string) { n.own[name] = true }

// fresh returns base, or base followed by a number, whichever is free, and
// takes it.
func (n *namer) fresh(base string) string {
	name := base
	for i := 1; n.taken(name) || name == "_"; i++ {
		name = base + strconv.Itoa(i)
	}
	n.take(name)
	return name
}

// planFile names everything of the file for pkg's functions. top holds the
// package-level names already taken by the other files generated in the
// same directory: files compiled together never declare one name twice.
func planFile(cfg *Config, pkg *packages.Package, fns []*function, out string, top *namer) *filePlan {
	fp := &filePlan{cfg: cfg, pkg: pkg, self: pkg.PkgPath, out: out, imports: map[string]string{}}
	// Package-level names: the user's, then ours.
	for _, name := range pkg.Types.Scope().Names() {
		top.take(name)
	}
	for _, fn := range fns {
		if fn.sig.Recv() == nil {
			top.take(fn.decl.Name.Name + cfg.suffix())
		}
	}
	pools := map[string]*poolPlan{}
	for _, fn := range fns {
		w := &wrapperPlan{fn: fn, name: fn.decl.Name.Name + cfg.suffix()}
		base := "_throttle_" + fn.decl.Name.Name
		if fn.recvName != "" {
			base = "_throttle_" + fn.recvName + "_" + fn.decl.Name.Name
		}
		if len(fn.rates) > 0 {
			w.rateVar = top.fresh(base + "_rate")
		}
		if d := fn.conc; d != nil {
			if a := d.get("pool"); a != nil {
				w.pool = pools[a.s]
				if w.pool == nil {
					w.pool = &poolPlan{name: a.s, v: top.fresh("_throttle_pool_" + identPart(a.s)), dir: d}
					pools[a.s] = w.pool
					fp.pools = append(fp.pools, w.pool)
				}
			} else {
				w.pool = &poolPlan{name: fn.fullName, v: top.fresh(base + "_concurrency"), dir: d}
			}
		}
		if fn.retry != nil {
			w.retry = top.fresh(base + "_retry")
		}
		if fn.cache != nil {
			w.cache = top.fresh(base + "_cache")
			w.keyType = top.fresh(base + "_key")
			w.valType = top.fresh(base + "_value")
		}
		switch {
		case fn.retry != nil:
			w.helper = top.fresh(base + "_attempt")
		case fn.cache != nil:
			w.helper = top.fresh(base + "_call")
		}
		fp.wrappers = append(fp.wrappers, w)
	}
	// Locals: free of the package's names and of the parameters.
	taken := newNamer(top)
	for _, w := range fp.wrappers {
		planLocals(w, top)
		for _, n := range w.locals() {
			taken.take(n)
		}
		for _, n := range w.typeParamNames() {
			taken.take(n)
		}
	}
	fp.planImports(fns, taken)
	return fp
}

// planLocals names the receiver, parameters and locals of one wrapper.
func planLocals(w *wrapperPlan, top *namer) {
	fn := w.fn
	n := newNamer(top)
	nameSignature(w, n, bodyNames(w))
	if fn.ctxFirst {
		w.ctx = w.params[0]
	} else {
		w.ctx = n.fresh("ctx")
		w.helpCtx = w.helper != ""
	}
	nres := fn.sig.Results().Len()
	if fn.errLast {
		nres--
	}
	for i := range nres {
		w.results = append(w.results, n.fresh("r"+strconv.Itoa(i)))
	}
	w.err = n.fresh("err")
	if w.pool != nil {
		w.slot = n.fresh("slot")
	}
	if fn.timeout != nil {
		if fn.ctxFirst {
			w.tctx = n.fresh("tctx")
		} else {
			w.res = n.fresh("res")
		}
	}
	if fn.retry != nil {
		w.attempt = n.fresh("attempt")
	}
	if fn.cache != nil {
		w.key = n.fresh("key")
		w.val = n.fresh("v")
		w.hit = n.fresh("hit")
		w.flight = n.fresh("fl")
		if isGeneric(fn.sig) {
			w.typed = n.fresh("r")
		}
	}
}

// locals lists every name a wrapper or its helper declares.
func (w *wrapperPlan) locals() []string {
	out := append([]string{w.recv, w.ctx, w.err, w.slot, w.tctx, w.res, w.attempt, w.key, w.val, w.hit, w.flight, w.typed}, w.params...)
	return append(out, w.results...)
}

func typeParamNamesOf(sig *types.Signature) []string {
	var out []string
	for _, list := range []*types.TypeParamList{sig.RecvTypeParams(), sig.TypeParams()} {
		for i := range list.Len() {
			out = append(out, list.At(i).Obj().Name())
		}
	}
	return out
}

// planImports names every package the file may refer to, avoiding taken.
func (fp *filePlan) planImports(fns []*function, taken *namer) {
	want := map[string]string{ // path → preferred name
		runtimePath: "throttle", // the runtime is imported as throttle
		"context":   "context",
		"time":      "time",
		"errors":    "errors",
		"strconv":   "strconv",
		"net/http":  "http",
		"unsafe":    "unsafe",
	}
	addPkg := func(p *types.Package) {
		if p != nil && p.Path() != fp.self && p.Path() != runtimePath {
			want[p.Path()] = p.Name()
		}
	}
	for _, fn := range fns {
		walkSigPackages(fn.sig, addPkg)
		for _, k := range fn.exprs() {
			// The expression's own type is written too (a cache key's
			// field), and may name a package nothing else mentions.
			walkTypePackages(types.Default(k.typ), addPkg, map[types.Type]bool{})
			for _, obj := range k.info.Uses {
				if pn, ok := obj.(*types.PkgName); ok {
					addPkg(pn.Imported())
				} else if obj.Pkg() != nil {
					addPkg(obj.Pkg())
				}
			}
			for _, tv := range k.info.Types {
				if tv.IsType() {
					walkTypePackages(tv.Type, addPkg, map[types.Type]bool{})
				}
			}
		}
	}
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths) // deterministic: collisions resolve the same way every run
	fp.real = map[string]string{}
	for p, name := range want {
		fp.real[p] = name
	}
	fp.real[runtimePath] = "runtime"
	for _, p := range paths {
		fp.imports[p] = taken.fresh(want[p])
	}
}

// exprs lists fn's checked expressions, the constants and per-call values
// of numeric and duration arguments included.
func (fn *function) exprs() []*keyExpr {
	var out []*keyExpr
	for _, k := range append(append([]*keyExpr{fn.consumer, fn.priority, fn.cacheKey}, fn.rateKeys...), fn.on...) {
		if k != nil {
			out = append(out, k)
		}
	}
	for _, d := range fn.dirs {
		for _, a := range d.args {
			if a.constant != nil {
				out = append(out, a.constant)
			}
			if a.perCall != nil {
				out = append(out, a.perCall)
			}
		}
	}
	return out
}

func walkSigPackages(sig *types.Signature, add func(*types.Package)) {
	seen := map[types.Type]bool{}
	if r := sig.Recv(); r != nil {
		walkTypePackages(r.Type(), add, seen)
	}
	for _, list := range []*types.TypeParamList{sig.RecvTypeParams(), sig.TypeParams()} {
		for i := range list.Len() {
			walkTypePackages(list.At(i).Constraint(), add, seen)
		}
	}
	walkTypePackages(sig, add, seen)
}

// walkTypePackages calls add for every package t names.
func walkTypePackages(t types.Type, add func(*types.Package), seen map[types.Type]bool) {
	eachType(t, func(t types.Type) {
		switch t := t.(type) {
		case *types.Basic:
			if t.Kind() == types.UnsafePointer {
				add(types.Unsafe)
			}
		case *types.Alias:
			add(t.Obj().Pkg())
		case *types.Named:
			add(t.Obj().Pkg())
		}
	}, seen)
}

// identPart turns a pool name into part of an identifier.
func identPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
