package spectest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// knownDeviations are packages of edges.txtar that fail for a reported
// reason; their subtests skip while they fail. Remove an entry once fixed.
var knownDeviations = map[string]string{}

// TestEdgeSignatures generates each package of testdata/edges.txtar on its
// own and builds them all at once, reporting each package as a subtest.
func TestEdgeSignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module")
	}
	t.Parallel()
	dir := newModule(t, "edges.txtar")
	pkgs := packageDirs(t, dir)
	gen := map[string]result{}
	for _, p := range pkgs {
		gen[p] = run(t, filepath.Join(dir, p), nil, "throttlegen")
	}
	build := run(t, dir, nil, "go", "vet", "./...")
	unformatted := run(t, dir, nil, "gofmt", "-l", ".").stdout
	for _, p := range pkgs {
		t.Run(p, func(t *testing.T) {
			var problem string
			switch {
			case gen[p].code != 0:
				problem = fmt.Sprintf("throttlegen: %v", gen[p])
			case !exists(filepath.Join(dir, p, "throttle_gen.go")):
				problem = "no throttle_gen.go"
			case strings.Contains(build.stderr, "example.com/m/"+p+"\n") || strings.Contains(build.stderr, "example.com/m/"+p+"]"):
				problem = fmt.Sprintf("the generated code does not build:\n%s\n%s", build.stderr, readFile(t, filepath.Join(dir, p, "throttle_gen.go")))
			}
			if problem == "" {
				if missing := missingWrappers(t, filepath.Join(dir, p)); len(missing) > 0 {
					problem = fmt.Sprintf("no wrapper for %v", missing)
				}
			}
			if problem == "" && strings.Contains(unformatted, p+"/throttle_gen.go") {
				problem = "throttle_gen.go is not gofmt-formatted"
			}
			if msg, ok := knownDeviations[p]; ok && problem != "" {
				t.Skip(msg + "\n" + problem)
			}
			if problem != "" {
				t.Error(problem)
			}
		})
	}
	if build.code != 0 && !strings.Contains(build.stderr, "example.com/m/") {
		t.Errorf("go vet ./...: %v", build)
	}
}

// missingWrappers lists the functions of the package in dir whose doc
// comment holds a //throttle: line but that have no <name>Throttled wrapper
// in throttle_gen.go.
func missingWrappers(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	wrappers := map[string]bool{}
	if f, err := parser.ParseFile(fset, filepath.Join(dir, "throttle_gen.go"), nil, 0); err == nil {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				wrappers[fd.Name.Name] = true
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var missing []string
	for _, name := range files {
		if strings.HasSuffix(name, "_gen.go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Doc == nil {
				continue
			}
			for _, c := range fd.Doc.List {
				if strings.HasPrefix(c.Text, "//throttle:") {
					if !wrappers[fd.Name.Name+"Throttled"] {
						missing = append(missing, fd.Name.Name)
					}
					break
				}
			}
		}
	}
	return missing
}
