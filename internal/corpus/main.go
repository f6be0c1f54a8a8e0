// Command corpus is the generator's corpus check (issue 14): it copies a few
// real modules out of the module cache, annotates every function of every
// package with a directive, runs throttlegen on each package, and builds
// and vets the result. Each package is reported as generated, built and
// vetted clean, or with the first failing step and its output.
//
//	go run ./internal/corpus [-keep] [-v] [-short] [module@version ...]
//
// Run it from the repository root. Without arguments it checks the pinned
// modules below. Modules are fetched with go mod download (through the
// module proxy); the annotated copies live in a temporary directory,
// removed unless -keep is given.
//
// The directives alternate between a rate policy (gcra) and the
// concurrency policy, the two that accept every function shape; functions
// named init or main and functions without a body are left alone, as are
// _test.go files unless -tests is given (and then the functions go test
// calls by name), files only older Go releases build (//go:build !go1.N),
// which no platform lets this toolchain load, and //go:build ignore files.
// A package no file of which the host builds is built and vetted for
// darwin or windows.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// withTests is -tests: annotate _test.go files too.
var withTests bool

// modules are the modules checked by default, pinned so that a run is
// repeatable.
var modules = []string{
	"golang.org/x/time@v0.16.0",
	"golang.org/x/sync@v0.25.0",
	"github.com/google/uuid@v1.6.0",
	"github.com/pkg/errors@v0.9.1",
	"github.com/spf13/pflag@v1.1.0",
	"github.com/gorilla/mux@v1.8.1",
	"github.com/hashicorp/golang-lru/v2@v2.0.7",
	"github.com/dave/jennifer@v1.7.1",
}

// directives are put on functions in turn.
var directives = []string{
	"//throttle:gcra quota=10 duration=1s burst=20",
	"//throttle:concurrency capacity=4 queue=2",
}

