package spectest

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestOperating generates the wrappers of testdata/operate.txtar (docs/spec.md
// §6 and the §2/§4 rules that go with it: per-call values, cost, modes,
// overrides), vets the module, runs its envprog command with
// THROTTLEGEN_OVERRIDES set, and runs the module's tests (memory and a real
// Redis), reporting each inner test as a subtest.
func TestOperating(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a temporary module")
	}
	t.Parallel()
	dir := newModule(t, "operate.txtar")
	for _, p := range packageDirs(t, dir) {
		mustRun(t, filepath.Join(dir, p), "throttlegen")
		if !exists(filepath.Join(dir, p, "throttle_gen.go")) {
			t.Fatalf("%s: no throttle_gen.go written", p)
		}
	}
	if res := run(t, dir, nil, "go", "vet", "./..."); res.code != 0 {
		t.Fatalf("go vet of the generated code: %v", res)
	}
	t.Run("env", func(t *testing.T) { testOverridesFromEnvironment(t, dir) })
	res := run(t, dir, []string{"SPECTEST_REDIS=" + redisAddr(t)}, "go", "test", "-json", "-count=1", "-timeout=120s", "./...")
	reportInnerTests(t, res)
}

// testOverridesFromEnvironment: a built program started with
// THROTTLEGEN_OVERRIDES=path loads the file before its first decision; a bad
// file is reported on stderr and the generated values are used.
func testOverridesFromEnvironment(t *testing.T, dir string) {
	bin := filepath.Join(t.TempDir(), "envprog")
	mustRun(t, dir, "go", "build", "-o", bin, "./envprog")
	good := filepath.Join(dir, "good.txt")
	writeFile(t, good, "# more calls for env-limit\nenv-limit sliding_window quota=3\n")
	bad := filepath.Join(dir, "bad.txt")
	writeFile(t, bad, "env-limit sliding_window quota=3\nenv-limt sliding_window quota=4\n")
	for _, c := range []struct {
		name, env, out string
		stderr         *regexp.Regexp // nil: stderr must be empty
	}{
		{"none", "", "admitted 1\n", nil},
		{"good", "THROTTLEGEN_OVERRIDES=" + good, "admitted 3\n", nil},
		{"bad", "THROTTLEGEN_OVERRIDES=" + bad, "admitted 1\n", regexp.MustCompile(`(?m)2:1: .*env-limt.*did you mean.*env-limit`)},
		{"missing", "THROTTLEGEN_OVERRIDES=" + filepath.Join(dir, "nope.txt"), "admitted 1\n", regexp.MustCompile(`nope\.txt`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var env []string
			if c.env != "" {
				env = append(env, c.env)
			}
			res := run(t, dir, env, bin)
			if res.code != 0 || res.stdout != c.out {
				t.Errorf("%s: %v\nwant exit 0 and stdout %q", c.env, res, c.out)
			}
			switch {
			case c.stderr == nil && res.stderr != "":
				t.Errorf("%s: stderr %q, want none", c.env, res.stderr)
			case c.stderr != nil && !c.stderr.MatchString(res.stderr):
				t.Errorf("%s: stderr %q does not report the problem (want %s)", c.env, res.stderr, c.stderr)
			}
		})
	}
}

// TestOperatingDirectiveErrors: the §6 arguments are checked at generation
// time, each error as file:line:col: message with the column inside the
// offending argument, all in one run, exit 1, nothing written.
func TestOperatingDirectiveErrors(t *testing.T) {
	dir := newModule(t, "")
	src := `package e

import (
	"context"
	"time"
)

// T is a tenant.
type T struct {
	Name string
	N    int
	F    float64
	D    time.Duration
}

// Three is a cost.
const Three = 3

//throttle:gcra quota=t.Name duration=1s key=t.Name
func A(ctx context.Context, t T) error { return nil }

//throttle:concurrency capacity=t.N
func B(ctx context.Context, t T) error { return nil }

//throttle:gcra quota=1 duration=1s mode=shadw
func C(ctx context.Context) error { return nil }

//throttle:gcra quota=1 duration=1s burst=2 cost=Three
func D(ctx context.Context) error { return nil }

//throttle:token_bucket quota=2 duration=1s cost=3
func E(ctx context.Context) error { return nil }

//throttle:fixed_window quota=2 duration=1s cost=3
func F(ctx context.Context) error { return nil }

//throttle:leaky_bucket quota=1 duration=1s bucket=1 cost=3
func G(ctx context.Context) error { return nil }

//throttle:sliding_window quota=t.F duration=1s
func H(ctx context.Context, t T) error { return nil }

//throttle:gcra quota=1 duration=t.D
func I(ctx context.Context, t T) error { return nil }

//throttle:gcra quota=1 duration=1s cost=t.Name
func J(ctx context.Context, t T) error { return nil }

//throttle:concurrency capacity=1 mode=shadw
func K(ctx context.Context) error { return nil }

//throttle:gcra quota=t.N duration=1s burst=t.N cost=t.N key=t.Name mode=shadow
//throttle:leaky_bucket quota=t.N duration=1s bucket=t.N cost=2 mode=off
//throttle:concurrency capacity=2 mode=shadow
func Good(ctx context.Context, t T) error { return nil }
`
	writeFile(t, filepath.Join(dir, "e.go"), src)
	res := run(t, dir, nil, "throttlegen")
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	if exists(filepath.Join(dir, "throttle_gen.go")) {
		t.Error("a file was written")
	}
	out := res.stdout + res.stderr
	lines := strings.Split(src, "\n")
	for _, w := range []struct {
		line int    // of the directive
		arg  string // the offending argument, as written
		what string
		re   string // matched against the message
	}{
		{19, "quota=t.Name", "a per-call quota that is not an integer", `quota`},
		{22, "capacity=t.N", "a per-call capacity on concurrency", `capacity`},
		{25, "mode=shadw", "a misspelt mode", `shadw.*did you mean.*shadow`},
		{28, "cost=Three", "a constant cost above burst", `cost`},
		{31, "cost=3", "a constant cost above token_bucket's burst", `cost`},
		{34, "cost=3", "a constant cost above a window's quota", `cost`},
		{37, "cost=3", "a constant cost above leaky_bucket's bucket+1", `cost`},
		{40, "quota=t.F", "a per-call quota of a float type", `quota`},
		{43, "duration=t.D", "a per-call duration", `duration`},
		{46, "cost=t.Name", "a cost that is not an integer", `cost`},
		{49, "mode=shadw", "a misspelt mode on concurrency", `shadw.*did you mean.*shadow`},
	} {
		text := lines[w.line-1]
		lo := strings.Index(text, w.arg) + 1
		if lo == 0 {
			t.Fatalf("line %d %q has no %q", w.line, text, w.arg)
		}
		hi := lo + len(w.arg) - 1
		m := regexp.MustCompile(`(?mi)^(?:\./)?e\.go:` + strconv.Itoa(w.line) + `:([0-9]+): (.*)$`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no error e.go:%d:col: for %s", w.line, w.what)
			continue
		}
		if col, _ := strconv.Atoi(m[1]); col < lo || col > hi {
			t.Errorf("e.go:%d: %s: column %d, want within %q (columns %d-%d)", w.line, w.what, col, w.arg, lo, hi)
		}
		if !regexp.MustCompile(`(?i)` + w.re).MatchString(m[2]) {
			t.Errorf("e.go:%d: %s: message %q does not match %q", w.line, w.what, m[2], w.re)
		}
	}
	if regexp.MustCompile(`(?m)^(\./)?e\.go:5[1-4]:`).MatchString(out) {
		t.Error("an error was reported for the good function")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
