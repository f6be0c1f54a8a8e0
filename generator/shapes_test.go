package generator

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShapes runs the generator over every row of the shapes table and
// checks that the wrapper it writes has the row's signature, and that the
// table's renderings list every row.
func TestShapes(t *testing.T) {
	mod, env := tempModule(t)
	var src strings.Builder
	src.WriteString("package shapes\n\nimport (\n\t\"context\"\n\t\"net/http\"\n)\n\n" +
		"type User struct{}\n\ntype Client struct{}\n\ntype Set[T comparable] struct{}\n\n" +
		"var (\n\t_ context.Context\n\t_ http.Handler\n)\n")
	for _, s := range shapes {
		src.WriteString("\n//throttle:fixed_window quota=1 duration=1s\n" + s.decl + " { panic(0) }\n")
	}
	dir := filepath.Join(mod, "shapes")
	writeFileTB(t, filepath.Join(dir, "shapes.go"), src.String())
	files, err := Generate(Config{Dir: dir, Env: env})
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	if len(files) != 1 {
		t.Fatalf("%d files", len(files))
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", files[0].Content, 0)
	must(t, err)
	got := map[string]string{} // wrapper name → signature
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		fd.Body, fd.Doc = nil, nil
		var b bytes.Buffer
		must(t, printer.Fprint(&b, fset, fd))
		got[fd.Name.Name] = b.String()
	}
	for _, s := range shapes {
		name := wrapperName(s.wrapper)
		if got[name] != s.wrapper {
			t.Errorf("%s:\n  annotated %s\n  generated %s\n  table     %s", s.what, s.decl, got[name], s.wrapper)
		}
	}
	md, usage := FunctionShapes(), usageShapes()
	for _, s := range shapes {
		if !strings.Contains(md, "`"+s.wrapper+"`") || !strings.Contains(usage, "=> "+s.wrapper+"\n") {
			t.Errorf("a rendering lacks %s", s.wrapper)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Log(err)
	}
}

// wrapperName is the function name in a signature "func (r T) Name[...](...)".
func wrapperName(sig string) string {
	rest := strings.TrimPrefix(sig, "func ")
	if strings.HasPrefix(rest, "(") {
		rest = rest[strings.Index(rest, ")")+2:]
	}
	return rest[:strings.IndexAny(rest, "[(")]
}
