package spectest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// repoRoot is the directory of the main module's go.mod, found by walking up
// from the test's working directory.
var repoRoot string

// tool is the throttlegen binary built once for the whole test binary.
var tool string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			repoRoot = dir
			break
		}
		if filepath.Dir(dir) == dir {
			fmt.Fprintln(os.Stderr, "spectest: no go.mod above", wd)
			return 2
		}
	}
	bin, err := os.MkdirTemp("", "spectest-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(bin)
	tool = filepath.Join(bin, "throttlegen")
	if runtime.GOOS == "windows" {
		tool += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", tool, "./cmd/throttlegen")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "spectest: building throttlegen: %v\n%s", err, out)
		return 2
	}
	return m.Run()
}

// goEnv is the environment of every command run in a temporary module.
func goEnv(extra ...string) []string {
	env := append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off")
	return append(env, extra...)
}

// newModule writes the module example.com/m, whose go.mod replaces
// throttlegen with the repository under test, plus the files of the txtar
// fixture testdata/<fixture> (or none when fixture is ""), into a
// temporary directory and returns it.
func newModule(t *testing.T, fixture string) string {
	t.Helper()
	dir := t.TempDir()
	gomod := fmt.Sprintf("module example.com/m\n\ngo 1.26\n\nrequire github.com/throttlegen/throttlegen v0.0.0\n\nreplace github.com/throttlegen/throttlegen => %s\n", filepath.ToSlash(repoRoot))
	writeFile(t, filepath.Join(dir, "go.mod"), gomod)
	sum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
	if fixture != "" {
		ar, err := txtar.ParseFile(filepath.Join("testdata", fixture))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			writeFile(t, filepath.Join(dir, filepath.FromSlash(f.Name)), string(f.Data))
		}
	}
	return dir
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o666); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs name with args in dir. name "throttlegen" is the built tool.
func run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	if name == "throttlegen" {
		name = tool
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = goEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("running %s %s: %v", name, strings.Join(args, " "), err)
	}
	return res
}

// mustRun is run that fails the test unless the command exits 0.
func mustRun(t *testing.T, dir string, name string, args ...string) result {
	t.Helper()
	res := run(t, dir, nil, name, args...)
	if res.code != 0 {
		t.Fatalf("%s %s in %s: %v", name, strings.Join(args, " "), dir, res)
	}
	return res
}
