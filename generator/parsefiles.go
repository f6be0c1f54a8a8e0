package generator

import (
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

// function is one annotated function: its declaration, its directives, and
// what the check phase learns about it.
type function struct {
	pkg  *packages.Package
	decl *ast.FuncDecl
	pos  token.Position // of the function's name
	dirs []*directive

	// Filled in by check.
	obj      *types.Func
	sig      *types.Signature
	fullName string // importpath.Func or importpath.Type.Method
	recvName string // the receiver's base type name, "" for functions
	ctxFirst bool   // the first parameter is a context.Context
	http     bool   // shaped func(http.ResponseWriter, *http.Request)
	errLast  bool   // the last result is error

	rates   []*directive
	conc    *directive
	retry   *directive
	timeout *directive
	cache   *directive

	rateKeys []*keyExpr // per rate directive; nil when unkeyed
	consumer *keyExpr
	priority *keyExpr
	cacheKey *keyExpr // nil: all parameters
	on       []*keyExpr
}

// parseFiles finds and parses every directive of p's files: it returns the annotated
// functions in source order, and errors for malformed directives, for
// directives on anything else, and for directives in files with build
// constraints.
//
// When every file of the package carries the same build constraint, the
// package exists only where it holds: directives are accepted, and the
// constraint is returned for the generated file to carry too.
func parseFiles(p *packages.Package, fset *token.FileSet, cfg *Config) ([]*function, string, ErrorList) {
	var fns []*function
	var errs ErrorList
	pkgExpr := packageConstraint(p, fset, cfg)
	for _, f := range p.Syntax {
		filename := fset.Position(f.Package).Filename
		if filepath.Base(filename) == cfg.output() && len(f.Decls) == 0 && f.Doc == nil && len(f.Comments) == 0 {
			continue // our own earlier output, blanked by load
		}
		expr, constrained := fileConstraint(f, filename)
		if pkgExpr != "" && sameConstraint(expr, pkgExpr) {
			constrained = ""
		}
		docs := map[*ast.CommentGroup]*ast.FuncDecl{}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
				docs[fd.Doc] = fd
			}
		}
		for _, cg := range f.Comments {
			var fn *function
			fd := docs[cg]
			for _, c := range cg.List {
				if !isDirective(c.Text) {
					if msg, bad := nearMiss(c.Text); bad {
						errs.add(fset.Position(c.Slash), "%s", msg)
					}
					continue
				}
				pos := fset.Position(c.Slash)
				d, derrs := parseDirective(c.Text, pos)
				errs = append(errs, derrs...)
				switch {
				case fd == nil:
					errs.add(pos, "//throttle: directive on something that is not a function: write it in the doc comment of a func declaration")
					continue
				case constrained != "":
					errs.add(pos, "//throttle: directive in a file with a build constraint (%s): the wrapper in %s would not compile where this file is excluded; move %s to a file without build constraints", constrained, cfg.output(), fd.Name.Name)
					continue
				}
				if fn == nil {
					fn = &function{pkg: p, decl: fd, pos: fset.Position(fd.Name.Pos())}
					fns = append(fns, fn)
				}
				if d != nil {
					fn.dirs = append(fn.dirs, d)
				}
			}
		}
	}
	// Files the build configuration excludes are not type-checked, so a
	// directive there cannot be honoured on every platform.
	for _, name := range p.IgnoredFiles {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		expr, why := fileConstraint(f, name)
		if pkgExpr != "" && sameConstraint(expr, pkgExpr) {
			why = "the package's constraint " + pkgExpr + " excludes it here: run throttlegen where it holds (GOOS, GOARCH, -tags)"
		}
		if why == "" {
			why = "excluded by the current build configuration"
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if isDirective(c.Text) {
					errs.add(fset.Position(c.Slash), "//throttle: directive in a file with a build constraint (%s): the wrapper in %s would not compile where this file is excluded; move the function to a file without build constraints", why, cfg.output())
				}
			}
		}
	}
	return fns, pkgExpr, errs
}

