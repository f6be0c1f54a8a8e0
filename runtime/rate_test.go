package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// useRateConfig applies opts for the test and restores the defaults after it.
func useRateConfig(t *testing.T, opts ...Option) {
	t.Helper()
	t.Cleanup(SaveConfig())
	Configure(opts...)
}

// rateFakeClock returns a fake clock configured for the test.
func rateFakeClock(t *testing.T) *fakeclock.Clock {
	clk := fakeclock.New(t0)
	useRateConfig(t, WithClock(clk), WithStore(NewMemoryStore()))
	return clk
}

func rateThrottled(t *testing.T, err error) *ThrottledError {
	t.Helper()
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) {
		t.Fatalf("err = %v, want a *ThrottledError", err)
	}
	return te
}

func TestRateAllowAndReject(t *testing.T) {
	clk := rateFakeClock(t)
	r := NewRate("example.com/p.F"+t.Name(), RateSpec{Algorithm: GCRA, Quota: 2, Duration: time.Second})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := r.Allow(ctx, ""); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	te := rateThrottled(t, r.Allow(ctx, ""))
	want := ThrottledError{Policy: "gcra", Name: "example.com/p.F" + t.Name(), Reason: ReasonQuota, RetryAfter: 500 * time.Millisecond}
	if *te != want {
		t.Fatalf("rejection %+v, want %+v", *te, want)
	}
	if !strings.Contains(te.Error(), "rejected due to quota") {
		t.Errorf("message %q", te.Error())
	}
	clk.Advance(500*time.Millisecond - time.Microsecond)
	rateThrottled(t, r.Allow(ctx, ""))
	clk.Advance(time.Microsecond)
	if err := r.Allow(ctx, ""); err != nil {
		t.Fatalf("at RetryAfter: %v", err)
	}
}

func TestRateKeyedLimitsAreSeparate(t *testing.T) {
	rateFakeClock(t)
	r := NewRate(t.Name(), RateSpec{Algorithm: FixedWindow, Quota: 1, Duration: time.Minute, Keyed: true})
	ctx := context.Background()
	for _, k := range []string{"a", "b", ""} {
		if err := r.Allow(ctx, k); err != nil {
			t.Fatalf("key %q: %v", k, err)
		}
		if te := rateThrottled(t, r.Allow(ctx, k)); te.Key != k {
			t.Fatalf("key %q: rejection names key %q", k, te.Key)
		}
	}
}

func TestRateAllOrNothing(t *testing.T) {
	rateFakeClock(t)
	r := NewRate(t.Name(),
		RateSpec{Name: t.Name() + "/wide", Algorithm: TokenBucket, Quota: 10, Duration: time.Hour},
		RateSpec{Name: t.Name() + "/narrow", Algorithm: SlidingWindow, Quota: 1, Duration: time.Hour, Keyed: true})
	ctx := context.Background()
	if err := r.AllowKeys(ctx, "", "a"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		te := rateThrottled(t, r.AllowKeys(ctx, "", "a"))
		if te.Name != t.Name()+"/narrow" || te.Key != "a" || te.Policy != "sliding_window" {
			t.Fatalf("rejected by %+v", te)
		}
	}
	// The wide limit counted one call only: 9 more keys pass, the 10th does not.
	for i := 0; i < 9; i++ {
		if err := r.AllowKeys(ctx, "", string(rune('b'+i))); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	if te := rateThrottled(t, r.AllowKeys(ctx, "", "z")); te.Name != t.Name()+"/wide" {
		t.Fatalf("rejected by %+v", te)
	}
}

func TestRateSharedIdentity(t *testing.T) {
	rateFakeClock(t)
	spec := RateSpec{Name: "shared " + t.Name(), Algorithm: FixedWindow, Quota: 1, Duration: time.Hour}
	a, b := NewRate("pkg.A", spec), NewRate("pkg.B", spec)
	ctx := context.Background()
	if err := a.Allow(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	rateThrottled(t, b.Allow(ctx, "k"))
	// Another algorithm under the same name is another limit.
	c := NewRate("pkg.C", RateSpec{Name: spec.Name, Algorithm: GCRA, Quota: 1, Duration: time.Hour})
	if err := c.Allow(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "different parameters") {
			t.Fatalf("conflicting definition: panic %q", msg)
		}
	}()
	spec.Quota = 2
	NewRate("pkg.D", spec)
}

func TestNewRatePanicsOnInvalidSpecs(t *testing.T) {
	for _, s := range []RateSpec{
		{Algorithm: GCRA, Duration: time.Second},
		{Algorithm: GCRA, Quota: 1},
		{Algorithm: 0, Quota: 1, Duration: time.Second},
		{Algorithm: GCRA, Quota: 1, Duration: time.Second, Wait: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRate(%+v) did not panic", s)
				}
			}()
			NewRate(t.Name(), s)
		}()
	}
}

