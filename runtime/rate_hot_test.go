package runtime

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// clockStore is a Store that decides in a MemoryStore at the configured
// clock's time (as a networked store decides at its server's), and counts
// the decisions it is asked for.
type clockStore struct {
	mu      sync.Mutex
	mem     *MemoryStore
	now     func() time.Time
	decides int
}

func (s *clockStore) Decide(ctx context.Context, req *Request) (Decision, error) {
	s.mu.Lock()
	s.decides++
	s.mu.Unlock()
	r := *req
	r.Now = s.now()
	return s.mem.Decide(ctx, &r)
}

func (s *clockStore) Cancel(ctx context.Context, req *Request) error {
	r := *req
	r.Now = s.now()
	return s.mem.Cancel(ctx, &r)
}

func (s *clockStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decides
}

// TestHotKeyRejectionMemory: once the store rejects a key, that key's calls
// are rejected without asking the store until the store's RetryAfter has
// passed, with a RetryAfter counting down to that moment; other keys, and
// calls that may wait longer than the rejected one could, still ask the
// store; and every remembered rejection is one the store gives too.
func TestHotKeyRejectionMemory(t *testing.T) {
	clk := rateFakeClock(t)
	st := &clockStore{mem: NewMemoryStore(), now: clk.Now}
	useRateConfig(t, WithStore(st), WithClock(clk))
	name := rateUnique(t)
	r := NewRate(name, RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Second, Burst: 1, Keyed: true})
	ctx := context.Background()
	if err := r.Allow(ctx, "hot"); err != nil {
		t.Fatal(err)
	}
	var te *ThrottledError
	if err := r.Allow(ctx, "hot"); !errors.As(err, &te) || te.RetryAfter != time.Second {
		t.Fatalf("second call: %v", err)
	}
	asked := st.count()
	for _, step := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond} {
		clk.Advance(step)
		err := r.Allow(ctx, "hot")
		if !errors.As(err, &te) {
			t.Fatalf("after %v: %v, want a rejection", step, err)
		}
		if want := time.Second - clk.Now().Sub(t0); te.RetryAfter != want || te.Reason != ReasonQuota {
			t.Fatalf("remembered rejection: RetryAfter %v reason %v, want %v, quota", te.RetryAfter, te.Reason, want)
		}
		// The store gives the same answer.
		d, err := st.Decide(ctx, &Request{Keyspace: loadConfig().keyspace, Limits: []*Limit{r.specs[0].limit}, Keys: []string{"hot"}})
		if err != nil || d.Allowed || d.RetryAfter != te.RetryAfter {
			t.Fatalf("the store says %+v, %v; the memory said RetryAfter %v", d, err, te.RetryAfter)
		}
	}
	if n := st.count() - asked; n != 3 { // the three checks above, not the calls
		t.Fatalf("the store was asked %d times for the remembered key", n-3)
	}
	if err := r.Allow(ctx, "cold"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	ForgetRejections() // as a store does when its state is cleared
	asked = st.count()
	if err := r.Allow(ctx, "hot"); !errors.Is(err, ErrThrottled) || st.count() != asked+1 {
		t.Fatalf("after ForgetRejections: %v, store asked %d times, want once", err, st.count()-asked)
	}
	clk.Advance(100 * time.Millisecond) // RetryAfter has passed
	asked = st.count()
	if err := r.Allow(ctx, "hot"); err != nil {
		t.Fatalf("after RetryAfter: %v", err)
	}
	if st.count() != asked+1 {
		t.Fatal("the store was not asked once RetryAfter had passed")
	}
}

// TestHotKeyMemoryRespectsWaits: a rejection of a call that could wait only
// briefly (its context's deadline was near) is not applied to a call that may
// wait longer and reserve a later turn.
func TestHotKeyMemoryRespectsWaits(t *testing.T) {
	clk := rateFakeClock(t)
	st := &clockStore{mem: NewMemoryStore(), now: clk.Now}
	useRateConfig(t, WithStore(st), WithClock(clk))
	name := rateUnique(t)
	r := NewRate(name, RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Second, Burst: 1, Wait: 2 * time.Second})
	ctx := context.Background()
	if err := r.Allow(ctx, ""); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithDeadline(ctx, time.Now().Add(10*time.Millisecond))
	defer cancel()
	if err := r.Allow(short, ""); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a call that cannot wait 1s: %v, want a rejection", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Allow(ctx, "") }()
	if !clk.WaitForTimers(1, 5*time.Second) {
		t.Fatal("the call that may wait did not reserve a turn (was it rejected from memory?)")
	}
	clk.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatalf("waiting call: %v", err)
	}
}

// TestHotKeyMemoryMatchesCostAndValues: a remembered rejection of a call of
// cost c applies only to calls of the same key with cost c or more and the
// same per-call values; others ask the store, and an override in force
// empties the memory.
func TestHotKeyMemoryMatchesCostAndValues(t *testing.T) {
	clk := rateFakeClock(t)
	st := &clockStore{mem: NewMemoryStore(), now: clk.Now}
	useRateConfig(t, WithStore(st), WithClock(clk))
	name := rateUnique(t)
	r := NewRate(name, RateSpec{Algorithm: GCRA, Duration: time.Second, PerCall: PerCallQuota, Keyed: true})
	ctx := context.Background()
	call := func(cost, quota int64) (error, int) {
		asked := st.count()
		err := r.AllowCall(ctx, Call{Key: "hot", Cost: cost, Quota: quota})
		return err, st.count() - asked
	}
	if err, _ := call(3, 4); err != nil { // 1 of 4 units left
		t.Fatal(err)
	}
	if err, asked := call(2, 4); !errors.Is(err, ErrThrottled) || asked != 1 {
		t.Fatalf("cost 2 of the 1 unit left: %v, store asked %d times", err, asked)
	}
	for _, c := range []struct {
		cost, quota int64
		asked       int
		allowed     bool
	}{
		{3, 4, 0, false}, // cost above the remembered one: rejected from memory
		{2, 4, 0, false}, // the same cost
		{1, 4, 1, true},  // a smaller cost: the store admits the unit left
		{2, 8, 1, false}, // other values: the store decides (and remembers them)
		{2, 4, 1, false}, // the memory holds the key's latest rejection only
	} {
		err, asked := call(c.cost, c.quota)
		if (err == nil) != c.allowed || asked != c.asked {
			t.Fatalf("cost %d quota %d: %v, store asked %d times, want %d", c.cost, c.quota, err, asked, c.asked)
		}
	}
	if err, asked := call(2, 4); !errors.Is(err, ErrThrottled) || asked != 0 {
		t.Fatalf("cost 2 again: %v, store asked %d times", err, asked)
	}
	Configure(WithOverrides(Overrides{&overrideSet{rate: map[limitID]*rateOverrides{
		{"other", GCRA}: {all: &rateOverride{has: ovQuota, Quota: 9}},
	}}}))
	if err, asked := call(2, 4); !errors.Is(err, ErrThrottled) || asked != 1 {
		t.Fatalf("after an override: %v, store asked %d times, want once", err, asked)
	}
}