// fileConstraint returns the build constraint of f as one expression in
// //go:build syntax (its //go:build or +build lines, its GOOS/GOARCH file
// name suffix, cgo), and a description for messages; "" for a file
// compiled everywhere.
func fileConstraint(f *ast.File, filename string) (expr, desc string) {
	var parts, descs []string
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				if x, err := constraint.Parse(c.Text); err == nil {
					parts = append(parts, x.String())
				} else {
					parts = append(parts, strings.TrimSpace(c.Text))
				}
				if len(descs) == 0 {
					descs = append(descs, strings.TrimSpace(c.Text))
				}
			}
		}
	}
	if s := fileNameConstraint(filename); s != "" {
		parts = append(parts, strings.ReplaceAll(s, "_", " && "))
		descs = append(descs, "file name suffix _"+s)
	}
	for _, imp := range f.Imports {
		if imp.Path.Value == `"C"` {
			parts = append(parts, "cgo")
			descs = append(descs, `import "C" requires cgo`)
		}
	}
	if len(parts) == 0 {
		return "", ""
	}
	if len(parts) > 1 {
		for i, p := range parts {
			parts[i] = "(" + p + ")"
		}
		if x, err := constraint.Parse("//go:build " + strings.Join(parts, " && ")); err == nil {
			return x.String(), strings.Join(descs, ", ")
		}
	}
	return parts[0], strings.Join(descs, ", ")
}

// packageConstraint returns the build constraint every Go file of p
// carries, or "" when the files differ (or carry none).
func packageConstraint(p *packages.Package, fset *token.FileSet, cfg *Config) string {
	// The files packages.Load parsed are not read again.
	parsed := make(map[string]*ast.File, len(p.Syntax))
	for _, f := range p.Syntax {
		if tf := fset.File(f.Package); tf != nil {
			parsed[tf.Name()] = f
		}
	}
	own := token.NewFileSet()
	common, first := "", true
	for _, files := range [][]string{p.GoFiles, p.IgnoredFiles} {
		for _, name := range files {
			base := filepath.Base(name)
			if !strings.HasSuffix(base, ".go") || strings.HasSuffix(base, "_test.go") || base == cfg.output() {
				continue
			}
			f := parsed[name]
			if f == nil {
				var err error
				f, err = parser.ParseFile(own, name, nil, parser.ImportsOnly|parser.ParseComments)
				if err != nil {
					return ""
				}
			}
			expr, _ := fileConstraint(f, name)
			if first {
				common, first = expr, false
			} else if !sameConstraint(expr, common) {
				return ""
			}
		}
	}
	return common
}

// sameConstraint reports whether two //go:build expressions hold on the
// same platforms: they agree for every GOOS, GOARCH and cgo setting and
// every combination of the other tags they name (up to a few; beyond that
// they must read the same).
func sameConstraint(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	xa, erra := constraint.Parse("//go:build " + a)
	xb, errb := constraint.Parse("//go:build " + b)
	if erra != nil || errb != nil {
		return false
	}
	extra := map[string]bool{}
	collect := func(tag string) bool {
		if !knownOS[tag] && !knownArch[tag] && tag != "cgo" && tag != "unix" && !strings.HasPrefix(tag, "go1.") {
			extra[tag] = false
		}
		return false
	}
	xa.Eval(collect)
	xb.Eval(collect)
	if len(extra) > 4 {
		return false
	}
	var tags []string
	for t := range extra {
		tags = append(tags, t)
	}
	for goos := range knownOS {
		for goarch := range knownArch {
			for _, cgo := range []bool{false, true} {
				for mask := 0; mask < 1<<len(tags); mask++ {
					ok := func(tag string) bool {
						switch {
						case tag == goos || tag == goarch || strings.HasPrefix(tag, "go1."):
							return true
						case tag == "cgo":
							return cgo
						case tag == "unix":
							return unixOS[goos]
						case tag == "linux":
							return goos == "android"
						case tag == "darwin":
							return goos == "ios"
						case tag == "solaris":
							return goos == "illumos"
						}
						for i, t := range tags {
							if t == tag {
								return mask&(1<<i) != 0
							}
						}
						return false
					}
					if xa.Eval(ok) != xb.Eval(ok) {
						return false
					}
				}
			}
		}
	}
	return true
}

var unixOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "linux", "netbsd", "openbsd", "solaris")

// fileNameConstraint returns the GOOS/GOARCH suffix of a file name, as
// go/build interprets it, or "".
func fileNameConstraint(filename string) string {
	name := strings.TrimSuffix(filepath.Base(filename), ".go")
	name = strings.TrimSuffix(name, "_test")
	parts := strings.Split(name, "_")
	if len(parts) < 2 {
		return ""
	}
	last := parts[len(parts)-1]
	if knownArch[last] {
		if len(parts) >= 3 && knownOS[parts[len(parts)-2]] {
			return parts[len(parts)-2] + "_" + last
		}
		return last
	}
	if knownOS[last] {
		return last
	}
	return ""
}

var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
	"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
	"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// String names a function for messages.
func (fn *function) String() string {
	if fn.decl.Recv != nil && fn.recvName != "" {
		return fmt.Sprintf("%s.%s", fn.recvName, fn.decl.Name.Name)
	}
	return fn.decl.Name.Name
}
