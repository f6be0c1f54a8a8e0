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

// scan finds every directive of p's files: it returns the annotated
// functions in source order, and errors for malformed directives, for
// directives on anything else, and for directives in files with build
// constraints.
func scan(p *packages.Package, fset *token.FileSet, cfg *Config) ([]*function, ErrorList) {
	var fns []*function
	var errs ErrorList
	for _, f := range p.Syntax {
		filename := fset.Position(f.Package).Filename
		if filepath.Base(filename) == cfg.output() && len(f.Decls) == 0 && f.Doc == nil && len(f.Comments) == 0 {
			continue // our own earlier output, blanked by load
		}
		constrained := buildConstraint(f, filename)
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
		why := buildConstraint(f, name)
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
	return fns, errs
}

// buildConstraint describes why f is compiled only on some configurations:
// a //go:build line, a GOOS or GOARCH file name suffix, or cgo. It returns
// "" for a file compiled everywhere.
func buildConstraint(f *ast.File, filename string) string {
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				return strings.TrimSpace(c.Text)
			}
		}
	}
	if s := fileNameConstraint(filename); s != "" {
		return "file name suffix _" + s
	}
	for _, imp := range f.Imports {
		if imp.Path.Value == `"C"` {
			return `import "C" requires cgo`
		}
	}
	return ""
}

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