// rateWaitDone runs f on a goroutine and returns its result channel.
func rateWaitDone(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

func TestRateWaitReservation(t *testing.T) {
	clk := rateFakeClock(t)
	r := NewRate(t.Name(), RateSpec{Algorithm: TokenBucket, Quota: 1, Duration: time.Second, Wait: 2 * time.Second})
	ctx := context.Background()
	if err := r.Allow(ctx, ""); err != nil {
		t.Fatal(err)
	}
	done := rateWaitDone(func() error { return r.Allow(ctx, "") })
	if !clk.WaitForTimers(1, 5*time.Second) {
		t.Fatal("the second call does not wait")
	}
	// A third call would need 2s: within wait=; a fourth (3s) is rejected at once.
	third := rateWaitDone(func() error { return r.Allow(ctx, "") })
	if !clk.WaitForTimers(2, 5*time.Second) {
		t.Fatal("the third call does not wait")
	}
	te := rateThrottled(t, r.Allow(ctx, ""))
	if te.Reason != ReasonQuota || te.RetryAfter != 3*time.Second {
		t.Fatalf("fourth call: %+v", te)
	}
	clk.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if err := <-third; err != nil {
		t.Fatal(err)
	}
}

func TestRateWaitFailsAtOnceWhenDeadlineTooNear(t *testing.T) {
	clk := rateFakeClock(t)
	r := NewRate(t.Name(), RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Wait: 2 * time.Hour})
	if err := r.Allow(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	te := rateThrottled(t, r.Allow(ctx, ""))
	if te.Reason != ReasonDeadline || te.RetryAfter != time.Hour {
		t.Fatalf("got %+v, want a deadline rejection after 1h", te)
	}
	if clk.Timers() != 0 {
		t.Fatal("the call slept in vain")
	}
	// Nothing was reserved: without a deadline the next call waits exactly 1h.
	done := rateWaitDone(func() error { return r.Allow(context.Background(), "") })
	clk.WaitForTimers(1, 5*time.Second)
	clk.Advance(time.Hour - time.Microsecond)
	select {
	case err := <-done:
		t.Fatalf("returned %v before its turn", err)
	case <-time.After(10 * time.Millisecond):
	}
	clk.Advance(time.Microsecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRateCancelledWaitGivesBack(t *testing.T) {
	clk := rateFakeClock(t)
	r := NewRate(t.Name(), RateSpec{Algorithm: LeakyBucket, Quota: 1, Duration: time.Second, Bucket: 1})
	bg := context.Background()
	if err := r.Allow(bg, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := rateWaitDone(func() error { return r.Allow(ctx, "") })
	clk.WaitForTimers(1, 5*time.Second)
	// The bucket (1) is full: a third call is rejected.
	if te := rateThrottled(t, r.Allow(bg, "")); te.Reason != ReasonQuota || te.RetryAfter != time.Second {
		t.Fatalf("third call: %+v", te)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait returned %v", err)
	}
	// The turn was given back: the next call takes it and waits 1s.
	done = rateWaitDone(func() error { return r.Allow(bg, "") })
	clk.WaitForTimers(1, 5*time.Second)
	clk.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRateWindowWaitRetries(t *testing.T) {
	clk := rateFakeClock(t)
	clk.Set(t0.Truncate(time.Minute).Add(90 * time.Second)) // mid-window
	r := NewRate(t.Name(), RateSpec{Algorithm: FixedWindow, Quota: 1, Duration: time.Minute, Wait: time.Minute})
	ctx := context.Background()
	if err := r.Allow(ctx, ""); err != nil {
		t.Fatal(err)
	}
	done := rateWaitDone(func() error { return r.Allow(ctx, "") })
	clk.WaitForTimers(1, 5*time.Second)
	clk.Advance(30 * time.Second)
	if err := <-done; err != nil {
		t.Fatalf("after the window turned: %v", err)
	}
	// Now the next window is 60s away: more than what is left of wait=? No:
	// wait=1m covers it, but a 30s deadline does not.
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if te := rateThrottled(t, r.Allow(dctx, "")); te.Reason != ReasonDeadline || te.RetryAfter != time.Minute {
		t.Fatalf("got %+v", te)
	}
}

// rateFailingStore fails every decision.
type rateFailingStore struct{ calls int }

func (f *rateFailingStore) Decide(context.Context, *Request) (Decision, error) {
	f.calls++
	return Decision{}, errors.New("connection refused")
}
func (f *rateFailingStore) Cancel(context.Context, *Request) error { return nil }

// rateRun makes names unique per run of a test that uses the default
// memory store, whose state outlives the test (go test -count).
var rateRun atomic.Int64

func rateUnique(t *testing.T) string {
	return t.Name() + "#" + strconv.FormatInt(rateRun.Add(1), 10)
}

func TestRateFailPolicies(t *testing.T) {
	fs := &rateFailingStore{}
	useRateConfig(t, WithStore(fs))
	name := rateUnique(t)
	open := NewRate(name+"open", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour})
	closed := NewRate(name+"closed", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Fail: FailClosed})
	local := NewRate(name+"local", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Fail: FailClosed, Scope: ScopeLocal})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := open.Allow(ctx, ""); err != nil {
			t.Fatalf("fail=open: %v", err)
		}
	}
	err := closed.Allow(ctx, "")
	if !errors.Is(err, ErrStoreUnavailable) || errors.Is(err, ErrThrottled) {
		t.Fatalf("fail=closed: %v", err)
	}
	calls := fs.calls
	if err := local.Allow(ctx, ""); err != nil {
		t.Fatalf("scope=local: %v", err)
	}
	rateThrottled(t, local.Allow(ctx, ""))
	if fs.calls != calls {
		t.Fatal("scope=local asked the configured store")
	}
}

// rateRecordingStore decides in a MemoryStore and records the requests.
type rateRecordingStore struct {
	mu   sync.Mutex
	mem  *MemoryStore
	reqs []Request
}

func (s *rateRecordingStore) Decide(ctx context.Context, req *Request) (Decision, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, *req)
	s.mu.Unlock()
	return s.mem.Decide(ctx, req)
}

