package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// memLeases is an in-memory LeaseStore shared by the limiters of a test, as
// a Redis server is shared by processes. Leases never expire here.
type memLeases struct {
	mu       sync.Mutex
	leases   map[string]*LeaseRequest
	released chan struct{}
	down     bool
	acquires int
}

func newMemLeases() *memLeases {
	return &memLeases{leases: map[string]*LeaseRequest{}, released: make(chan struct{})}
}

var errDown = errors.New("store down")

func (m *memLeases) Decide(context.Context, *Request) (Decision, error) {
	return Decision{Allowed: true}, nil
}
func (m *memLeases) Cancel(context.Context, *Request) error { return nil }

func (m *memLeases) AcquireLease(_ context.Context, req *LeaseRequest) (LeaseResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.acquires++
	if m.down {
		return LeaseResult{}, errDown
	}
	var all, byConsumer, byPrio int
	for _, l := range m.leases {
		if l.Pool != req.Pool {
			continue
		}
		all++
		if l.Consumer == req.Consumer {
			byConsumer++
		}
		if l.Priority == req.Priority {
			byPrio++
		}
	}
	switch {
	case req.CapacityFirst && all >= req.Capacity:
		return LeaseResult{Reason: ReasonFullQueue, RetryIn: req.TTL}, nil
	case req.PriorityMax >= 0 && byPrio+1 > req.PriorityMax:
		return LeaseResult{Reason: ReasonPriorityQuota}, nil
	case req.ConsumerMax >= 0 && byConsumer+1 > req.ConsumerMax:
		return LeaseResult{Reason: ReasonConsumerQuota}, nil
	case all >= req.Capacity:
		return LeaseResult{Reason: ReasonFullQueue, RetryIn: req.TTL}, nil
	}
	m.leases[req.ID] = req
	return LeaseResult{}, nil
}

func (m *memLeases) RenewLeases(context.Context, []*LeaseRequest) error { return nil }

func (m *memLeases) ReleaseLease(_ context.Context, req *LeaseRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.leases, req.ID)
	close(m.released)
	m.released = make(chan struct{})
	return nil
}

func (m *memLeases) WatchLeases(context.Context, string, string) (<-chan struct{}, func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, nil, errDown
	}
	return m.released, func() {}, nil
}

func (m *memLeases) held() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.leases)
}

func (m *memLeases) setDown(down bool) {
	m.mu.Lock()
	m.down = down
	m.mu.Unlock()
}

// globalPair returns two limiters of one global pool, as two processes
// would have, over a fresh memLeases and a fake clock.
func globalPair(t *testing.T, spec ConcurrencySpec, opts ...Option) (a, b *Concurrency, m *memLeases, clk *fakeclock.Clock) {
	t.Helper()
	m = newMemLeases()
	clk = fakeclock.New(time.Unix(1_700_000_000, 0))
	useConfig(t, append([]Option{WithStore(m), WithClock(clk)}, opts...)...)
	spec.Scope = ScopeGlobal
	// Two limiters of one pool, bypassing the process's registry of pools:
	// they stand for two processes.
	if spec.Name == "" {
		spec.Name = "test/" + t.Name()
	}
	return newConcurrency(spec), newConcurrency(spec), m, clk
}

