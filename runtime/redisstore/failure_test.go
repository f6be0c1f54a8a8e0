package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// waitFor polls cond until it holds, failing the test after a long time
// (a liveness bound, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKillRestartUnderLoad kills Redis while goroutines decide through
// runtime.Rate limiters with fail=open and fail=closed, then restarts it:
// fail=open calls always go ahead, fail=closed calls fail with
// ErrStoreUnavailable while Redis is down, the store counts the errors, and
// decisions resume by themselves (the restarted server gets the script again
// through NOSCRIPT). The breaker opens while Redis is down, and no call
// waits much longer than the store's timeout. The restarted server is
// empty: a limit exhausted before the kill admits again.
//
// While Redis is up, a call may outlast the short timeout on a busy machine
// and open the breaker for a while: errors then are allowed if they are
// such timeouts or the breaker's answers (checkUpErrors). The limit checked
// across the restart is asked through a store of its own with testTimeout.
func TestKillRestartUnderLoad(t *testing.T) {
	const timeout = 200 * time.Millisecond
	s, srv := newStore(t, redisstore.WithTimeout(timeout))
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("failover"))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""))

	spec := runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 1_000_000, Duration: time.Second}
	spec.Fail = runtime.FailOpen
	open := runtime.NewRate("redisstore_test.OpenCall", spec)
	spec.Fail = runtime.FailClosed
	closed := runtime.NewRate("redisstore_test.ClosedCall", spec)
	// Warm up (connection, script load) before the load begins.
	waitFor(t, "a decision through the store", func() bool { return closed.Allow(context.Background(), "") == nil })

	var openOK, openErr, closedOK, closedUnavailable, closedOther atomic.Int64
	var otherErr atomic.Value
	var longest maxDuration
	defer untilStopped(8, func() {
		ctx := context.Background()
		t0 := time.Now()
		if err := open.Allow(ctx, ""); err != nil {
			openErr.Add(1)
			otherErr.Store(err)
		} else {
			openOK.Add(1)
		}
		t1 := time.Now()
		err := closed.Allow(ctx, "")
		longest.add(t1.Sub(t0))
		longest.add(time.Since(t1))
		switch {
		case err == nil:
			closedOK.Add(1)
		case errors.Is(err, runtime.ErrStoreUnavailable):
			closedUnavailable.Add(1)
			// The open breaker answers at once: pause, so that eight
			// goroutines spinning on it leave its probe the CPU.
			time.Sleep(time.Millisecond)
		default:
			closedOther.Add(1)
			otherErr.Store(err)
		}
	})()

	waitFor(t, "decisions while Redis is up", func() bool { return closedOK.Load() > 100 })
	// A limit exhausted before the kill, asked through a store (the limiter
	// would answer from its rejection memory) of its own, beside the load.
	afresh := &runtime.Request{Keyspace: "failover", Keys: []string{""}, Limits: []*runtime.Limit{
		{Name: "redisstore_test.Afresh", Algorithm: runtime.GCRA, Quota: 1, Duration: time.Hour}}}
	probe := probeStore(t, srv.Addr())
	for i, want := range []bool{true, false} {
		if d, err := probe.Decide(context.Background(), afresh); err != nil || d.Allowed != want {
			t.Fatalf("call %d of a limit of 1 an hour: %+v, %v", i, d, err)
		}
	}
	closedUp := closedUnavailable.Load()
	up := checkUpErrors(t, s)
	t0 := time.Now()
	srv.Kill()
	waitFor(t, "fail=closed errors while Redis is down", func() bool { return closedUnavailable.Load() > closedUp+16 })
	waitFor(t, "the breaker open, answering calls", func() bool {
		st := s.Stats()
		return st.BreakerOpen && st.ShortCircuits > up.ShortCircuits
	})
	before := s.Stats()
	if before.Errors <= up.Errors || before.BreakerTrips == 0 {
		t.Fatalf("stats while Redis was down %+v: want errors counted and the breaker tripped", before)
	}
	okDown := openOK.Load()
	waitFor(t, "fail=open calls going ahead while Redis is down", func() bool { return openOK.Load() > okDown+16 })

	t.Logf("down: %v", time.Since(t0))
	loads := s.Stats().ScriptLoads
	t0 = time.Now()
	srv.Restart()
	t.Logf("restarted: %v", time.Since(t0))
	okUp := closedOK.Load()
	waitFor(t, "decisions resuming after restart", func() bool { return closedOK.Load() > okUp+100 })
	t.Logf("resumed: %v", time.Since(t0))
	if openErr.Load() != 0 || closedOther.Load() != 0 {
		t.Fatalf("unexpected errors: %d fail=open, %d other fail=closed; last: %v",
			openErr.Load(), closedOther.Load(), otherErr.Load())
	}
	if d := longest.get(); d > timeout+timeout/8+callSlack {
		t.Errorf("a call took %v, want at most about the store's timeout %v", d, timeout)
	}
	t.Logf("longest call %v", longest.get())
	if s.Stats().ScriptLoads == loads {
		t.Error("the restarted server never needed the script (NOSCRIPT not exercised)")
	}
	if d, err := probeStore(t, srv.Addr()).Decide(context.Background(), afresh); err != nil || !d.Allowed {
		t.Errorf("the limit exhausted before the kill, on the restarted (empty) server: %+v, %v; want it admitted afresh", d, err)
	}
}

