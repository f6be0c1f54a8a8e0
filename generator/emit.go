package generator

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dave/jennifer/jen"
)

// emit renders a planned file with jennifer. The output is gofmt-formatted
// and depends only on the plan, so the same input gives the same bytes.
//
// For large packages the work is spread over every CPU: each wrapper's
// declarations are built in parallel (wrapperChunks), the file is rendered
// once, unformatted, and gofmt then runs over one wrapper at a time in
// parallel (formatChunks), which gives the bytes gofmt of the whole file
// would. Nothing is kept between runs.
func emit(fp *filePlan) ([]byte, error) {
	f := jen.NewFilePathName(fp.self, fp.pkg.Name)
	f.HeaderComment(header[len("// "):])
	if fp.buildExpr != "" {
		// The functions' file carries this constraint: so does ours.
		f.HeaderComment("//go:build " + fp.buildExpr)
	}
	for path, name := range fp.imports {
		if name == fp.real[path] && name == lastElem(path) {
			f.ImportName(path, name)
		} else {
			f.ImportAlias(path, name)
		}
	}
	f.Comment("Regenerate with go generate if this fails to compile: the runtime's contract changed.")
	f.Const().Id("_").Op("=").Add(rt(contractConst))
	for _, p := range fp.pools {
		f.Line()
		f.Commentf("%s is the concurrency pool %q.", p.v, p.name)
		f.Var().Id(p.v).Op("=").Add(rt("NewConcurrency")).Call(concurrencySpec(&renderer{self: fp.self}, p.name, p.dir))
	}
	for _, c := range wrapperChunks(fp) {
		f.Comment(chunkMark[len("// "):])
		f.Add(c)
	}
	f.NoFormat = true
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, err
	}
	out, err := formatChunks(buf.Bytes())
	if err != nil {
		return nil, err
	}
	if err := checkImports(out, fp); err != nil {
		return nil, err
	}
	return out, nil
}

// checkImports makes sure the file imports only packages the plan named,
// under the names it chose: jennifer would invent a name for any other
// package, and that name could collide with one of the user's. A miss is
// the generator's bug, reported rather than written. Only the header is
// parsed.
func checkImports(src []byte, fp *filePlan) error {
	f, err := parser.ParseFile(token.NewFileSet(), fp.out, src, parser.ImportsOnly)
	if err != nil {
		return fmt.Errorf("reading the generated imports: %w", err)
	}
	for _, spec := range f.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		name, ok := fp.imports[path]
		if !ok {
			return fmt.Errorf("no import name planned for %q", path)
		}
		if spec.Name != nil && spec.Name.Name != name {
			return fmt.Errorf("import %q named %s, planned %s", path, spec.Name.Name, name)
		}
	}
	return nil
}

// wrapperChunks builds each wrapper's jennifer declarations, on every
// CPU: building reads only the plan and type-checked types. Each chunk is
// a group of declarations; rendered in the file, its package references
// take the file's import names.
func wrapperChunks(fp *filePlan) []jen.Code {
	chunks := make([]jen.Code, len(fp.wrappers))
	workers := min(runtime.GOMAXPROCS(0), len(fp.wrappers))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(chunks); i = int(next.Add(1) - 1) {
				w := fp.wrappers[i]
				g := jen.NewFile(fp.pkg.Name) // only a container of declarations
				(&wrapperEmitter{fp: fp, w: w, fn: w.fn, r: &renderer{self: fp.self, names: w.names}}).emit(g)
				chunks[i] = g.Group
			}
		})
	}
	wg.Wait()
	return chunks
}

// lastElem is the last element of an import path, the name a reader
// expects; other names get an explicit alias.
func lastElem(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// rt names an identifier of the runtime package.
func rt(name string) *jen.Statement { return jen.Qual(runtimePath, name) }

// durationCode writes d as a multiple of its largest whole unit.
func durationCode(d time.Duration) jen.Code {
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"},
		{time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}, {time.Nanosecond, "Nanosecond"}}
	for _, u := range units {
		if d%u.d == 0 {
			if d == u.d {
				return jen.Qual("time", u.name)
			}
			return jen.Lit(int(d/u.d)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Lit(int(d))
}

// field is one Name: value of a composite literal.
func field(name string, v jen.Code) jen.Code { return jen.Id(name).Op(":").Add(v) }
