package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// configureForTest applies opts for the rest of the test.
func configureForTest(t *testing.T, opts ...Option) {
	t.Cleanup(SaveConfig())
	Configure(opts...)
}

func TestSaveConfigRestoresEveryOption(t *testing.T) {
	a, b := NewMemoryStore(), NewMemoryStore()
	hA, hB := &recorder{}, &recorder{}
	clkA, clkB := fakeclock.New(t0), fakeclock.New(t0.Add(time.Hour))
	configureForTest(t, WithStore(a), WithKeyspace("ks-a"), WithHook(hA), WithClock(clkA))
	before := loadConfig()

	restore := SaveConfig()
	Configure(WithStore(b), WithKeyspace("ks-b"), WithHook(hB), WithClock(clkB), WithLimitsOff(true))
	if c := loadConfig(); c.store != Store(b) || c.keyspace != "ks-b" || c.hook != Hook(hB) || c.clock != Clock(clkB) || !c.limitsOff {
		t.Fatalf("after Configure: %+v", c)
	}
	restore()
	after := loadConfig()
	if after.store != Store(a) || after.keyspace != "ks-a" || after.hook != Hook(hA) || after.clock != Clock(clkA) || after.limitsOff {
		t.Fatalf("after restore: %+v, want %+v", after, before)
	}
	if after == before || after.gen <= before.gen+1 {
		t.Fatalf("restore republished generation %d (before %d): limiters would keep what they derived", after.gen, before.gen)
	}
	Configure(WithKeyspace("again"))
	restore()
	if c := loadConfig(); c.keyspace != "ks-a" || c.store != Store(a) {
		t.Fatalf("a second restore: %+v", c)
	}
}

func TestSaveConfigOrder(t *testing.T) {
	configureForTest(t, WithKeyspace("outer"))
	one := SaveConfig()
	Configure(WithKeyspace("one"))
	two := SaveConfig()
	Configure(WithKeyspace("two"))
	two()
	if ks := loadConfig().keyspace; ks != "one" {
		t.Fatalf("restores in reverse order: keyspace %q after the inner one, want one", ks)
	}
	one()
	if ks := loadConfig().keyspace; ks != "outer" {
		t.Fatalf("restores in reverse order: keyspace %q after both, want outer", ks)
	}

	one = SaveConfig()
	Configure(WithKeyspace("one"))
	two = SaveConfig()
	Configure(WithKeyspace("two"))
	one()
	if ks := loadConfig().keyspace; ks != "outer" {
		t.Fatalf("out of order: keyspace %q, want outer (saved first)", ks)
	}
	two()
	if ks := loadConfig().keyspace; ks != "one" {
		t.Fatalf("out of order: keyspace %q, want one (saved second)", ks)
	}
}

// A limiter caches what it derives from the configuration (its in-memory
// table, its store); a restore must refresh that as a Configure does.
func TestSaveConfigRefreshesLimiters(t *testing.T) {
	clk := fakeclock.New(t0)
	configureForTest(t, WithStore(NewMemoryStore()), WithKeyspace("a"), WithClock(clk))
	r := NewRate(rateUnique(t), RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Keyed: true})
	ctx := context.Background()
	if err := r.Allow(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if te := rateThrottled(t, r.Allow(ctx, "k")); te.RetryAfter != time.Hour {
		t.Fatalf("RetryAfter %v, want 1h", te.RetryAfter)
	}

	rs := &rateRecordingStore{mem: NewMemoryStore()}
	h := &recorder{}
	restore := SaveConfig()
	Configure(WithStore(rs), WithKeyspace("b"), WithHook(h), WithClock(nil))
	if err := r.Allow(ctx, "k"); err != nil {
		t.Fatalf("in a fresh store: %v", err)
	}
	if len(rs.reqs) != 1 || rs.reqs[0].Keyspace != "b" || len(h.events) != 1 {
		t.Fatalf("store saw %+v, hook saw %+v; want one request in keyspace b and one event", rs.reqs, h.events)
	}

	restore()
	// Back in the first store and keyspace, on the fake clock (on the
	// system clock the hour would long be over), without the hook.
	if te := rateThrottled(t, r.Allow(ctx, "k")); te.RetryAfter != time.Hour {
		t.Fatalf("after restore: RetryAfter %v, want 1h", te.RetryAfter)
	}
	if len(rs.reqs) != 1 || len(h.events) != 1 {
		t.Fatalf("after restore the replaced store or hook was used: %d requests, %d events", len(rs.reqs), len(h.events))
	}
	clk.Advance(time.Hour)
	if err := r.Allow(ctx, "k"); err != nil {
		t.Fatalf("after the fake clock moved: %v", err)
	}
}

