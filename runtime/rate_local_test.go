package runtime

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// flakyStore decides in a MemoryStore unless it is down, when it fails every
// decision; it reports a number of processes.
type flakyStore struct {
	mem   *MemoryStore
	down  atomic.Bool
	procs int
}

func (s *flakyStore) Decide(ctx context.Context, req *Request) (Decision, error) {
	if s.down.Load() {
		return Decision{}, errors.New("connection refused")
	}
	return s.mem.Decide(ctx, req)
}

func (s *flakyStore) Cancel(ctx context.Context, req *Request) error { return s.mem.Cancel(ctx, req) }

func (s *flakyStore) Processes(string) int { return s.procs }

// TestFailLocal: while the store cannot answer, a fail=local limit admits
// this process's share (quota and burst divided by the processes the store
// counts, rounded up), rejects past it with a *ThrottledError whose event
// carries the store's error, and decisions return to the store when it
// answers again.
func TestFailLocal(t *testing.T) {
	for _, tc := range []struct {
		procs, want int
	}{{1, 10}, {2, 5}, {3, 4}, {20, 1}} {
		clk := rateFakeClock(t)
		st := &flakyStore{mem: NewMemoryStore(), procs: tc.procs}
		log := &recorder{}
		useRateConfig(t, WithStore(st), WithClock(clk), WithHook(log))
		r := NewRate(rateUnique(t), RateSpec{Algorithm: GCRA, Quota: 10, Duration: time.Hour, Burst: 10, Fail: FailLocal})
		ctx := context.Background()
		st.down.Store(true)
		admitted := 0
		var rejection error
		for range 30 {
			if err := r.Allow(ctx, ""); err == nil {
				admitted++
			} else if rejection == nil {
				rejection = err
			}
		}
		if admitted != tc.want {
			t.Fatalf("%d processes: %d calls admitted locally, want %d", tc.procs, admitted, tc.want)
		}
		var te *ThrottledError
		if !errors.As(rejection, &te) || te.Reason != ReasonQuota || te.RetryAfter <= 0 || errors.Is(rejection, ErrStoreUnavailable) {
			t.Fatalf("local rejection: %v", rejection)
		}
		for _, e := range log.events {
			if !errors.Is(e.Err, ErrStoreUnavailable) {
				t.Fatalf("event %+v does not carry the store's error", e)
			}
		}
		st.down.Store(false)
		if err := r.Allow(ctx, ""); err != nil { // the store's own state is untouched
			t.Fatalf("store back: %v", err)
		}
	}
}

// TestFailLocalWithOtherPolicies: in one function, a fail=local limit's
// local rejection takes back what a scope=local limit admitted
// (all-or-nothing), and a fail=open limit next to it admits.
func TestFailLocalWithOtherPolicies(t *testing.T) {
	clk := rateFakeClock(t)
	st := &flakyStore{mem: NewMemoryStore(), procs: 1}
	useRateConfig(t, WithStore(st), WithClock(clk))
	name := rateUnique(t)
	r := NewRate(name,
		RateSpec{Name: name + "/mem", Algorithm: FixedWindow, Quota: 5, Duration: time.Hour, Scope: ScopeLocal},
		RateSpec{Name: name + "/open", Algorithm: GCRA, Quota: 1, Duration: time.Hour, Burst: 1},
		RateSpec{Name: name + "/local", Algorithm: GCRA, Quota: 2, Duration: time.Hour, Burst: 2, Fail: FailLocal})
	ctx := context.Background()
	st.down.Store(true)
	for i := range 2 {
		if err := r.AllowKeys(ctx, "", "", ""); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	var te *ThrottledError
	if err := r.AllowKeys(ctx, "", "", ""); !errors.As(err, &te) || te.Policy != "gcra" {
		t.Fatalf("third call: %v, want the local share's rejection", err)
	}
	// The rejected call consumed nothing from the fixed window: 3 more fit.
	mem := NewRate(name+"/probe", RateSpec{Name: name + "/mem", Algorithm: FixedWindow, Quota: 5, Duration: time.Hour, Scope: ScopeLocal})
	for i := range 3 {
		if err := mem.Allow(ctx, ""); err != nil {
			t.Fatalf("window call %d after the rejection: %v (the rejected call consumed it)", i, err)
		}
	}
	if err := mem.Allow(ctx, ""); err == nil {
		t.Fatal("the window admitted more than its quota")
	}
}
