package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// storeEvents is a runtime.StoreHook that records store events and the
// errors of decisions.
type storeEvents struct {
	mu      sync.Mutex
	events  []runtime.StoreEvent
	times   []time.Time
	decErrs []error
}

func (h *storeEvents) OnDecision(e runtime.Event) {
	if e.Err != nil {
		h.mu.Lock()
		h.decErrs = append(h.decErrs, e.Err)
		h.mu.Unlock()
	}
}

func (h *storeEvents) OnStoreEvent(e runtime.StoreEvent) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.times = append(h.times, time.Now())
	h.mu.Unlock()
}

func (h *storeEvents) snapshot() ([]runtime.StoreEvent, []time.Time, []error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]runtime.StoreEvent(nil), h.events...), append([]time.Time(nil), h.times...), append([]error(nil), h.decErrs...)
}

// TestBreakerDuringStall freezes redis-server (SIGSTOP) while goroutines
// decide through fail=open and fail=closed limits, in each mode of the
// store. After the first decisions that find the store stalled, decisions
// stop waiting on the network (a few calls wait their decision timeout, the
// rest are answered at once by the fail policy); the hook sees the store
// become unavailable once; after SIGCONT decisions return to the store within
// 2 s, and the hook sees it available again. (On a loaded machine the
// resumed server may be slow enough to open the breaker again: the hook then
// sees more changes, which alternate.)
func TestBreakerDuringStall(t *testing.T) {
	for _, mode := range []struct {
		name                  string
		pipelined, ctxTimeout bool
	}{{"pipelined", true, false}, {"direct-ctx", false, true}, {"direct-noctx", false, false}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := redistest.Start(t)
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: mode.ctxTimeout,
				ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second})
			defer rdb.Close()
			sent := &sentCounter{}
			rdb.AddHook(sent)
			const timeout = 100 * time.Millisecond
			s := redisstore.New(rdb, redisstore.WithTimeout(timeout), redisstore.WithPipelining(mode.pipelined))
			defer s.Close()
			hook := &storeEvents{}
			runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("breaker"), runtime.WithHook(hook))
			defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""), runtime.WithHook(nil))
			spec := runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 1_000_000, Duration: time.Second}
			open := runtime.NewRate("redisstore_test.BreakerOpen", spec)
			spec.Fail = runtime.FailClosed
			closed := runtime.NewRate("redisstore_test.BreakerClosed", spec)
			ctx := context.Background()
			waitFor(t, "a decision through the store", func() bool { return closed.Allow(ctx, "") == nil })

			var stalled atomic.Bool
			var fast, closedErrs, other atomic.Int64
			defer untilStopped(8, func() {
				// While the breaker answers at once, eight goroutines that
				// never paused would keep the two cores of a busy machine
				// from the probe, which must get its PING answered within
				// the timeout.
				time.Sleep(time.Millisecond)
				t0 := time.Now()
				if err := open.Allow(ctx, ""); err != nil {
					other.Add(1)
				}
				err := closed.Allow(ctx, "")
				if err != nil && !errors.Is(err, runtime.ErrStoreUnavailable) {
					other.Add(1)
				}
				if !stalled.Load() {
					return
				}
				if err != nil {
					closedErrs.Add(1)
				}
				if time.Since(t0) < timeout/2 {
					fast.Add(1)
				}
			})()

			stalled.Store(true)
			srv.Stop()
			sentBefore := sent.n.Load()
			time.Sleep(1500 * time.Millisecond)
			st := s.Stats()
			sentDuring := sent.n.Load() - sentBefore
			stalled.Store(false)
			if !st.BreakerOpen || st.BreakerTrips == 0 || st.ShortCircuits == 0 {
				t.Errorf("stats during the stall: %+v, want an open breaker that answered calls", st)
			}
			// Without the breaker every call of the stall is sent and waits its
			// timeout: 8 goroutines × 1.5 s / 100 ms = 120 commands at least.
			// With it, the calls in flight when the stall began (one per
			// goroutine, or what one pipeline held); the probes are PINGs.
			if sentDuring > 8+6 {
				t.Errorf("%d scripts sent to the stalled store (%d iterations answered at once)", sentDuring, fast.Load())
			}
			if fast.Load() == 0 || closedErrs.Load() == 0 {
				t.Errorf("fast %d, fail=closed errors %d during the stall", fast.Load(), closedErrs.Load())
			}
			// Taken before SIGCONT: a probe in flight is answered as soon as
			// the server resumes, possibly before this goroutine runs again.
			back := time.Now()
			srv.Continue()
			waitFor(t, "decisions through the store after SIGCONT", func() bool {
				events, _, _ := hook.snapshot() // the event may come just after the change
				return !s.Stats().BreakerOpen && closed.Allow(ctx, "") == nil && len(events) >= 2
			})
			if other.Load() != 0 {
				t.Errorf("%d unexpected errors", other.Load())
			}
			events, times, _ := hook.snapshot()
			if len(events) < 2 || events[0].Available {
				t.Fatalf("store events %+v: want unavailable, then available", events)
			}
			for i, e := range events {
				if e.Misconfigured {
					t.Errorf("a stall reported as a misconfiguration: %v", e.Err)
				}
				if e.Available != (i%2 == 1) {
					t.Errorf("store events %+v do not alternate", events)
				}
				if !e.Available && !errors.Is(e.Err, runtime.ErrStoreUnavailable) {
					t.Errorf("store event error %v does not wrap ErrStoreUnavailable", e.Err)
				}
			}
			if times[1].Before(back) {
				t.Errorf("the store was reported available during the stall")
			} else if d := times[1].Sub(back); d > 2*time.Second {
				t.Errorf("decisions returned to the store %v after it answered again, want within 2s", d)
			}
		})
	}
}