func main() {
	keep := flag.Bool("keep", false, "keep the annotated copies")
	verbose := flag.Bool("v", false, "print the output of failing steps")
	short := flag.Bool("short", false, "check only the first four pinned modules (for CI)")
	flag.BoolVar(&withTests, "tests", false, "annotate the functions of _test.go files too (but TestX, BenchmarkX, ExampleX, FuzzX)")
	flag.Parse()
	mods := flag.Args()
	switch {
	case len(mods) > 0:
	case *short:
		mods = modules[:4]
	default:
		mods = modules
	}
	repo, err := os.Getwd()
	check(err)
	if _, err := os.Stat(filepath.Join(repo, "cmd", "throttlegen")); err != nil {
		fail("run corpus from the repository root")
	}
	work, err := os.MkdirTemp("", "throttlegen-corpus-")
	check(err)
	if *keep {
		fmt.Fprintf(os.Stderr, "annotated copies in %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	start := time.Now()
	tool := filepath.Join(work, "throttlegen")
	if out, err := command(repo, "go", "build", "-o", tool, "./cmd/throttlegen"); err != nil {
		fail("building throttlegen: %v\n%s", err, out)
	}
	var total tally
	for _, mod := range mods {
		t, err := checkModule(repo, work, tool, mod, *verbose)
		if err != nil {
			fail("%s: %v", mod, err)
		}
		fmt.Printf("%-32s %s\n", mod, t)
		total.add(t)
		total.failed, total.preexisting = nil, nil // listed above
	}
	fmt.Printf("%-32s %s\n", "total", total)
	fmt.Printf("%d modules\n", len(mods))
	fmt.Printf("took %s\n", time.Since(start).Round(time.Second))
	if total.pkgs != total.clean {
		os.Exit(1)
	}
}

// tally counts what a check found.
type tally struct {
	pkgs, clean  int // packages, and those generated, built and vetted clean
	funcs, wraps int // functions annotated, wrappers generated
	failed       []string
	preexisting  []string // failures of the unannotated module, not counted
}

func (t *tally) add(o tally) {
	t.pkgs += o.pkgs
	t.clean += o.clean
	t.funcs += o.funcs
	t.wraps += o.wraps
	t.failed = append(t.failed, o.failed...)
	t.preexisting = append(t.preexisting, o.preexisting...)
}

func (t tally) String() string {
	s := fmt.Sprintf("%d/%d packages clean, %d/%d functions wrapped", t.clean, t.pkgs, t.wraps, t.funcs)
	for _, f := range t.failed {
		s += "\n    " + f
	}
	for _, f := range t.preexisting {
		s += "\n    (not counted) " + f
	}
	return s
}

// checkModule copies mod into work, annotates it, and generates, builds and
// vets each of its packages.
func checkModule(repo, work, tool, mod string, verbose bool) (tally, error) {
	var t tally
	out, err := command(repo, "go", "mod", "download", "-json", mod)
	if err != nil {
		return t, fmt.Errorf("go mod download: %v\n%s", err, out)
	}
	var info struct{ Path, Dir string }
	if err := json.Unmarshal(out, &info); err != nil {
		return t, err
	}
	dir := filepath.Join(work, strings.ReplaceAll(mod, "/", "_"))
	if err := copyTree(info.Dir, dir); err != nil {
		return t, err
	}
	gomod := filepath.Join(dir, "go.mod")
	if _, err := os.Stat(gomod); err != nil {
		if err := os.WriteFile(gomod, []byte("module "+info.Path+"\n\ngo 1.26\n"), 0o644); err != nil {
			return t, err
		}
	}
	if out, err := command(dir, "go", "mod", "tidy", "-e"); err != nil {
		return t, fmt.Errorf("go mod tidy: %v\n%s", err, out)
	}
	// Required after tidying, which drops what nothing imports yet.
	old, err := os.ReadFile(gomod)
	if err != nil {
		return t, err
	}
	add := fmt.Sprintf("\nrequire github.com/throttlegen/throttlegen v0.0.0\n\nreplace github.com/throttlegen/throttlegen => %s\n", repo)
	if err := os.WriteFile(gomod, append(old, add...), 0o644); err != nil {
		return t, err
	}
	// A pristine copy: what fails there too (go vet findings in the
	// module's own tests, say) is the module's matter, not the generator's.
	orig := dir + ".orig"
	if err := copyTree(dir, orig); err != nil {
		return t, err
	}
	pkgDirs := map[string]int{} // directory → functions annotated
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != dir {
				return filepath.SkipDir // a nested module
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || (!withTests && strings.HasSuffix(name, "_test.go")) {
			return nil
		}
		n, err := annotate(path)
		if err != nil {
			return err
		}
		pkgDirs[filepath.Dir(path)] += n
		return nil
	})
	if err != nil {
		return t, err
	}
	var dirs []string
	for d := range pkgDirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		rel, _ := filepath.Rel(dir, d)
		pkg := "./" + filepath.ToSlash(rel)
		if pkgDirs[d] == 0 {
			continue
		}
		t.pkgs++
		t.funcs += pkgDirs[d]
		steps := [][]string{{tool, "-v", pkg}, {"go", "build", "-o", os.DevNull, pkg}, {"go", "vet", pkg}}
		ok := true
		for i, step := range steps {
			out, err := command(dir, step[0], step[1:]...)
			if i == 0 {
				t.wraps += countWrappers(out)
			}
			if err != nil && i > 0 && bytes.Contains(out, []byte("build constraints exclude all Go files")) {
				// A package of another platform: build and vet it there.
				for _, port := range []string{"darwin/arm64", "windows/amd64"} {
					goos, goarch, _ := strings.Cut(port, "/")
					cmd := exec.Command(step[0], step[1:]...)
					cmd.Dir = dir
					cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
					if out, err = cmd.CombinedOutput(); err == nil || !bytes.Contains(out, []byte("build constraints exclude all Go files")) {
						break
					}
				}
			}
			if err != nil && i > 0 {
				if before, berr := command(orig, step[0], step[1:]...); berr != nil && sameFindings(before, out) {
					t.preexisting = append(t.preexisting, fmt.Sprintf("%s: go %s fails before annotation too: %s", pkg, step[1], firstLine(out)))
					continue
				}
			}
			if err != nil {
				msg := fmt.Sprintf("%s: %s failed: %s", pkg, filepath.Base(step[0]), firstLine(out))
				if verbose {
					msg += "\n" + indent(string(out))
				}
				t.failed = append(t.failed, msg)
				ok = false
				break
			}
		}
		if ok {
			t.clean++
		}
	}
	return t, nil
}

