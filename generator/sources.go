package generator

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// source is one file whose directives the generator reads, with the
// package, of whichever load, that type-checked it.
type source struct {
	pkg  *packages.Package
	file *ast.File
	name string // absolute path
	expr string // the file's build constraint, "" for none
}

// variant is a load besides the host's one: another platform, or the
// packages' tests, or both.
type variant struct {
	pl    platform
	tests bool
}

func (v variant) String() string {
	s := fmt.Sprintf("GOOS=%s GOARCH=%s", v.pl.goos, v.pl.goarch)
	if v.pl.cgo {
		s += " CGO_ENABLED=1"
	}
	if len(v.pl.tags) > 0 {
		s += " -tags=" + strings.Join(v.pl.tags, ",")
	}
	if v.tests {
		s += " with tests"
	}
	return s
}

// hostPlatform is the platform cfg's go command builds for.
func hostPlatform(cfg *Config) platform {
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	get := func(k, def string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], k+"="); ok && v != "" {
				return v
			}
		}
		return def
	}
	tags := slices.Clone(cfg.Tags)
	slices.Sort(tags)
	return platform{goos: get("GOOS", runtime.GOOS), goarch: get("GOARCH", runtime.GOARCH), cgo: get("CGO_ENABLED", "1") != "0", tags: tags}
}

// sources returns every file of the loaded packages whose directives the
// generator reads, in a deterministic order, loading more where needed:
//
//   - the files of the host's build come with the packages;
//   - a file the host's build excludes (a build constraint that does not
//     hold here) is read only when it holds a directive; it is then loaded
//     with the package on a platform where its constraint holds (see
//     findPlatform), so the output does not depend on the host, or
//     rejected when there is none;
//   - a _test.go file likewise, with the package's tests.
//
// Files holding only near-misses are not loaded again: their errors come
// from parsing them.
func sources(cfg *Config, fset *token.FileSet, pkgs []*packages.Package) ([]source, ErrorList) {
	var srcs []source
	var errs ErrorList
	host := hostPlatform(cfg)
	type want struct {
		pkgPaths map[string]bool
		files    map[string]token.Position // → its first directive
	}
	more := map[string]*want{} // by variant.String()
	variants := map[string]variant{}
	seen := map[string]bool{} // directories
	for _, p := range pkgs {
		for _, f := range p.Syntax {
			name := fset.Position(f.Package).Filename
			if cfg.isOutputName(name) && len(f.Decls) == 0 && len(f.Comments) == 0 {
				continue // our own earlier output, blanked by load
			}
			expr, _ := fileConstraint(f, name)
			srcs = append(srcs, source{pkg: p, file: f, name: name, expr: expr})
		}
		dir := pkgDir(p)
		if dir == "" || seen[dir] || p.Types == nil {
			continue
		}
		seen[dir] = true
		ignored := map[string]bool{}
		var candidates []string
		for _, name := range p.IgnoredFiles {
			if strings.HasSuffix(name, ".go") {
				ignored[name] = true
				candidates = append(candidates, name)
			}
		}
		tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, name := range tests {
			if !ignored[name] {
				candidates = append(candidates, name)
			}
		}
		for _, name := range candidates {
			src, err := os.ReadFile(name)
			if err != nil || !hasDirectiveLines(src) || (cfg.isOutputName(name) && isGenerated(src)) {
				continue
			}
			probe := token.NewFileSet()
			f, err := parser.ParseFile(probe, name, src, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				errs = append(errs, syntaxErrors(err)...)
				continue
			}
			fns, perrs := parseFile(nil, f, probe)
			if len(fns) == 0 {
				errs = append(errs, perrs...) // near-misses only: nothing to load
				continue
			}
			v := variant{pl: host, tests: strings.HasSuffix(name, "_test.go")}
			expr, why := fileConstraint(f, name)
			if ignored[name] {
				pl, ok := findPlatform(expr, host)
				if !ok {
					if why == "" {
						why = "no build constraint"
					}
					for _, fn := range fns {
						errs.add(fn.dirs[0].pos, "%s: the go command excludes %s (%s) on every platform the generator can load it for: move %s to a file that builds somewhere", fn.decl.Name.Name, filepath.Base(name), why, fn.decl.Name.Name)
					}
					continue
				}
				v.pl = pl
			}
			key := v.String()
			w := more[key]
			if w == nil {
				w = &want{pkgPaths: map[string]bool{}, files: map[string]token.Position{}}
				more[key], variants[key] = w, v
			}
			w.pkgPaths[p.PkgPath] = true
			w.files[name] = fns[0].dirs[0].pos
		}
	}
	keys := make([]string, 0, len(more))
	for k := range more {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		v, w := variants[key], more[key]
		patterns := make([]string, 0, len(w.pkgPaths))
		for path := range w.pkgPaths {
			patterns = append(patterns, path)
		}
		sort.Strings(patterns)
		loaded, lerrs := loadWith(cfg, fset, variantEnv(cfg, host, v.pl), v.pl.tags, v.tests, patterns)
		names := slices.Sorted(maps.Keys(w.files))
		for _, e := range lerrs {
			if e.Pos.Filename != "" {
				e.Msg += " (loading " + key + ")"
				errs = append(errs, e)
				continue
			}
			// Not located: say it at each directive that needed the load.
			for _, name := range names {
				errs.add(w.files[name], "cannot load %s with its package where its build constraint holds (%s): %s", filepath.Base(name), key, e.Msg)
			}
		}
		if len(lerrs) > 0 {
			continue // reported; its type information would only add noise
		}
		found := map[string]bool{}
		for _, p := range loaded {
			for _, f := range p.Syntax {
				name := fset.Position(f.Package).Filename
				if _, ok := w.files[name]; !ok || found[name] {
					continue
				}
				found[name] = true
				expr, _ := fileConstraint(f, name)
				srcs = append(srcs, source{pkg: p, file: f, name: name, expr: expr})
			}
		}
		for _, name := range names {
			if !found[name] {
				errs.add(w.files[name], "the go command leaves %s out of its package even when loading %s: move the function to a file of the package", filepath.Base(name), key)
			}
		}
	}
	return srcs, errs
}

// variantEnv is the go command's environment for loading on pl.
func variantEnv(cfg *Config, host, pl platform) []string {
	if pl.goos == host.goos && pl.goarch == host.goarch && pl.cgo == host.cgo {
		return cfg.Env
	}
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	cgo := "0"
	if pl.cgo {
		cgo = "1"
	}
	return append(slices.Clip(env), "GOOS="+pl.goos, "GOARCH="+pl.goarch, "CGO_ENABLED="+cgo)
}

// syntaxErrors turns a parser's error into located errors.
func syntaxErrors(err error) ErrorList {
	var errs ErrorList
	var list scanner.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			errs.add(e.Pos, "%s", e.Msg)
		}
		return errs
	}
	errs.add(token.Position{}, "%v", err)
	return errs
}
