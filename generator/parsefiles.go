package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/packages"
)

// function is one annotated function: its declaration, its directives, and
// what the check phase learns about it.
type function struct {
	pkg  *packages.Package
	decl *ast.FuncDecl
	pos  token.Position // of the function's name
	dirs []*directive
	// build is the //go:build expression of the function's file, "" when
	// it is compiled everywhere.
	build string

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

// parseFile finds and parses every directive of f, one file of p: it
// returns the annotated functions in source order, and errors for
// malformed or misspelt directives and for directives on anything but a
// func declaration. The generator's own earlier output, blanked by load,
// holds none.
func parseFile(p *packages.Package, f *ast.File, fset *token.FileSet) ([]*function, ErrorList) {
	var fns []*function
	var errs ErrorList
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
			if fd == nil {
				errs.add(pos, "//throttle: directive on something that is not a function: write it in the doc comment of a func declaration")
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
	return fns, errs
}

// hasDirectiveLines reports whether src holds a line that parseFile would
// take for a directive or a near-miss: a cheap test before parsing a file
// the generator does not otherwise need (an excluded file, a test file).
// A match inside a string literal is a false positive that parsing
// removes.
func hasDirectiveLines(src []byte) bool {
	for line := range bytes.Lines(src) {
		line = bytes.TrimSpace(line)
		if !bytes.HasPrefix(line, []byte("//")) {
			continue
		}
		if !bytes.ContainsRune(line, ':') {
			continue
		}
		if text := string(line); isDirective(text) {
			return true
		} else if _, bad := nearMiss(text); bad {
			return true
		}
	}
	return false
}

// String names a function for messages.
func (fn *function) String() string {
	if fn.decl.Recv != nil && fn.recvName != "" {
		return fmt.Sprintf("%s.%s", fn.recvName, fn.decl.Name.Name)
	}
	return fn.decl.Name.Name
}
