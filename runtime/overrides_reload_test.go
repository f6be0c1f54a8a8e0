package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// writeFile replaces path's content at once (write and rename), as a
// careful operator or a ConfigMap update does.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestHelperProcess is the program of TestEnvOverrides, run in a
// subprocess: it registers a pool, optionally puts its own overrides in
// force, makes its first decision and prints the pool's capacity.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("THROTTLEGEN_TEST_HELPER")
	if mode == "" {
		t.Skip("the program of TestEnvOverrides")
	}
	c := NewConcurrency(ConcurrencySpec{Name: "ovtest-env", Capacity: 1})
	if mode == "own" {
		o, err := ParseOverrides("ovtest-env concurrency capacity=3")
		if err != nil {
			t.Fatal(err)
		}
		Configure(WithOverrides(o))
	}
	fmt.Printf("before=%d\n", c.Stats().Capacity)
	s, err := c.Acquire(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.Release()
	fmt.Printf("capacity=%d\n", c.Stats().Capacity)
}

func TestEnvOverrides(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	writeFile(t, good, "# from the environment\novtest-env concurrency capacity=7\n")
	writeFile(t, bad, "ovtest-env concurrency capacity=0\n")
	for _, tc := range []struct {
		name, mode, path string
		want, stderr     string
	}{
		{"unset", "plain", "", "before=1\ncapacity=1\n", ""},
		{"good file", "plain", good, "before=1\ncapacity=7\n", ""},
		{"bad file", "plain", bad, "before=1\ncapacity=1\n",
			"throttle: THROTTLEGEN_OVERRIDES=" + bad + ": the generated limits stay in force:\n" + bad + ":1:33: capacity=0: must be at least 1\n"},
		{"missing file", "plain", filepath.Join(dir, "missing.txt"), "before=1\ncapacity=1\n", "no such file"},
		{"the program's own set wins", "own", good, "before=3\ncapacity=3\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "THROTTLEGEN_TEST_HELPER="+tc.mode, OverridesEnv+"="+tc.path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
			}
			var got strings.Builder
			for line := range strings.Lines(stdout.String()) {
				if strings.HasPrefix(line, "before=") || strings.HasPrefix(line, "capacity=") {
					got.WriteString(line)
				}
			}
			if got.String() != tc.want {
				t.Errorf("output %q, want %q (stdout %q)", got.String(), tc.want, stdout.String())
			}
			if tc.stderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.stderr)
			}
		})
	}
}

func TestReloadOverridesKeepsSetOnError(t *testing.T) {
	t.Cleanup(SaveConfig())
	c := NewConcurrency(ConcurrencySpec{Name: "ovtest-reload", Capacity: 2})
	path := filepath.Join(t.TempDir(), "limits.txt")
	writeFile(t, path, "ovtest-reload concurrency capacity=3\n")
	if err := ReloadOverrides(path); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Capacity != 3 {
		t.Fatalf("after a good file: %+v", st)
	}
	writeFile(t, path, "ovtest-reload concurrency capacity=5\novtest-reloadd concurrency capacity=9\n")
	err := ReloadOverrides(path)
	want := path + `:2:1: unknown limit "ovtest-reloadd"; did you mean "ovtest-reload"?`
	var oe *OverrideError
	if err == nil || err.Error() != want || !errors.As(err, &oe) {
		t.Fatalf("error %v, want %s", err, want)
	}
	if st := c.Stats(); st.Capacity != 3 {
		t.Fatalf("a bad file changed the set in force: %+v", st)
	}
	if err := ReloadOverrides(filepath.Join(t.TempDir(), "gone")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if st := c.Stats(); st.Capacity != 3 {
		t.Fatalf("a missing file changed the set in force: %+v", st)
	}
	writeFile(t, path, "# nothing\n")
	if err := ReloadOverrides(path); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Capacity != 2 {
		t.Fatalf("an empty file left an override: %+v", st)
	}
}

func TestWatchOverrides(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	t.Cleanup(SaveConfig())
	c := NewConcurrency(ConcurrencySpec{Name: "ovtest-watch", Capacity: 2})
	path := filepath.Join(t.TempDir(), "limits.txt")
	writeFile(t, path, "ovtest-watch concurrency capacity=3\n")
	reports := make(chan error, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		WatchOverrides(ctx, path, 2*time.Millisecond, func(err error) { reports <- err })
		close(done)
	}()
	capacity := func(n int) func() bool { return func() bool { return c.Stats().Capacity == n } }
	waitFor(t, "the file at start", capacity(3))

	writeFile(t, path, "ovtest-watch concurrency capacity=x\n")
	err := <-reports
	if want := path + ":1:35: capacity=x: want a whole number"; err.Error() != want {
		t.Fatalf("report %v, want %s", err, want)
	}
	writeFile(t, path, "ovtest-watch concurrency capacity=5\n")
	waitFor(t, "the fixed file", capacity(5))

	os.Remove(path)
	if err := <-reports; !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("report %v, want a missing file", err)
	}
	if st := c.Stats(); st.Capacity != 5 {
		t.Fatalf("a removed file changed the set in force: %+v", st)
	}
	writeFile(t, path, "ovtest-watch concurrency capacity=6\n")
	waitFor(t, "the file back", capacity(6))

	cancel()
	<-done
	select {
	case err := <-reports:
		t.Fatalf("unexpected report %v", err)
	default:
	}
}