// TestStalledServerBounded pauses the server (CLIENT PAUSE): a decision
// fails with ErrStoreUnavailable instead of waiting for the pause to end, in
// the pipelined and the direct mode, with a client that honours contexts
// (ContextTimeoutEnabled) or not.
func TestStalledServerBounded(t *testing.T) {
	for _, mode := range []struct {
		name                  string
		pipelined, ctxTimeout bool
	}{{"pipelined", true, false}, {"pipelined-ctx", true, true}, {"direct", false, true}, {"direct-noctx", false, false}} {
		pipelined := mode.pipelined
		t.Run(mode.name, func(t *testing.T) {
			srv := redistest.Start(t)
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: mode.ctxTimeout})
			defer rdb.Close()
			s := redisstore.New(rdb, redisstore.WithTimeout(50*time.Millisecond), redisstore.WithPipelining(pipelined))
			defer s.Close()
			req := &runtime.Request{Keyspace: "stall", Limits: []*runtime.Limit{
				{Name: "n", Algorithm: runtime.GCRA, Quota: 100, Duration: time.Second}}, Keys: []string{"k"}}
			ctx := context.Background()
			// Warm up (connection, script load) until a decision fits the short
			// bound: on a loaded machine under -race the first ones may not.
			waitFor(t, "a decision within the bound", func() bool {
				_, err := s.Decide(ctx, req)
				return err == nil
			})
			if _, err := redistest.Do(srv.Addr(), "CLIENT", "PAUSE", "800", "ALL"); err != nil {
				t.Fatal(err)
			}
			// Several callers at once, so that calls queue for the batcher
			// (in the pipelined modes) behind the stalled round trip.
			start := time.Now()
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.Decide(ctx, req)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if !errors.Is(err, runtime.ErrStoreUnavailable) {
					t.Fatalf("Decide on a paused server = %v, want ErrStoreUnavailable", err)
				}
			}
			if time.Since(start) >= 800*time.Millisecond {
				t.Fatal("Decide waited for the pause to end")
			}
			if st := s.Stats(); st.Errors == 0 {
				t.Fatalf("stats %+v count no error", st)
			}
			waitFor(t, "decisions after unpause", func() bool {
				_, err := s.Decide(ctx, req)
				return err == nil
			})
		})
	}
}

// TestContextCancelled: a cancelled context ends a decision with an error
// that wraps both ErrStoreUnavailable and the context's error.
func TestContextCancelled(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := &runtime.Request{Keyspace: "c", Limits: []*runtime.Limit{
		{Name: "n", Algorithm: runtime.GCRA, Quota: 1, Duration: time.Second}}, Keys: []string{""}}
	_, err := s.Decide(ctx, req)
	if !errors.Is(err, runtime.ErrStoreUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// TestCloseUnderLoad closes the store while goroutines decide: every call
// ends, with an answer or an error wrapping ErrStoreUnavailable, and the
// batcher goroutine is gone (TestMain checks for leaks). The goroutines
// decide until they get an error once Close has begun (for 20 s at most),
// so that a test goroutine slow to call Close still finds them deciding.
func TestCloseUnderLoad(t *testing.T) {
	s, _ := newStore(t)
	req := &runtime.Request{Keyspace: "close", Limits: []*runtime.Limit{
		{Name: "n", Algorithm: runtime.GCRA, Quota: 1 << 30, Duration: time.Second}}, Keys: []string{"k"}}
	var ok, unavailableErrs, other atomic.Int64
	var closing atomic.Bool
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				_, err := s.Decide(context.Background(), req)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, runtime.ErrStoreUnavailable):
					unavailableErrs.Add(1)
				default:
					other.Add(1)
				}
				if err != nil && closing.Load() {
					return
				}
			}
		}()
	}
	waitFor(t, "some decisions", func() bool { return ok.Load() > 100 })
	closing.Store(true)
	s.Close()
	wg.Wait()
	if other.Load() != 0 || unavailableErrs.Load() == 0 {
		t.Fatalf("%d answers, %d unavailable, %d other errors after Close", ok.Load(), unavailableErrs.Load(), other.Load())
	}
}
