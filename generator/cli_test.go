package generator

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// run calls Run and returns its status and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, path, content string) { writeFileTB(t, path, content) }

func writeFileTB(t testing.TB, path, content string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, []byte(content), 0o644))
}

const cliSource = `package app

import "context"

//throttle:gcra quota=10 duration=1s key=tenant
func GetUser(ctx context.Context, tenant string) (string, error) { return tenant, nil }
`

// TestRun drives the command through a package's whole life: -check on a
// missing file, generation, -check up to date and stale, directive errors
// (nothing written), a left-over file, removal, and files not ours.
func TestRun(t *testing.T) {
	mod, env := tempModule(t)
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "GOFLAGS" || k == "GOWORK") {
			t.Setenv(k, v)
		}
	}
	dir := filepath.Join(mod, "app")
	writeFile(t, filepath.Join(dir, "app.go"), cliSource)
	t.Chdir(dir)
	out := filepath.Join(dir, DefaultOutput)

	if code, stdout, _ := run(t, "-version"); code != ExitOK || !strings.Contains(stdout, Version) {
		t.Errorf("-version: %d %q", code, stdout)
	}
	if code, _, stderr := run(t, "-nope"); code != ExitUsage || !strings.Contains(stderr, "-nope") {
		t.Errorf("bad flag: %d %q", code, stderr)
	}
	if code, _, _ := run(t, "-output", "sub/x.go"); code != ExitUsage {
		t.Errorf("-output with a directory: %d, want %d", code, ExitUsage)
	}
	if code, _, _ := run(t, "-suffix", "-x"); code != ExitUsage {
		t.Errorf("bad -suffix: %d, want %d", code, ExitUsage)
	}
	if code, _, stderr := run(t, "-h"); code != ExitOK || !strings.Contains(stderr, "leaky_bucket") || !strings.Contains(stderr, "-check") {
		t.Errorf("-h: %d %q", code, stderr)
	} else {
		// A manual: exit statuses and an example, as the sections say.
		for _, want := range []string{"Exit status:", "  0 ", "  1 ", "  2 ", "Example:", "//go:generate go tool throttlegen", "//throttle:gcra "} {
			if !strings.Contains(stderr, want) {
				t.Errorf("-h does not say %q:\n%s", want, stderr)
			}
		}
	}

	if code, _, stderr := run(t, "-check"); code != ExitFail || !strings.Contains(stderr, DefaultOutput+": missing") {
		t.Fatalf("-check before generating: %d %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("-check wrote the file")
	}
	// Silent by default, as go generate tools are; -v says what it wrote.
	if code, stdout, stderr := run(t); code != ExitOK || stdout != "" || stderr != "" {
		t.Fatalf("generate: %d %q %q, want silence", code, stdout, stderr)
	}
	must(t, os.Remove(out))
	if code, _, stderr := run(t, "-v"); code != ExitOK || !regexp.MustCompile(`^throttle_gen.go: wrote, 1 wrapper: GetUserThrottled\n$`).MatchString(stderr) {
		t.Fatalf("generate -v: %d %q", code, stderr)
	}
	gen, err := os.ReadFile(out)
	must(t, err)
	if !bytes.HasPrefix(gen, []byte(header+"\n")) || !bytes.Contains(gen, []byte("func GetUserThrottled(ctx context.Context, tenant string) (string, error)")) {
		t.Fatalf("unexpected output:\n%s", gen)
	}
	if code, _, stderr := run(t, "-check"); code != ExitOK {
		t.Errorf("-check after generating: %d %q", code, stderr)
	}
	must(t, os.WriteFile(out, append(gen, "// edited\n"...), 0o644))
	if code, _, stderr := run(t, "-check", "."); code != ExitFail || !strings.Contains(stderr, DefaultOutput+": stale") {
		t.Errorf("-check on an edited file: %d %q", code, stderr)
	}
	if code, _, _ := run(t); code != ExitOK {
		t.Fatal("regenerate failed")
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, gen) {
		t.Error("regenerating did not restore the file")
	}

	// A directive error: reported with its position, nothing written.
	writeFile(t, filepath.Join(dir, "bad.go"), "package app\n\n//throttle:gcra quota=1 duration=1s bogus=1\nfunc Bad() error { return nil }\n")
	code, _, stderr := run(t)
	if code != ExitFail || !strings.Contains(stderr, "bad.go:3:37: unknown argument \"bogus\"") {
		t.Errorf("directive error: %d %q", code, stderr)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, gen) {
		t.Error("a run with errors changed the file")
	}
	// Directive errors exit 1 under -check too (docs/spec.md §3a); 2 is for a
	// package that cannot be loaded at all.
	if code, _, stderr := run(t, "-check"); code != ExitFail || !strings.Contains(stderr, "bad.go:3:37: unknown argument \"bogus\"") {
		t.Errorf("-check with directive errors: %d %q, want %d", code, stderr, ExitFail)
	}
	must(t, os.Remove(filepath.Join(dir, "bad.go")))
	if code, _, stderr := run(t, "-check", "./nosuchdir"); code != ExitUsage || stderr == "" {
		t.Errorf("-check on a package that cannot be loaded: %d %q, want %d", code, stderr, ExitUsage)
	}

	// Other flags.
	if code, _, stderr := run(t, "-output", "limits_gen.go", "-suffix", "Limited"); code != ExitOK {
		t.Fatalf("-output -suffix: %d %s", code, stderr)
	}
	other, err := os.ReadFile(filepath.Join(dir, "limits_gen.go"))
	must(t, err)
	if !bytes.Contains(other, []byte("func GetUserLimited(")) {
		t.Errorf("-suffix not applied:\n%s", other)
	}
	must(t, os.Remove(filepath.Join(dir, "limits_gen.go")))

	// No directive left: the file is left over, then reduced to its header
	// and package clause under go generate (which may still mean to read
	// it), removed otherwise; -check accepts either.
	writeFile(t, filepath.Join(dir, "app.go"), strings.ReplaceAll(cliSource, "//throttle:", "// Throttled by hand: "))
	if code, _, stderr := run(t, "-check"); code != ExitFail || !strings.Contains(stderr, DefaultOutput+": left over") {
		t.Errorf("-check with no directive left: %d %q", code, stderr)
	}
	t.Setenv("GOFILE", "app.go")
	if code, _, stderr := run(t); code != ExitOK {
		t.Fatalf("generate with no directive: %d %s", code, stderr)
	}
	os.Unsetenv("GOFILE")
	if got, err := os.ReadFile(out); err != nil || string(got) != header+"\n\npackage app\n" {
		t.Errorf("the left-over file was not reduced to its header and package clause: %q %v", got, err)
	}
	if code, _, stderr := run(t, "-check"); code != ExitOK {
		t.Errorf("-check of the reduced file: %d %q", code, stderr)
	}
	if code, _, stderr := run(t); code != ExitOK {
		t.Fatalf("generate with no directive, not under go generate: %d %s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the reduced file was not removed by a direct run: %v", err)
	}
	if code, _, stderr := run(t, "-check"); code != ExitOK {
		t.Errorf("-check with neither directive nor file: %d %q", code, stderr)
	}
	if code, _, _ := run(t); code != ExitOK {
		t.Errorf("generate with neither directive nor file: %d", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a file was created with no directive: %v", err)
	}

	// A file of that name without the header is never touched.
	mine := "package app\n\n// Mine.\nfunc Mine() {}\n"
	writeFile(t, out, mine)
	if code, _, _ := run(t); code != ExitOK {
		t.Errorf("run with a foreign file and no directive: %d", code)
	}
	writeFile(t, filepath.Join(dir, "app.go"), cliSource)
	if code, _, stderr := run(t); code != ExitFail || !strings.Contains(stderr, "not generated by throttlegen") {
		t.Errorf("run with a foreign file and directives: %d %q", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != mine {
		t.Error("a file without the header was changed")
	}
}

// TestDeterministic generates the same packages twice and compares bytes.
func TestDeterministic(t *testing.T) {
	mod, env := tempModule(t)
	for _, name := range []string{"shapes", "policies", "collisions"} {
		ar := readCase(t, filepath.Join("testdata", name+".txtar"))
		for _, f := range ar.Files {
			if !strings.HasPrefix(f.Name, "want/") {
				writeFile(t, filepath.Join(mod, name, f.Name), string(f.Data))
			}
		}
	}
	// Maps are iterated in a different order each run (imports, uses): the
	// output must not depend on it.
	cfg := Config{Dir: mod, Patterns: []string{"./..."}, Env: env}
	first, err := Generate(cfg)
	must(t, err)
	for range 2 {
		again, err := Generate(cfg)
		must(t, err)
		if len(again) != len(first) {
			t.Fatalf("%d files, then %d", len(first), len(again))
		}
		for i := range first {
			if first[i].Path != again[i].Path || !bytes.Equal(first[i].Content, again[i].Content) {
				t.Errorf("%s differs between runs", first[i].Path)
			}
		}
	}
}

// TestRunTags: a package that exists only under a tag is generated the
// same with and without -tags (its file is loaded where it holds), and the
// generated file carries the constraint.
func TestRunTags(t *testing.T) {
	mod, env := tempModule(t)
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "GOFLAGS" || k == "GOWORK") {
			t.Setenv(k, v)
		}
	}
	dir := filepath.Join(mod, "tagged")
	writeFile(t, filepath.Join(dir, "a.go"), "//go:build special\n\npackage tagged\n\n//throttle:gcra quota=1 duration=1s\nfunc F() error { return nil }\n")
	t.Chdir(dir)
	gen := filepath.Join(dir, "a_"+DefaultOutput)
	if code, _, stderr := run(t); code != ExitOK {
		t.Fatalf("without -tags: %d %q", code, stderr)
	}
	without, err := os.ReadFile(gen)
	must(t, err)
	if !bytes.Contains(without, []byte("\n//go:build special\n\npackage tagged\n")) {
		t.Errorf("the output does not carry the file's constraint:\n%s", without)
	}
	if code, _, stderr := run(t, "-tags", "special", "-check"); code != ExitOK {
		t.Errorf("-check with -tags after a run without: %d %q", code, stderr)
	}
	must(t, os.Remove(gen))
	if code, _, stderr := run(t, "-tags", "special"); code != ExitOK {
		t.Fatalf("with -tags: %d %q", code, stderr)
	}
	with, err := os.ReadFile(gen)
	must(t, err)
	if !bytes.Equal(with, without) {
		t.Errorf("output differs with -tags:\n%s\nwithout:\n%s", with, without)
	}
	if _, err := os.Stat(filepath.Join(dir, DefaultOutput)); !os.IsNotExist(err) {
		t.Errorf("%s written for a package without unconstrained directives: %v", DefaultOutput, err)
	}
}

// TestRunConstrained: -check reports a constrained generated file that is
// stale, missing or left over, whichever platform's file it is, and a
// left-over one is reduced, never blocking regeneration.
func TestRunConstrained(t *testing.T) {
	mod, env := tempModule(t)
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "GOFLAGS" || k == "GOWORK") {
			t.Setenv(k, v)
		}
	}
	dir := filepath.Join(mod, "plat")
	writeFile(t, filepath.Join(dir, "a.go"), "package plat\n\n//throttle:gcra quota=1 duration=1s\nfunc F() error { return nil }\n")
	win := "package plat\n\n//throttle:gcra quota=1 duration=1s\nfunc W() error { return nil }\n"
	writeFile(t, filepath.Join(dir, "w_windows.go"), win)
	t.Chdir(dir)
	gen := filepath.Join(dir, "w_windows_"+DefaultOutput)
	if code, _, stderr := run(t, "-check"); code != ExitFail || !strings.Contains(stderr, "w_windows_"+DefaultOutput+": missing") {
		t.Errorf("-check before generating: %d %q", code, stderr)
	}
	if code, _, stderr := run(t); code != ExitOK {
		t.Fatalf("generate: %d %q", code, stderr)
	}
	if code, _, stderr := run(t, "-check"); code != ExitOK {
		t.Errorf("-check after generating: %d %q", code, stderr)
	}
	// The output does not depend on the host: -check agrees whichever
	// platform the go command builds for.
	writeFile(t, filepath.Join(dir, "l_linux.go"), "package plat\n\n//throttle:gcra quota=1 duration=1s\nfunc L() error { return nil }\n")
	if code, _, stderr := run(t); code != ExitOK {
		t.Fatalf("generate: %d %q", code, stderr)
	}
	for _, port := range crossPorts[:2] {
		t.Setenv("GOOS", port[0])
		t.Setenv("GOARCH", port[1])
		if code, _, stderr := run(t, "-check"); code != ExitOK {
			t.Errorf("GOOS=%s GOARCH=%s -check after generating on the host: %d %q", port[0], port[1], code, stderr)
		}
	}
	os.Unsetenv("GOOS")
	os.Unsetenv("GOARCH")
	must(t, os.Remove(filepath.Join(dir, "l_linux.go")))
	must(t, os.Remove(filepath.Join(dir, "l_linux_"+DefaultOutput)))
	writeFile(t, filepath.Join(dir, "w_windows.go"), strings.Replace(win, "quota=1", "quota=2", 1))
	if code, _, stderr := run(t, "-check"); code != ExitFail || !strings.Contains(stderr, "w_windows_"+DefaultOutput+": stale") {
		t.Errorf("-check after an edit: %d %q", code, stderr)
	}
	// A broken generated file for another platform does not block.
	writeFile(t, gen, header+"\n//go:build windows\n\npackage plat\n\nthis does not parse\n")
	if code, _, stderr := run(t); code != ExitOK {
		t.Fatalf("generate over a broken file: %d %q", code, stderr)
	}
	must(t, os.Remove(filepath.Join(dir, "w_windows.go")))
	if code, _, stderr := run(t, "-check"); code != ExitFail || !strings.Contains(stderr, "w_windows_"+DefaultOutput+": left over") {
		t.Errorf("-check after removing the constrained file: %d %q", code, stderr)
	}
	code, _, stderr := run(t, "-v")
	if code != ExitOK {
		t.Fatalf("generate after removing the constrained file: %d %q", code, stderr)
	}
	wantV := "throttle_gen.go: unchanged, 1 wrapper: FThrottled\nw_windows_throttle_gen.go: removed\n"
	if stderr != wantV {
		t.Errorf("-v said %q, want %q", stderr, wantV)
	}
	if _, err := os.Stat(gen); !os.IsNotExist(err) {
		t.Errorf("left-over constrained file not removed: %v", err)
	}
}