func TestLimitsOff(t *testing.T) {
	rs := &rateRecordingStore{mem: NewMemoryStore()}
	h := &recorder{}
	configureForTest(t, WithStore(rs), WithHook(h))
	name := rateUnique(t)
	shared := NewRate(name+"/shared", RateSpec{Algorithm: FixedWindow, Quota: 1, Duration: time.Hour})
	local := NewRate(name+"/local", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Scope: ScopeLocal})
	multi := NewRate(name+"/multi",
		RateSpec{Name: name + "/multi/a", Algorithm: SlidingWindow, Quota: 1, Duration: time.Hour},
		RateSpec{Name: name + "/multi/b", Algorithm: TokenBucket, Quota: 1, Duration: time.Hour})
	pool := NewConcurrency(ConcurrencySpec{Name: name + "/pool", Capacity: 1})
	ctx := context.Background()

	on := SaveConfig()
	Configure(WithLimitsOff(true))
	var slots []Slot
	for i := range 3 {
		if err := shared.Allow(ctx, ""); err != nil {
			t.Fatalf("call %d, store limit: %v", i, err)
		}
		if err := local.Allow(ctx, ""); err != nil {
			t.Fatalf("call %d, local limit: %v", i, err)
		}
		if err := multi.AllowKeys(ctx, "", ""); err != nil {
			t.Fatalf("call %d, two limits: %v", i, err)
		}
		s, err := pool.Acquire(ctx, "c")
		if err != nil {
			t.Fatalf("call %d, Acquire: %v", i, err)
		}
		slots = append(slots, s)
		s, err = pool.AcquirePriority(ctx, "c", PriorityLow)
		if err != nil {
			t.Fatalf("call %d, AcquirePriority: %v", i, err)
		}
		slots = append(slots, s)
	}
	ran := false
	if err := pool.Do(ctx, "c", func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("Do: ran %v, err %v", ran, err)
	}
	if st := pool.Stats(); st.Running != 0 || st.Queued != 0 {
		t.Fatalf("with limits off the pool counted calls: %+v", st)
	}
	for _, s := range slots {
		s.Release()
	}
	if len(rs.reqs) != 0 || len(h.events) != 0 {
		t.Fatalf("with limits off: %d store requests, %d hook events; want none", len(rs.reqs), len(h.events))
	}

	on()
	// Nothing was consumed while limits were off: each admits once more.
	for _, r := range []*Rate{shared, local} {
		if err := r.Allow(ctx, ""); err != nil {
			t.Fatalf("%s after limits on: %v", r.function, err)
		}
		rateThrottled(t, r.Allow(ctx, ""))
	}
	if err := multi.AllowKeys(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	rateThrottled(t, multi.AllowKeys(ctx, "", ""))
	s, err := pool.Acquire(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Acquire(ctx, "c"); reasonOf(t, err) != ReasonFullQueue {
		t.Fatalf("second call with capacity 1: %v", err)
	}
	s.Release()
	if len(h.events) == 0 {
		t.Fatal("the hook saw nothing once limits were on again")
	}

	// WithLimitsOff(false) switches them on without a restore.
	Configure(WithLimitsOff(true))
	Configure(WithLimitsOff(false))
	rateThrottled(t, shared.Allow(ctx, ""))
}

func TestLimitsOffGlobalPool(t *testing.T) {
	m := newMemLeases()
	configureForTest(t, WithStore(m), WithLimitsOff(true))
	pool := NewConcurrency(ConcurrencySpec{Name: rateUnique(t), Capacity: 1, Scope: ScopeGlobal})
	ctx := context.Background()
	for range 3 {
		s, err := pool.Acquire(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Release()
	}
	m.mu.Lock()
	n := m.acquires
	m.mu.Unlock()
	if n != 0 {
		t.Fatalf("with limits off the lease store was asked %d times", n)
	}
}
