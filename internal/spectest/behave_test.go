package spectest

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/throttlegen/throttlegen/internal/redistest"
)

// TestBehaviour generates the wrappers of testdata/behave.txtar with the real
// command, run in each package's directory as go:generate runs it, then vets
// the module and runs its tests once (one go test for every package), and
// reports each inner test as a subtest.
func TestBehaviour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a temporary module")
	}
	t.Parallel()
	dir := newModule(t, "behave.txtar")
	pkgs := packageDirs(t, dir)
	for _, p := range pkgs {
		mustRun(t, filepath.Join(dir, p), "throttlegen")
		if !exists(filepath.Join(dir, p, "throttle_gen.go")) {
			t.Fatalf("%s: no throttle_gen.go written", p)
		}
	}
	if res := run(t, dir, nil, "go", "vet", "./..."); res.code != 0 {
		t.Fatalf("go vet of the generated code: %v", res)
	}
	if res := mustRun(t, dir, "gofmt", "-l", "."); strings.Contains(res.stdout, "_gen.go") {
		t.Errorf("generated files not gofmt-formatted:\n%s", res.stdout)
	}
	// Deterministic, and -check agrees: regenerate every package at once
	// (patterns) and compare bytes.
	first := map[string]string{}
	for _, p := range pkgs {
		first[p] = readFile(t, filepath.Join(dir, p, "throttle_gen.go"))
	}
	if res := run(t, dir, nil, "throttlegen", "-check", "./..."); res.code != 0 {
		t.Errorf("-check ./... right after generating: %v", res)
	}
	mustRun(t, dir, "throttlegen", "./...")
	for _, p := range pkgs {
		if readFile(t, filepath.Join(dir, p, "throttle_gen.go")) != first[p] {
			t.Errorf("%s: regenerating gave different bytes", p)
		}
	}
	res := run(t, dir, []string{"SPECTEST_REDIS=" + redisAddr(t)}, "go", "test", "-json", "-count=1", "-timeout=120s", "./...")
	reportInnerTests(t, res)
}

// reportInnerTests reports each top-level test of a "go test -json" run in
// a temporary module as a subtest of t, named package/Test.
func reportInnerTests(t *testing.T, res result) {
	t.Helper()
	type event struct {
		Action, Package, Test, Output string
	}
	type outcome struct {
		action string
		output strings.Builder
	}
	results := map[string]*outcome{}
	var order []string
	sc := bufio.NewScanner(strings.NewReader(res.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" || strings.Contains(e.Test, "/") {
			continue
		}
		name := strings.TrimPrefix(e.Package, "example.com/m/") + "/" + e.Test
		o := results[name]
		if o == nil {
			o = &outcome{}
			results[name] = o
			order = append(order, name)
		}
		switch e.Action {
		case "output":
			o.output.WriteString(e.Output)
		case "pass", "fail", "skip":
			o.action = e.Action
		}
	}
	failed := false
	for _, o := range results {
		failed = failed || o.action == "fail"
	}
	if len(results) == 0 || (res.code != 0 && !failed) {
		t.Fatalf("go test in the generated module: %v", res)
	}
	sort.Strings(order)
	for _, name := range order {
		o := results[name]
		t.Run(name, func(t *testing.T) {
			switch o.action {
			case "pass":
			case "skip":
				t.Skip(strings.TrimSpace(o.output.String()))
			default:
				t.Errorf("%s\n%s", o.action, o.output.String())
			}
		})
	}
}

// packageDirs lists the directories of dir holding .go files, relative to it.
func packageDirs(t *testing.T, dir string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			rel, _ := filepath.Rel(dir, filepath.Dir(path))
			seen[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// redisAddr starts a redis-server for the test, or returns "" when none is
// installed (the redisb package's tests then skip).
func redisAddr(t *testing.T) string {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return ""
	}
	return redistest.Start(t).Addr()
}

// TestRedisClusterAndSentinel runs the redisb package's tests again over a
// Redis Cluster client and a Sentinel (failover) client: redisstore.New must
// work with each.
func TestRedisClusterAndSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a temporary module")
	}
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	dir := newModule(t, "behave.txtar")
	mustRun(t, filepath.Join(dir, "redisb"), "throttlegen")
	cluster := redistest.StartCluster(t, 3)
	sentinel := redistest.StartSentinel(t)
	for _, env := range []string{
		"SPECTEST_REDIS_CLUSTER=" + strings.Join(cluster.Addrs(), ","),
		"SPECTEST_REDIS_SENTINEL=" + sentinel.Sentinel.Addr() + "|" + sentinel.Name,
	} {
		// The lease-expiry test waits out a lease; once, on a single node, is enough.
		res := run(t, dir, []string{env}, "go", "test", "-count=1", "-v", "-skip", "TestLeaseOfKilledProcessExpires", "./redisb")
		if res.code != 0 || strings.Contains(res.stdout, "--- SKIP") {
			t.Errorf("%s: %v", env, res)
		}
	}
}
