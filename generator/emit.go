package generator

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strconv"
	"strings"
	"time"
)

// emit writes a planned file. The output is gofmt-formatted and depends
// only on the plan, so the same input gives the same bytes.
//
// The code is written as text already in gofmt's layout (one blank line
// between declarations, one statement a line, canonical spacing), so no
// formatting pass is needed: for a package of many functions, parsing and
// printing the output again would cost more than everything else the
// generator does. The few constructs whose layout gofmt computes from
// context (struct and interface literals in signatures, binary expressions
// in directive expressions, unusual literals) mark their declaration
// irregular, and only such declarations go through go/format.
func emit(fp *filePlan) ([]byte, error) {
	w := &writer{self: fp.self, imports: fp.imports, used: map[string]bool{}}
	w.buf = make([]byte, 0, 1024*(len(fp.wrappers)+1))
	w.line(0, "// Regenerate with go generate if this fails to compile: the runtime's contract changed.")
	w.line(0, "const _ = "+w.rt(contractConst))
	for _, p := range fp.pools {
		w.blank()
		w.line(0, fmt.Sprintf("// %s is the concurrency pool %q.", p.v, p.name))
		w.line(0, "var "+p.v+" = "+w.rt("NewConcurrency")+"("+w.concurrencySpec(p.name, p.dir)+")")
	}
	for _, wp := range fp.wrappers {
		start := len(w.buf)
		w.irregular = false
		e := &wrapperEmitter{writer: w, w: wp, fn: wp.fn}
		e.emit()
		if w.irregular {
			if err := w.reformat(start); err != nil {
				return nil, err
			}
		}
	}
	if w.missing != "" {
		return nil, fmt.Errorf("no import name planned for %q", w.missing)
	}

	var out bytes.Buffer
	out.Grow(len(w.buf) + 512)
	out.WriteString(header + "\n")
	if fp.buildExpr != "" {
		// Every file of the package carries this constraint: so does ours.
		out.WriteString("//go:build " + fp.buildExpr + "\n")
	}
	out.WriteString("\npackage " + fp.pkg.Name + "\n\n")
	paths := make([]string, 0, len(w.used))
	for p := range w.used {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	spec := func(path string) string {
		name := fp.imports[path]
		if name == fp.real[path] && name == lastElem(path) {
			return strconv.Quote(path)
		}
		return name + " " + strconv.Quote(path)
	}
	switch len(paths) {
	case 0:
	case 1:
		out.WriteString("import " + spec(paths[0]) + "\n\n")
	default:
		out.WriteString("import (\n")
		for _, p := range paths {
			out.WriteString("\t" + spec(p) + "\n")
		}
		out.WriteString(")\n\n")
	}
	out.Write(w.buf)
	return out.Bytes(), nil
}

// writer accumulates the text of a generated file's declarations and the
// imports they use. Not safe for concurrent use.
type writer struct {
	buf       []byte
	self      string            // the package's import path
	imports   map[string]string // import path → name, from the plan
	used      map[string]bool   // import paths referred to
	irregular bool              // the current declaration needs go/format
	missing   string            // an import path the plan did not name
}

// line writes the concatenation of parts on a line of its own, indented
// by depth tabs.
func (w *writer) line(depth int, parts ...string) {
	for range depth {
		w.buf = append(w.buf, '\t')
	}
	for _, s := range parts {
		w.buf = append(w.buf, s...)
	}
	w.buf = append(w.buf, '\n')
}

// blank separates two top-level declarations.
func (w *writer) blank() { w.buf = append(w.buf, '\n') }

// reformat runs go/format over the declarations written since start (with
// the blank line before them): they hold code whose layout gofmt computes.
func (w *writer) reformat(start int) error {
	f, err := format.Source(w.buf[start:])
	if err != nil {
		return fmt.Errorf("formatting the generated code: %w\n%s", err, w.buf[start:])
	}
	w.buf = append(append(append(w.buf[:start], '\n'), bytes.TrimSpace(f)...), '\n')
	return nil
}

// q names name of the package path, importing it.
func (w *writer) q(path, name string) string {
	if path == w.self {
		return name
	}
	w.used[path] = true
	pkg, ok := w.imports[path]
	if !ok && w.missing == "" {
		w.missing = path
	}
	return pkg + "." + name
}

// rt names an identifier of the runtime package.
func (w *writer) rt(name string) string { return w.q(runtimePath, name) }

// lastElem is the last element of an import path, the name a reader
// expects; other names get an explicit alias.
func lastElem(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// duration writes d as a multiple of its largest whole unit. spaced is
// gofmt's spacing of a product at the top level of an expression (a
// composite literal's field); false is its spacing as one of several call
// arguments.
func (w *writer) duration(d time.Duration, spaced bool) string {
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"},
		{time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}, {time.Nanosecond, "Nanosecond"}}
	for _, u := range units {
		if d%u.d == 0 {
			if d == u.d {
				return w.q("time", u.name)
			}
			if spaced {
				return strconv.FormatInt(int64(d/u.d), 10) + " * " + w.q("time", u.name)
			}
			return strconv.FormatInt(int64(d/u.d), 10) + "*" + w.q("time", u.name)
		}
	}
	return strconv.FormatInt(int64(d), 10)
}

// field is one Name: value of a composite literal.
func field(name, v string) string { return name + ": " + v }

// literal renders a composite literal.
func literal(typ string, fields []string) string {
	return typ + "{" + strings.Join(fields, ", ") + "}"
}
