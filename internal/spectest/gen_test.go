package spectest

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestDirectiveErrors checks docs/spec.md section 2: errors are reported as
// file:line:col: message, all of them in one run, exit status 1, and no
// partial file is written.
func TestDirectiveErrors(t *testing.T) {
	dir := newModule(t, "errors.txtar")
	pkg := filepath.Join(dir, "e")
	res := run(t, pkg, nil, "throttlegen")
	if res.code != 1 {
		t.Errorf("exit %d, want 1\n%v", res.code, res)
	}
	if exists(filepath.Join(pkg, "throttle_gen.go")) {
		t.Error("a partial throttle_gen.go was written")
	}
	out := res.stdout + res.stderr
	want := []struct {
		line int
		what string
		re   string // matched against the message, case-insensitively
	}{
		{7, "unknown policy with suggestion", `gcar.*did you mean.*gcra`},
		{10, "unknown argument with suggestion", `duraton.*did you mean.*duration`},
		{13, "missing required argument", `quota`},
		{16, "bad value", `quota`},
		{19, "bad duration", `duration`},
		{22, "undefined identifier in expression", `nope`},
		{25, "type that cannot be a key", `key`},
		{31, "conflicting pool definitions", `pool|capacity`},
		{34, "directive on a type", `function|func`},
		{37, "near-miss // throttle:", `.`},
		{40, "near-miss //Throttle:", `.`},
		{43, "near-miss //throttle: x", `.`},
		{46, "expression that does not type-check", `.`},
		{49, "leaky_bucket without bucket", `bucket`},
		{57, "bad enum value in a directive inside prose", `order|sideways`},
		{62, "directive on a variable", `function|func`},
		{68, "conflicting definitions of one shared limit", `.`},
	}
	for _, w := range want {
		re := regexp.MustCompile(`(?mi)^(\./)?e\.go:` + strconv.Itoa(w.line) + `:[1-9][0-9]*: .*(` + w.re + `)`)
		if !re.MatchString(out) {
			t.Errorf("no error file:%d:col: for %s (want message matching %q)", w.line, w.what, w.re)
		}
	}
	if regexp.MustCompile(`(?m)^(\./)?e\.go:5[2-3]:`).MatchString(out) {
		t.Error("an error was reported for the good function")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestErrorsKeepExistingFile checks that a failing run leaves the previous
// generated file as it was (the generator never writes a partial file).
func TestErrorsKeepExistingFile(t *testing.T) {
	dir := newModule(t, "")
	writeFile(t, filepath.Join(dir, "a.go"), "package a\n\n//throttle:gcra quota=1 duration=1s\nfunc F() error { return nil }\n")
	mustRun(t, dir, "throttlegen")
	before := readFile(t, filepath.Join(dir, "throttle_gen.go"))
	writeFile(t, filepath.Join(dir, "a.go"), "package a\n\n//throttle:gcra quota=1 duration=1s\nfunc F() error { return nil }\n\n//throttle:gcra quota=0 duration=1s\nfunc G() error { return nil }\n")
	if res := run(t, dir, nil, "throttlegen"); res.code != 1 {
		t.Errorf("exit %d, want 1\n%v", res.code, res)
	}
	if got := readFile(t, filepath.Join(dir, "throttle_gen.go")); got != before {
		t.Error("a failing run changed throttle_gen.go")
	}
}

// TestErrorsOfSeveralPackagesInOneRun: all errors in one run, across
// packages too, and a suggestion for a misspelt argument of concurrency.
func TestErrorsOfSeveralPackagesInOneRun(t *testing.T) {
	dir := newModule(t, "")
	writeFile(t, filepath.Join(dir, "p1", "a.go"), "package p1\n\n//throttle:gcra duration=1s\nfunc F() error { return nil }\n")
	writeFile(t, filepath.Join(dir, "p2", "a.go"), "package p2\n\n//throttle:concurrency capcity=1\nfunc F() error { return nil }\n")
	res := run(t, dir, nil, "throttlegen", "./...")
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	out := res.stdout + res.stderr
	for _, re := range []string{`(?m)^(\./)?p1/a\.go:3:\d+: .*quota`, `(?m)^(\./)?p2/a\.go:3:\d+: .*capcity.*did you mean.*capacity`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no error matching %s in:\n%s", re, out)
		}
	}
	for _, p := range []string{"p1", "p2"} {
		if exists(filepath.Join(dir, p, "throttle_gen.go")) {
			t.Errorf("%s: a file was written", p)
		}
	}
}

// TestCheckWithDirectiveErrors: docs/spec.md §3a says "Directive errors exit 1;
// usage errors exit 2", after "-check ... 2 on error". This test reads the
// directive rule as holding under -check too.
func TestCheckWithDirectiveErrors(t *testing.T) {
	dir := newModule(t, "")
	writeFile(t, filepath.Join(dir, "a.go"), "package a\n\n//throttle:gcra duration=1s\nfunc F() error { return nil }\n")
	res := run(t, dir, nil, "throttlegen", "-check")
	if !regexp.MustCompile(`(?m)^(\./)?a\.go:3:\d+: `).MatchString(res.stdout + res.stderr) {
		t.Errorf("-check did not report the directive error as file:line:col: %v", res)
	}
	switch res.code {
	case 1:
	default:
		t.Errorf("-check with a directive error: exit %d, want 1", res.code)
	}
}
