package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// The override test's helper processes (see TestOverrideUnderLoad) read
// their override file's path from this variable.
const helperOverridesEnv = "REDISSTORE_HELPER_OVERRIDES"

// overrideLimit is the limit the override test's processes share: a window
// far larger than the test, with a quota the load never reaches until an
// override lowers it.
const overrideLimit = "multi/override"

// overrideHelper hammers overrideLimit with 8 goroutines through a real
// rate limiter, as a generated wrapper would, and obeys its parent's lines:
// "start" starts the load, "reload" reloads the override file (answering
// "reloaded"), "stop" stops the load (answering "admitted N errors E"). It
// prints "ready" when it can start, and "saturated" once a call is rejected
// after the reload.
func overrideHelper() {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(helperAddrEnv)})
	s := redisstore.New(rdb, redisstore.WithTimeout(5*time.Second))
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("ovr-mp"))
	r := runtime.NewRateLimiter(overrideLimit, runtime.RateSpec{Algorithm: runtime.FixedWindow,
		Quota: 1 << 40, Duration: 1000 * time.Hour})
	var out sync.Mutex
	say := func(format string, a ...any) {
		out.Lock()
		fmt.Printf(format+"\n", a...)
		out.Unlock()
	}
	var admitted, errs atomic.Int64
	var reloaded, saturated atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	load := func() {
		for range 8 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := reloaded.Load() // read before the call: a call begun before the reload may use the old quota
					err := r.Allow(context.Background(), "")
					switch {
					case err == nil:
						admitted.Add(1)
					case errors.Is(err, runtime.ErrThrottled):
						if after && saturated.CompareAndSwap(false, true) {
							say("saturated")
						}
					default:
						errs.Add(1)
					}
				}
			})
		}
	}
	say("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "start":
			load()
		case "reload":
			if err := runtime.ReloadOverrides(os.Getenv(helperOverridesEnv)); err != nil {
				say("error %v", err)
				continue
			}
			reloaded.Store(true)
			say("reloaded")
		case "stop":
			close(stop)
			wg.Wait()
			say("admitted %d errors %d", admitted.Load(), errs.Load())
			s.Close()
			rdb.Close()
			return
		}
	}
}

// TestOverrideUnderLoad: two processes share a limit through Redis under
// load; an operator lowers its quota with an override file each reloads
// while its calls run. From the change on, the lower quota holds exactly:
// together they admit exactly the new quota in the window, no more (an
// overshoot would be calls admitted with the old quota after the change).
// The processes start their load together, once both are ready: one that
// ran while the other was still starting could admit more than the new
// quota before the change.
func TestOverrideUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	_, srv := newStore(t)
	const quota = 20000 // far above what the load admits before the change
	path := filepath.Join(t.TempDir(), "overrides")
	if err := os.WriteFile(path, []byte("# lowered under load\n"+overrideLimit+" fixed_window quota=20000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type helper struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		lines chan string
	}
	var hs []*helper
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperAddrEnv+"="+srv.Addr(), helperOverridesEnv+"="+path)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		h := &helper{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				h.lines <- sc.Text()
			}
			close(h.lines)
		}()
		t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
		hs = append(hs, h)
	}
	expect := func(h *helper, prefix string) string {
		t.Helper()
		select {
		case l, ok := <-h.lines:
			if !ok || !strings.HasPrefix(l, prefix) {
				t.Fatalf("helper said %q (open %v), want %q", l, ok, prefix)
			}
			return l
		case <-time.After(60 * time.Second):
			t.Fatalf("helper did not say %q", prefix)
		}
		return ""
	}
	for _, h := range hs {
		expect(h, "ready")
	}
	for _, h := range hs {
		fmt.Fprintln(h.stdin, "start")
	}
	time.Sleep(50 * time.Millisecond) // under load
	for _, h := range hs {
		fmt.Fprintln(h.stdin, "reload")
	}
	for _, h := range hs {
		expect(h, "reloaded")
	}
	for _, h := range hs {
		expect(h, "saturated")
	}
	total := 0
	for _, h := range hs {
		fmt.Fprintln(h.stdin, "stop")
		var admitted, errs int
		if _, err := fmt.Sscanf(expect(h, "admitted"), "admitted %d errors %d", &admitted, &errs); err != nil || errs != 0 {
			t.Fatalf("helper: %d errors (%v)", errs, err)
		}
		total += admitted
	}
	if total != quota {
		t.Fatalf("two processes admitted %d calls in the window, want exactly the new quota %d", total, quota)
	}
}