func TestGlobalCapacityAcrossLimitersWakesOnRelease(t *testing.T) {
	a, b, m, clk := globalPair(t, ConcurrencySpec{Capacity: 2, Queue: 1})
	s1, err := a.Acquire(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	s2, err := a.Acquire(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if st := a.Stats(); st.Running != 2 {
		t.Fatalf("stats %+v", st)
	}
	out := make(chan result, 1)
	goAcquire(t, b, context.Background(), "b", "y", PriorityNormal, out)
	// The second limiter's queue is full; the low rule holds too.
	if _, err := b.Acquire(context.Background(), "z"); reasonOf(t, err) != ReasonFullQueue {
		t.Fatalf("queue of one exceeded: %v", err)
	}
	if _, err := b.AcquirePriority(context.Background(), "z", PriorityLow); reasonOf(t, err) != ReasonFullQueue {
		t.Fatalf("low behind a waiter: %v", err)
	}
	clk.WaitForTimers(1, 10*time.Second) // the waiter's fallback retry timer
	s1.Release()                         // wakes the waiter through the watch, not the timer
	r := <-out
	if r.err != nil {
		t.Fatal(r.err)
	}
	if m.held() != 2 {
		t.Fatalf("%d leases, want 2", m.held())
	}
	s2.Release()
	r.slot.Release()
	r.slot.Release() // a second release of a lease does nothing
	if m.held() != 0 {
		t.Fatalf("%d leases left", m.held())
	}
	if st := b.Stats(); st.Running != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGlobalQuotas(t *testing.T) {
	a, b, _, _ := globalPair(t, ConcurrencySpec{Capacity: 4,
		ConsumerQuotas: []Quota{{Fraction: 0.5}}, PriorityQuotas: []Quota{{Name: "high", Fraction: 0.25}}})
	var held []Slot
	for _, lim := range []*Concurrency{a, b} {
		s, err := lim.Acquire(context.Background(), "c")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s)
	}
	if _, err := b.Acquire(context.Background(), "c"); reasonOf(t, err) != ReasonConsumerQuota {
		t.Fatalf("consumer over its quota across limiters: %v", err)
	}
	s, err := a.AcquirePriority(context.Background(), "d", PriorityHigh)
	if err != nil {
		t.Fatal(err)
	}
	held = append(held, s)
	if _, err := b.AcquirePriority(context.Background(), "e", PriorityHigh); reasonOf(t, err) != ReasonPriorityQuota {
		t.Fatalf("high over its quota across limiters: %v", err)
	}
	for _, s := range held {
		s.Release()
	}
}

func TestGlobalMaxWait(t *testing.T) {
	a, b, _, clk := globalPair(t, ConcurrencySpec{Capacity: 1, Queue: 1, MaxWait: 2 * time.Second})
	s, _ := a.Acquire(context.Background(), "")
	defer s.Release()
	out := make(chan result, 1)
	goAcquire(t, b, context.Background(), "b", "", PriorityNormal, out)
	clk.WaitForTimers(2, 10*time.Second) // max_wait and the retry timer
	clk.Advance(2 * time.Second)
	r := <-out
	if reasonOf(t, r.err) != ReasonDeadline {
		t.Fatalf("%v, want deadline", r.err)
	}
	if st := b.Stats(); st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGlobalCancelledWaiter(t *testing.T) {
	a, b, _, _ := globalPair(t, ConcurrencySpec{Capacity: 1, Queue: 1})
	s, _ := a.Acquire(context.Background(), "")
	defer s.Release()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan result, 1)
	goAcquire(t, b, ctx, "b", "", PriorityNormal, out)
	cancel()
	if r := <-out; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", r.err)
	}
	if st := b.Stats(); st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGlobalStoreDownFallsBackToLocal(t *testing.T) {
	rec := &recorder{}
	a, _, m, _ := globalPair(t, ConcurrencySpec{Capacity: 1}, WithHook(rec))
	m.setDown(true)
	s, err := a.Acquire(context.Background(), "x")
	if err != nil {
		t.Fatalf("store down: %v, want the local limiter to decide", err)
	}
	if _, err := a.Acquire(context.Background(), "x"); reasonOf(t, err) != ReasonFullQueue {
		t.Fatalf("local capacity not enforced while the store is down: %v", err)
	}
	s.Release()
	if st := a.Stats(); st.Running != 0 {
		t.Fatalf("stats %+v", st)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) != 2 || !errors.Is(rec.events[0].Err, errDown) || !rec.events[0].Allowed || !errors.Is(rec.events[1].Err, errDown) {
		t.Fatalf("events %+v, want two decisions carrying the store's error", rec.events)
	}
}

func TestGlobalWithoutLeaseStoreIsLocal(t *testing.T) {
	useConfig(t, WithStore(nil))
	c := NewConcurrency(ConcurrencySpec{Name: "test/global/nolease", Capacity: 1, Scope: ScopeGlobal})
	s, err := c.Acquire(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(context.Background(), ""); reasonOf(t, err) != ReasonFullQueue {
		t.Fatalf("%v", err)
	}
	s.Release()
}

func TestGlobalRenewerStops(t *testing.T) {
	a, _, _, _ := globalPair(t, ConcurrencySpec{Capacity: 1, LeaseTTL: 30 * time.Millisecond})
	s, _ := a.Acquire(context.Background(), "")
	g := a.global
	s.Release()
	waitFor(t, "the renewer to stop", func() bool {
		g.leasesMu.Lock()
		defer g.leasesMu.Unlock()
		return !g.renewing
	})
}

func TestGlobalLocalOrderAndRecheck(t *testing.T) {
	for _, tc := range []struct {
		order Order
		want  string
	}{{LIFO, "w3 w2 w1"}, {FIFO, "w1 w2 w3"}} {
		t.Run(tc.order.String(), func(t *testing.T) {
			a, b, _, _ := globalPair(t, ConcurrencySpec{Capacity: 1, Queue: 3, Order: tc.order})
			s, _ := a.Acquire(context.Background(), "")
			out := make(chan result, 3)
			for _, tag := range []string{"w1", "w2", "w3"} {
				goAcquire(t, b, context.Background(), tag, tag, PriorityNormal, out)
			}
			s.Release()
			var got []string
			for range 3 {
				r := <-out
				if r.err != nil {
					t.Fatal(r.err)
				}
				got = append(got, r.tag)
				r.slot.Release()
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("order %s, want %s", g, tc.want)
			}
		})
	}
	t.Run("quota after waiting", func(t *testing.T) {
		// Capacity 2, one slot per consumer: x and y hold; a1, a2 wait; the
		// first release admits a2 (LIFO), the second finds a over its quota.
		a, b, m, _ := globalPair(t, ConcurrencySpec{Capacity: 2, Queue: 2, ConsumerQuotas: []Quota{{Fraction: 0.5}}})
		x, _ := a.Acquire(context.Background(), "x")
		y, _ := a.Acquire(context.Background(), "y")
		out := make(chan result, 2)
		goAcquire(t, b, context.Background(), "a1", "a", PriorityNormal, out)
		goAcquire(t, b, context.Background(), "a2", "a", PriorityNormal, out)
		x.Release()
		first := <-out
		y.Release()
		second := <-out
		if first.tag != "a2" || first.err != nil || second.tag != "a1" || reasonOf(t, second.err) != ReasonConsumerQuota {
			t.Fatalf("%s: %v, then %s: %v", first.tag, first.err, second.tag, second.err)
		}
		if m.held() != 1 {
			t.Fatalf("%d leases, want a2's only", m.held())
		}
		first.slot.Release()
	})
}

func TestGlobalFullQueueBeforeQuotas(t *testing.T) {
	// Check (1) first, as locally: the pool is full and this process's
	// queue (of 0) is full, so a call over its consumer quota hears "full
	// queue"; with room in the queue it hears the quota.
	for _, tc := range []struct {
		queue int
		want  Reason
	}{{0, ReasonFullQueue}, {1, ReasonConsumerQuota}} {
		a, _, _, _ := globalPair(t, ConcurrencySpec{Name: fmt.Sprint("test/global/order", tc.queue), Capacity: 2, Queue: tc.queue,
			ConsumerQuotas: []Quota{{Fraction: 0.5}}})
		x, _ := a.Acquire(context.Background(), "a")
		y, _ := a.Acquire(context.Background(), "b")
		if _, err := a.Acquire(context.Background(), "a"); reasonOf(t, err) != tc.want {
			t.Errorf("queue %d: %v, want %v", tc.queue, err, tc.want)
		}
		x.Release()
		y.Release()
	}
}

// lateLeases grants leases but answers as a store that timed out: the
// lease is taken although the caller never learns it.
type lateLeases struct{ *memLeases }

func (l lateLeases) AcquireLease(ctx context.Context, req *LeaseRequest) (LeaseResult, error) {
	_, _ = l.memLeases.AcquireLease(ctx, req)
	return LeaseResult{}, errDown
}

// openBreakerLeases is a store whose breaker is open: it says so without
// being asked.
type openBreakerLeases struct{ *memLeases }

func (openBreakerLeases) Unavailable() error { return errDown }

// TestGlobalForgetsLeasesItNeverLearntOf: a lease the store granted to a
// call that got an error instead is released in the background; a store
// that says it cannot answer is not asked at all, so there is nothing to
// release.
func TestGlobalForgetsLeasesItNeverLearntOf(t *testing.T) {
	m := newMemLeases()
	useConfig(t, WithStore(lateLeases{m}))
	c := newConcurrency(ConcurrencySpec{Name: "test/" + t.Name(), Capacity: 2, Scope: ScopeGlobal})
	s, err := c.Acquire(context.Background(), "x")
	if err != nil {
		t.Fatalf("store error: %v, want the local limiter to decide", err)
	}
	s.Release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m.mu.Lock()
		n := len(m.leases)
		m.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease granted to a call that got an error was never released")
		}
		time.Sleep(time.Millisecond)
	}

	m = newMemLeases()
	useConfig(t, WithStore(openBreakerLeases{m}))
	c = newConcurrency(ConcurrencySpec{Name: "test/" + t.Name() + "/open", Capacity: 2, Scope: ScopeGlobal})
	if s, err = c.Acquire(context.Background(), "x"); err != nil {
		t.Fatalf("store unavailable: %v, want the local limiter to decide", err)
	}
	s.Release()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.acquires != 0 {
		t.Fatalf("a store that said it cannot answer was asked %d times", m.acquires)
	}
}
