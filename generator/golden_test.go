package generator

import (
	"bytes"
	"errors"
	"flag"
	"go/format"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of testdata/*.txtar")

// Sections of a golden case holding expectations; every other section is
// an input file of the case's package.
const (
	wantErrors = "want/errors"
)

// repoRoot finds the module root above the test's working directory.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.Contains(data, []byte("module github.com/throttlegen/throttlegen\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root not found")
		}
		dir = parent
	}
}

// tempModule makes a module in a temporary directory that requires this
// repository (replaced by its working tree), so cases can import the runtime.
func tempModule(t testing.TB) (dir string, env []string) {
	root := repoRoot(t)
	dir = t.TempDir()
	gomod := "module example.com/cases\n\ngo 1.26\n\n" +
		"require (\n\tgithub.com/throttlegen/throttlegen v0.0.0\n\tgopkg.in/fakeyaml.v3 v3.0.0\n\texample.com/fake/go-redis/v9 v9.0.0\n)\n\n" +
		"replace github.com/throttlegen/throttlegen => " + root + "\n\n" +
		"replace gopkg.in/fakeyaml.v3 => ./_mods/fakeyaml\n\n" +
		"replace example.com/fake/go-redis/v9 => ./_mods/redis\n"
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	// gopkg.in-style and /vN modules whose package names differ from their
	// paths' last elements, for cases that import them.
	for _, m := range []struct{ dir, path, src string }{
		{"fakeyaml", "gopkg.in/fakeyaml.v3", "package yaml\n\ntype Node struct{ Value string }\n"},
		{"redis", "example.com/fake/go-redis/v9", "package redis\n\ntype UniversalClient interface{ Ping() error }\n"},
	} {
		fake := filepath.Join(dir, "_mods", m.dir)
		must(t, os.MkdirAll(fake, 0o755))
		must(t, os.WriteFile(filepath.Join(fake, "go.mod"), []byte("module "+m.path+"\n\ngo 1.26\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(fake, "fake.go"), []byte(m.src), 0o644))
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	return dir, append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type goldenCase struct {
	name string
	path string
	ar   *txtar.Archive
	dir  string
}

// TestGolden runs every testdata/*.txtar case: its input files form one
// package of a shared temporary module, all cases are loaded at once, and
// each case's output or errors are compared with its want/ section. Every
// expected output is then compiled and vetted, all cases in one go command.
func TestGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	must(t, err)
	if len(paths) == 0 {
		t.Fatal("no golden cases")
	}
	mod, env := tempModule(t)
	var cases []*goldenCase
	for _, p := range paths {
		ar := readCase(t, p)
		c := &goldenCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, ar: ar}
		c.dir = filepath.Join(mod, c.name)
		for _, f := range ar.Files {
			if strings.HasPrefix(f.Name, "want/") {
				continue
			}
			target := filepath.Join(c.dir, filepath.FromSlash(f.Name))
			must(t, os.MkdirAll(filepath.Dir(target), 0o755))
			must(t, os.WriteFile(target, f.Data, 0o644))
		}
		cases = append(cases, c)
	}

	cfg := &Config{Dir: mod, Patterns: []string{"./..."}, Env: env}
	pkgs, fset, loadErrs := load(cfg)
	byDir := map[string][]*packages.Package{}
	for _, p := range pkgs {
		byDir[caseOf(mod, pkgDir(p))] = append(byDir[caseOf(mod, pkgDir(p))], p)
	}
	var compile []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var errs ErrorList
			for _, e := range loadErrs {
				if caseOf(mod, e.Pos.Filename) == c.name {
					errs = append(errs, e)
				}
			}
			var files []File
			if len(errs) == 0 {
				var err error
				files, err = generate(cfg, byDir[c.name], fset)
				if err != nil && !errors.As(err, &errs) {
					t.Fatal(err)
				}
			}
			var gotErrs []byte
			gotOut := map[string][]byte{} // want/NAME → content
			if len(errs) > 0 {
				gotErrs = []byte(errs.Relative(c.dir).Error() + "\n")
				gotErrs = bytes.ReplaceAll(gotErrs, []byte(mod), []byte("$MOD"))
			} else {
				for _, f := range files {
					if rel, err := filepath.Rel(c.dir, f.Path); err == nil && !strings.HasPrefix(rel, "..") {
						gotOut["want/"+filepath.ToSlash(rel)] = f.Content
					}
				}
			}
			if *update {
				for _, f := range slices.Clone(c.ar.Files) {
					if strings.HasPrefix(f.Name, "want/") && f.Name != wantErrors && gotOut[f.Name] == nil {
						setSection(c.ar, f.Name, nil)
					}
				}
				for _, name := range slices.Sorted(maps.Keys(gotOut)) {
					setSection(c.ar, name, gotOut[name])
				}
				setSection(c.ar, wantErrors, gotErrs)
				must(t, os.WriteFile(c.path, txtar.Format(c.ar), 0o644))
			} else {
				if want := section(c.ar, wantErrors); !bytes.Equal(gotErrs, want) {
					t.Errorf("errors:\n%s\nwant:\n%s", gotErrs, want)
				}
				for _, f := range c.ar.Files {
					if strings.HasPrefix(f.Name, "want/") && f.Name != wantErrors && gotOut[f.Name] == nil {
						t.Errorf("%s was not generated", f.Name)
					}
				}
				for name, got := range gotOut {
					if want := section(c.ar, name); !bytes.Equal(got, want) {
						t.Errorf("output differs from %s (run go test -run TestGolden -update):\n%s", name, lineDiff(want, got))
					}
				}
			}
			for name, got := range gotOut {
				if formatted, err := format.Source(got); err != nil || !bytes.Equal(formatted, got) {
					t.Errorf("%s is not gofmt-formatted (%v)", name, err)
				}
				must(t, os.WriteFile(filepath.Join(c.dir, strings.TrimPrefix(name, "want/")), got, 0o644))
			}
			if len(gotOut) > 0 && len(gotErrs) == 0 {
				compile = append(compile, "./"+c.name+"/...")
			}
		})
	}
	// Cases that expect errors may not compile; leave them out.
	for _, c := range cases {
		if section(c.ar, wantErrors) != nil {
			must(t, os.RemoveAll(c.dir))
		}
	}
	if len(compile) == 0 || t.Failed() {
		return
	}
	// Cases with tests run them: the wrappers must also behave.
	var withTests []string
	for _, c := range cases {
		for _, f := range c.ar.Files {
			if strings.HasSuffix(f.Name, "_test.go") && section(c.ar, wantErrors) == nil {
				withTests = append(withTests, "./"+c.name+"/...")
				break
			}
		}
	}
	runs := [][]string{{"build", "./..."}, {"vet", "./..."}}
	if len(withTests) > 0 {
		runs = append(runs, append([]string{"test", "-count=1"}, withTests...))
	}
	for _, args := range runs {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = mod, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s of the generated outputs: %v\n%s", args[0], err, out)
		}
	}
	// Cases with constrained files are vetted on other platforms too: each
	// builds exactly the wrappers of the functions it has.
	var constrained []string
	for _, c := range cases {
		if section(c.ar, wantErrors) != nil {
			continue
		}
		for _, f := range c.ar.Files {
			if strings.HasPrefix(f.Name, "want/") && bytes.Contains(f.Data, []byte("\n//go:build ")) {
				constrained = append(constrained, "./"+c.name+"/...")
				break
			}
		}
	}
	if len(constrained) == 0 {
		return
	}
	for _, port := range crossPorts {
		cmd := exec.Command("go", append([]string{"vet"}, constrained...)...)
		cmd.Dir = mod
		cmd.Env = append(slices.Clip(env), "GOOS="+port[0], "GOARCH="+port[1], "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s GOARCH=%s go vet of the constrained cases: %v\n%s", port[0], port[1], err, out)
		}
	}
}

// crossPorts are the platforms the constrained cases are vetted on besides
// the host.
var crossPorts = [][2]string{{"windows", "amd64"}, {"darwin", "arm64"}, {"js", "wasm"}}

func caseOf(mod, path string) string {
	rel, err := filepath.Rel(mod, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]
}

func section(ar *txtar.Archive, name string) []byte {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

func setSection(ar *txtar.Archive, name string, data []byte) {
	for i, f := range ar.Files {
		if f.Name == name {
			if data == nil {
				ar.Files = append(ar.Files[:i], ar.Files[i+1:]...)
			} else {
				ar.Files[i].Data = data
			}
			return
		}
	}
	if data != nil {
		ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
	}
	sort.SliceStable(ar.Files, func(i, j int) bool {
		return !strings.HasPrefix(ar.Files[i].Name, "want/") && strings.HasPrefix(ar.Files[j].Name, "want/")
	})
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(equal lines; trailing newline differs)"
}

func itoa(n int) string { return strconv.Itoa(n) }

func readCase(t testing.TB, path string) *txtar.Archive {
	ar, err := txtar.ParseFile(path)
	must(t, err)
	return ar
}