func (s *rateRecordingStore) Cancel(ctx context.Context, req *Request) error {
	return s.mem.Cancel(ctx, req)
}

func TestRateReadsConfigurationAtCallTime(t *testing.T) {
	useRateConfig(t)
	name := rateUnique(t)
	r := NewRate(name,
		RateSpec{Name: name + "/a", Algorithm: FixedWindow, Quota: 1, Duration: time.Hour},
		RateSpec{Name: name + "/b", Algorithm: GCRA, Quota: 5, Duration: time.Hour, Scope: ScopeLocal})
	ctx := context.Background()
	if err := r.AllowKeys(ctx, "k", "k"); err != nil {
		t.Fatal(err)
	}
	rs := &rateRecordingStore{mem: NewMemoryStore()}
	Configure(WithStore(rs), WithKeyspace("myapp"))
	// A new store: fresh state for /a; /b stays local.
	if err := r.AllowKeys(ctx, "k", "k"); err != nil {
		t.Fatal(err)
	}
	rateThrottled(t, r.AllowKeys(ctx, "k", "k"))
	if len(rs.reqs) != 2 {
		t.Fatalf("store saw %d requests, want 2", len(rs.reqs))
	}
	req := rs.reqs[0]
	if req.Keyspace != "myapp" || len(req.Limits) != 1 || req.Limits[0].Name != name+"/a" || req.Keys[0] != "k" {
		t.Fatalf("request %+v", req)
	}
	// In keyspace myapp, /b counted the admitted call only (the rejected
	// one was given back): this probe leaves 3.
	d, _ := defaultMemory.Decide(ctx, &Request{Keyspace: "myapp", Limits: []*Limit{r.specs[1].limit}, Keys: []string{"k"}})
	if !d.Allowed || d.Remaining != 3 {
		t.Fatalf("local limit after 2 admitted calls: %+v", d)
	}
}

func TestRateHook(t *testing.T) {
	rateFakeClock(t)
	h := &recorder{}
	Configure(WithHook(h))
	r := NewRate(t.Name(), RateSpec{Algorithm: SlidingWindow, Quota: 1, Duration: time.Second, Keyed: true})
	ctx := context.Background()
	r.Allow(ctx, "k")
	r.Allow(ctx, "k")
	want := []Event{
		{Policy: "sliding_window", Name: t.Name(), Key: "k", Allowed: true},
		{Policy: "sliding_window", Name: t.Name(), Key: "k", Reason: ReasonQuota},
	}
	if len(h.events) != 2 || h.events[0] != want[0] || h.events[1] != want[1] {
		t.Fatalf("events %+v, want %+v", h.events, want)
	}
}