// sentCounter is a go-redis hook that counts the scripts sent.
type sentCounter struct{ n atomic.Int64 }

func (c *sentCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *sentCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *sentCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			if n := cmd.Name(); n == "evalsha" || n == "eval" {
				c.n.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

// TestMisconfigurationsReportedOnce: errors retrying cannot fix — a failed
// authentication, a key of the wrong type, a server out of memory — follow
// the fail policy, satisfy both ErrStoreMisconfigured and
// ErrStoreUnavailable (for fail=closed and in the hook), and reach the hook
// as a store event once per cause, however many calls see them. They do not
// open the breaker: the store answered. Once the cause is fixed, decisions
// go through the store again.
func TestMisconfigurationsReportedOnce(t *testing.T) {
	for _, tc := range []struct {
		name        string
		setup, undo func(t *testing.T, addr string)
	}{
		{"auth", func(t *testing.T, addr string) {
			if _, err := redistest.Do(addr, "CONFIG", "SET", "requirepass", "secret"); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, addr string) {
			admin := redis.NewClient(&redis.Options{Addr: addr, Password: "secret"})
			defer admin.Close()
			if err := admin.ConfigSet(context.Background(), "requirepass", "").Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{"wrongtype", func(t *testing.T, addr string) {
			l := &runtime.Limit{Name: "redisstore_test.Misconfigured", Algorithm: runtime.GCRA}
			if _, err := redistest.Do(addr, "HSET", redisstore.Key("misconf", l, ""), "f", "v"); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, addr string) {
			l := &runtime.Limit{Name: "redisstore_test.Misconfigured", Algorithm: runtime.GCRA}
			if _, err := redistest.Do(addr, "DEL", redisstore.Key("misconf", l, "")); err != nil {
				t.Fatal(err)
			}
		}},
		{"oom", func(t *testing.T, addr string) {
			if _, err := redistest.Do(addr, "CONFIG", "SET", "maxmemory-policy", "noeviction"); err != nil {
				t.Fatal(err)
			}
			if _, err := redistest.Do(addr, "CONFIG", "SET", "maxmemory", "1"); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, addr string) {
			if _, err := redistest.Do(addr, "CONFIG", "SET", "maxmemory", "0"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := redistest.Start(t)
			tc.setup(t, srv.Addr())
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
			defer rdb.Close()
			s := redisstore.New(rdb, redisstore.WithTimeout(time.Second), redisstore.WithPipelining(false))
			defer s.Close()
			hook := &storeEvents{}
			runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("misconf"), runtime.WithHook(hook))
			defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""), runtime.WithHook(nil))
			spec := runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 10, Duration: time.Second, Fail: runtime.FailClosed}
			closed := runtime.NewRate("redisstore_test.Misconfigured", spec)
			spec.Fail = runtime.FailOpen
			open := runtime.NewRate("redisstore_test.MisconfiguredOpen", spec)
			ctx := context.Background()
			var calls int
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && calls < 5; {
				err := closed.Allow(ctx, "")
				if err == nil {
					t.Fatal("fail=closed admitted a call the store could not decide")
				}
				if errors.Is(err, runtime.ErrStoreMisconfigured) {
					if !errors.Is(err, runtime.ErrStoreUnavailable) || errors.Is(err, runtime.ErrThrottled) {
						t.Fatalf("fail=closed error %v", err)
					}
					calls++
				}
				if err := open.Allow(ctx, ""); err != nil {
					t.Fatalf("fail=open: %v", err)
				}
			}
			if calls < 5 {
				t.Fatalf("%d fail=closed errors wrapped ErrStoreMisconfigured, want 5", calls)
			}
			events, _, decErrs := hook.snapshot()
			var misconf int
			for _, e := range events {
				if e.Misconfigured {
					misconf++
					if !errors.Is(e.Err, runtime.ErrStoreMisconfigured) {
						t.Errorf("event error %v", e.Err)
					}
				}
			}
			if misconf != 1 {
				t.Errorf("%d misconfiguration events over %d calls, want 1: %+v", misconf, calls, events)
			}
			var hookMisconf int
			for _, err := range decErrs {
				if errors.Is(err, runtime.ErrStoreMisconfigured) && errors.Is(err, runtime.ErrStoreUnavailable) {
					hookMisconf++
				}
			}
			if hookMisconf < calls {
				t.Errorf("the hook saw %d misconfiguration errors in %d decisions: %v", hookMisconf, len(decErrs), decErrs)
			}
			if st := s.Stats(); st.Misconfigured < uint64(calls) || st.BreakerTrips != 0 {
				t.Errorf("stats %+v: want %d misconfigurations counted and no breaker trip", st, calls)
			}
			tc.undo(t, srv.Addr())
			waitFor(t, "a decision through the store once the cause is fixed", func() bool {
				return closed.Allow(ctx, "") == nil
			})
		})
	}
}

// TestGlobalPoolFullAfterStall: calls of a scope=global pool of 4 ask for
// slots while redis-server is frozen (SIGSTOP) and give up; the server
// grants those leases when it resumes (SIGCONT), to nobody. Their processes
// release them, so that the pool has its full capacity again long before
// the leases' TTL (a minute) would free it: within waitFor's 20 s.
//
// The probe asks through a store of its own, with testTimeout, so that a
// busy machine cannot make a probe time out and hold a slot itself, and
// with IDs fresh in every round: a probe that finds the pool full is
// released all the same, which tombstones its ID (lease.go).
func TestGlobalPoolFullAfterStall(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	s := redisstore.New(rdb, redisstore.WithTimeout(100*time.Millisecond))
	defer s.Close()
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("stallpool"))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""))
	const pool = "redisstore_test.StallPool"
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Name: pool, Capacity: 4, Scope: runtime.ScopeGlobal, LeaseTTL: time.Minute})
	ctx := context.Background()
	// Warm up until a round goes through the store, its breaker closed: an
	// acquire that timed out was decided locally (err == nil all the same),
	// and Errors never goes down again, so compare each round's counts.
	waitFor(t, "a slot through the store", func() bool {
		before := s.Stats()
		slot, err := lim.Acquire(ctx, "")
		if err != nil {
			return false
		}
		slot.Release()
		after := s.Stats()
		return after.Errors == before.Errors && after.Timeouts == before.Timeouts &&
			after.BreakerTrips == before.BreakerTrips && !after.BreakerOpen
	})

	srv.Stop()
	var wg sync.WaitGroup
	for range 4 { // all in flight before the first one fails
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			if slot, err := lim.Acquire(cctx, ""); err == nil {
				slot.Release() // decided locally while the store is stalled
			}
		}()
	}
	wg.Wait()
	time.Sleep(300 * time.Millisecond) // releases meet the open breaker meanwhile
	srv.Continue()

	// Four fresh leases must fit: nothing holds the four asked for above.
	probe := probeStore(t, srv.Addr())
	round := 0
	waitFor(t, "the pool's full capacity", func() bool {
		round++
		reqs := make([]*runtime.LeaseRequest, 4)
		granted := 0
		for i := range reqs {
			reqs[i] = &runtime.LeaseRequest{Keyspace: "stallpool", Pool: pool, ID: "probe-" + strconv.Itoa(round) + "-" + strconv.Itoa(i),
				Capacity: 4, ConsumerMax: -1, PriorityMax: -1, TTL: time.Minute}
			res, err := probe.AcquireLease(ctx, reqs[i])
			if err != nil {
				t.Fatalf("probe: %v", err)
			}
			if res.Reason == 0 {
				granted++
			}
		}
		for _, r := range reqs {
			if err := probe.ReleaseLease(ctx, r); err != nil {
				t.Fatalf("probe: %v", err)
			}
		}
		if granted < 4 {
			time.Sleep(20 * time.Millisecond)
			return false
		}
		return true
	})
}