// annotate puts a directive on every function of the file at path that
// has a body and can be wrapped, and returns how many.
func annotate(path string) (int, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return 0, err
	}
	if ast.IsGenerated(f) || oldGoOnly(f) {
		return 0, nil
	}
	var offsets []int
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || fd.Name.Name == "init" || fd.Name.Name == "_" || (fd.Name.Name == "main" && fd.Recv == nil) || testHook(path, fd) {
			continue
		}
		offsets = append(offsets, lineStart(src, fset.Position(fd.Pos()).Offset))
	}
	if len(offsets) == 0 {
		return 0, nil
	}
	var b bytes.Buffer
	prev := 0
	for i, off := range offsets {
		b.Write(src[prev:off])
		b.WriteString(directives[i%len(directives)] + "\n")
		prev = off
	}
	b.Write(src[prev:])
	return len(offsets), os.WriteFile(path, b.Bytes(), 0o644)
}

// ignoreTag matches a build constraint naming the ignore tag.
var ignoreTag = regexp.MustCompile(`\bignore\b`)

// positions matches the line and column of a file:line:col position.
var positions = regexp.MustCompile(`:\d+(:\d+)?`)

// sameFindings reports whether two outputs of a failing go command say the
// same, line numbers aside (annotating moves lines).
func sameFindings(a, b []byte) bool {
	return bytes.Equal(positions.ReplaceAll(a, nil), positions.ReplaceAll(b, nil))
}

// oldGoOnly reports whether f is built only by Go releases older than
// some release (//go:build !go1.22), which the running toolchain cannot
// load on any platform (the generator rejects directives there by design,
// docs/spec.md §3), or is no part of its package (//go:build ignore, by
// convention a program of its own): the corpus leaves such files alone.
func oldGoOnly(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if (constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text)) && (strings.Contains(c.Text, "!go1.") || ignoreTag.MatchString(c.Text)) {
				return true
			}
		}
	}
	return false
}

// testHook reports whether fd is a function go test calls by its name
// (TestX, BenchmarkX, ExampleX, FuzzX, TestMain): its wrapper would be
// taken for one too, with the wrong signature.
func testHook(path string, fd *ast.FuncDecl) bool {
	if !strings.HasSuffix(path, "_test.go") || fd.Recv != nil {
		return false
	}
	for _, prefix := range []string{"Test", "Benchmark", "Example", "Fuzz"} {
		if strings.HasPrefix(fd.Name.Name, prefix) {
			return true
		}
	}
	return false
}

// lineStart is the offset of the start of the line holding off.
func lineStart(src []byte, off int) int {
	return bytes.LastIndexByte(src[:off], '\n') + 1
}

// countWrappers reads throttlegen -v's lines: "FILE: wrote, N wrappers: ...".
func countWrappers(out []byte) int {
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		var k int
		if i := strings.Index(line, ", "); i >= 0 {
			if _, err := fmt.Sscanf(line[i+2:], "%d wrapper", &k); err == nil {
				n += k
			}
		}
	}
	return n
}

// copyTree copies the module at from, read-only in the module cache, to a
// writable to.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// command runs name in dir with GOWORK off and returns its combined output.
func command(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	return cmd.CombinedOutput()
}

func firstLine(out []byte) string {
	s := strings.TrimSpace(string(out))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n      ")
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "corpus: "+format+"\n", args...)
	os.Exit(2)
}