// TestRateAllocations pins the allocation budget of the in-memory hot paths:
// none when admitted, the *ThrottledError alone when rejected (at most one
// per call: identical rejections share one, see TestRateRejectionsShared).
func TestRateAllocations(t *testing.T) {
	useRateConfig(t, WithStore(NewMemoryStore()))
	ctx := context.Background()
	for _, alg := range []Algorithm{GCRA, TokenBucket, FixedWindow, SlidingWindow, LeakyBucket} {
		for _, key := range []string{"", "user-1"} {
			open := NewRate(t.Name()+"/open/"+alg.String(), RateSpec{Algorithm: alg, Quota: 1 << 40, Duration: time.Second, Bucket: 1})
			shut := NewRate(t.Name()+"/shut/"+alg.String(), RateSpec{Algorithm: alg, Quota: 1, Duration: time.Hour})
			open.Allow(ctx, key)
			shut.Allow(ctx, key)
			// leaky_bucket paces even a wide-open limit: its calls sleep, and
			// a timer allocates.
			if n := testing.AllocsPerRun(100, func() { open.Allow(ctx, key) }); n != 0 && alg != LeakyBucket {
				t.Errorf("%v key %q: %v allocations when admitted", alg, key, n)
			}
			if n := testing.AllocsPerRun(100, func() { shut.Allow(ctx, key) }); n > 1 {
				t.Errorf("%v key %q: %v allocations when rejected", alg, key, n)
			}
		}
	}
}

func TestRateHookSeesStoreErrors(t *testing.T) {
	h := &recorder{}
	useRateConfig(t, WithStore(&rateFailingStore{}), WithHook(h))
	name := rateUnique(t)
	open := NewRate(name, RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour})
	if err := open.Allow(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	if len(h.events) != 1 || !h.events[0].Allowed || !errors.Is(h.events[0].Err, ErrStoreUnavailable) {
		t.Fatalf("events %+v, want one admission carrying the store error", h.events)
	}
}

// storeErrStore fails every decision with its err.
type storeErrStore struct{ err error }

func (s storeErrStore) Decide(context.Context, *Request) (Decision, error) { return Decision{}, s.err }
func (s storeErrStore) Cancel(context.Context, *Request) error             { return nil }

// TestStoreErrorSaysUnavailableOnce: a fail=closed error names the limiter
// and says "throttle store unavailable" once, whether or not the store's own
// error already wraps ErrStoreUnavailable, and keeps the store's error.
func TestStoreErrorSaysUnavailableOnce(t *testing.T) {
	cause := errors.New("no answer within the decision timeout")
	for _, storeErr := range []error{cause, fmt.Errorf("%w: %w", ErrStoreUnavailable, cause)} {
		useRateConfig(t, WithStore(storeErrStore{storeErr}))
		name := rateUnique(t)
		r := NewRate(name, RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Fail: FailClosed})
		err := r.Allow(context.Background(), "")
		if !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, cause) {
			t.Fatalf("%v: does not wrap both ErrStoreUnavailable and the store's error", err)
		}
		msg := err.Error()
		if n := strings.Count(msg, ErrStoreUnavailable.Error()); n != 1 || !strings.Contains(msg, name) {
			t.Fatalf("%q: want the limiter's name and %q once", msg, ErrStoreUnavailable)
		}
	}
}

// unavailableStore is a Store whose breaker is open: it reports itself
// unavailable, and counts the decisions it is asked for anyway.
type unavailableStore struct {
	err     error
	decides atomic.Int64
}

func (s *unavailableStore) Unavailable() error { return s.err }
func (s *unavailableStore) Decide(context.Context, *Request) (Decision, error) {
	s.decides.Add(1)
	return Decision{}, s.err
}
func (s *unavailableStore) Cancel(context.Context, *Request) error { return nil }

// TestAvailabilityReporter: a store that reports itself unavailable is not
// asked; fail=open admits, fail=closed fails with the store's error, named
// once, fail=local decides in memory, and none of them allocates.
func TestAvailabilityReporter(t *testing.T) {
	st := &unavailableStore{err: fmt.Errorf("%w: breaker open", ErrStoreUnavailable)}
	useRateConfig(t, WithStore(st))
	name := rateUnique(t)
	open := NewRate(name+"open", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour})
	closed := NewRate(name+"closed", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Fail: FailClosed})
	ctx := context.Background()
	for range 3 {
		if err := open.Allow(ctx, "k"); err != nil {
			t.Fatalf("fail=open: %v", err)
		}
		err := closed.Allow(ctx, "k")
		if !errors.Is(err, st.err) || strings.Count(err.Error(), ErrStoreUnavailable.Error()) != 1 {
			t.Fatalf("fail=closed: %v", err)
		}
	}
	if n := st.decides.Load(); n != 0 {
		t.Fatalf("the store was asked %d times while unavailable", n)
	}
	local := NewRate(name+"local", RateSpec{Algorithm: GCRA, Quota: 1 << 40, Duration: time.Hour, Fail: FailLocal})
	allocs := testing.AllocsPerRun(100, func() {
		_ = open.Allow(ctx, "k")
		_ = closed.Allow(ctx, "k")
		if err := local.Allow(ctx, "k"); err != nil {
			t.Fatalf("fail=local: %v", err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per decision pair while the store is unavailable", allocs)
	}
}