// countingStore counts the decisions it passes to a Store.
type countingStore struct {
	*redisstore.Store
	n atomic.Int64
}

func (c *countingStore) Decide(ctx context.Context, req *runtime.Request) (runtime.Decision, error) {
	c.n.Add(1)
	return c.Store.Decide(ctx, req)
}

// TestHotKeyRejectionsMatchRedis runs a trace of calls over a few keys of a
// gcra and a sliding_window limit through a real Redis: every rejection the
// limiter answers from its rejection memory, without a round trip, is one
// the store gives too when asked at once.
func TestHotKeyRejectionsMatchRedis(t *testing.T) {
	s, _ := newStore(t)
	cs := &countingStore{Store: s}
	runtime.Configure(runtime.WithStore(cs), runtime.WithKeyspace("hot"))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""))
	ctx := context.Background()
	for _, l := range []runtime.Limit{
		{Name: "redisstore_test.HotGCRA", Algorithm: runtime.GCRA, Quota: 5, Duration: 200 * time.Millisecond, Burst: 3},
		{Name: "redisstore_test.HotSliding", Algorithm: runtime.SlidingWindow, Quota: 4, Duration: 150 * time.Millisecond},
	} {
		r := runtime.NewRate(l.Name, runtime.RateSpec{Algorithm: l.Algorithm, Quota: l.Quota, Duration: l.Duration, Burst: l.Burst, Keyed: true})
		var remembered, asked int
		for i := 0; i < 600; i++ {
			key := []string{"a", "b", "c"}[i%3]
			before := cs.n.Load()
			t0 := time.Now()
			err := r.Allow(ctx, key)
			var te *runtime.ThrottledError
			if !errors.As(err, &te) || cs.n.Load() != before {
				asked++
				time.Sleep(time.Millisecond)
				continue
			}
			// The memory said no until te.RetryAfter after a moment no
			// earlier than t0. The store, asked at once, must say no too
			// when its answer arrives before t0+RetryAfter (it decided
			// before that moment); a later answer proves nothing.
			lim := l
			req := &runtime.Request{Keyspace: "hot", Limits: []*runtime.Limit{&lim}, Keys: []string{key}}
			d, derr := s.Decide(ctx, req)
			if time.Since(t0) >= te.RetryAfter {
				continue
			}
			remembered++
			if derr != nil || d.Allowed {
				t.Fatalf("%s: the memory rejected key %q (%v), the store says %+v, %v", l.Algorithm, key, err, d, derr)
			}
			time.Sleep(time.Millisecond)
		}
		if remembered == 0 || asked == 0 {
			t.Fatalf("%s: %d rejections from memory, %d decisions by the store: the trace did not exercise both", l.Algorithm, remembered, asked)
		}
	}
}
