package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// reasonOf returns the reason of a rejection, or 0 for nil.
func reasonOf(t *testing.T, err error) Reason {
	t.Helper()
	if err == nil {
		return 0
	}
	var te *ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *ThrottledError", err)
	}
	if !errors.Is(err, ErrThrottled) {
		t.Fatalf("error %v does not match ErrThrottled", err)
	}
	if te.Policy != "concurrency" {
		t.Fatalf("Policy = %q, want concurrency", te.Policy)
	}
	return te.Reason
}

// waitFor polls cond (real time) until it holds; it is how tests learn that
// goroutines under test have reached the queue. It never asserts timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// result is what a background acquire ended with.
type result struct {
	tag  string
	slot Slot
	err  error
}

// goAcquire starts an acquire that may wait, and waits until it is queued
// (or decided).
func goAcquire(t *testing.T, c *Concurrency, ctx context.Context, tag, consumer string, p Priority, out chan<- result) {
	t.Helper()
	before := c.Stats().Queued
	done := make(chan struct{})
	go func() {
		s, err := c.AcquirePriority(ctx, consumer, p)
		out <- result{tag, s, err}
		close(done)
	}()
	waitFor(t, tag+" to queue", func() bool {
		select {
		case <-done:
			return true
		default:
			return c.Stats().Queued > before
		}
	})
}

func TestConcurrencyCapacityAndQueue(t *testing.T) {
	// As aio-throttle's capacity/queue table: calls beyond capacity wait up
	// to the queue limit, the rest are rejected with ReasonFullQueue.
	for _, tc := range []struct{ capacity, queue, calls, succeed, failed int }{
		{1, 0, 1, 1, 0}, {1, 0, 2, 1, 1}, {2, 0, 2, 2, 0}, {2, 0, 3, 2, 1},
		{1, 1, 2, 2, 0}, {1, 1, 3, 2, 1}, {2, 1, 3, 3, 0}, {2, 1, 4, 3, 1},
		{1, 2, 3, 3, 0}, {1, 2, 4, 3, 1}, {3, 3, 10, 6, 4},
	} {
		t.Run(fmt.Sprintf("cap%d_queue%d_calls%d", tc.capacity, tc.queue, tc.calls), func(t *testing.T) {
			c := NewConcurrency(ConcurrencySpec{Capacity: tc.capacity, Queue: tc.queue})
			out := make(chan result, tc.calls)
			var held []Slot
			failed := 0
			for i := range tc.calls {
				if i < tc.capacity {
					s, err := c.Acquire(context.Background(), "")
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					held = append(held, s)
					continue
				}
				if i < tc.capacity+tc.queue {
					goAcquire(t, c, context.Background(), fmt.Sprint(i), "", PriorityNormal, out)
					continue
				}
				_, err := c.Acquire(context.Background(), "")
				if r := reasonOf(t, err); r != ReasonFullQueue {
					t.Fatalf("call %d: reason %v, want full queue", i, r)
				}
				failed++
			}
			succeed := len(held)
			for _, s := range held {
				s.Release()
			}
			for range min(tc.queue, tc.calls-tc.capacity) {
				r := <-out
				if r.err != nil {
					t.Fatalf("queued call %s: %v", r.tag, r.err)
				}
				succeed++
				r.slot.Release()
			}
			if succeed != tc.succeed || failed != tc.failed {
				t.Fatalf("succeeded %d, failed %d; want %d, %d", succeed, failed, tc.succeed, tc.failed)
			}
			if st := c.Stats(); st.Running != 0 || st.Queued != 0 {
				t.Fatalf("after all: %+v", st)
			}
		})
	}
}

func TestQuotaMax(t *testing.T) {
	for _, tc := range []struct {
		f        float64
		capacity int
		want     int
	}{
		{0.7, 10, 7}, {0.3, 10, 3}, {0.9, 10, 9}, {1, 10, 10}, {0.1, 3, 0}, {0.5, 3, 1},
		{0.34, 3, 1}, {2.0 / 3, 3, 2}, {0.99, 100, 99}, {0.01, 100, 1}, {0.29, 10, 2},
	} {
		if got := quotaMax(tc.f, tc.capacity); got != tc.want {
			t.Errorf("quotaMax(%v, %d) = %d, want %d", tc.f, tc.capacity, got, tc.want)
		}
		// The rule itself: n admitted iff n/capacity <= f.
		n := quotaMax(tc.f, tc.capacity)
		if n > 0 && float64(n)/float64(tc.capacity) > tc.f || float64(n+1)/float64(tc.capacity) <= tc.f && n < tc.capacity {
			t.Errorf("quotaMax(%v, %d) = %d breaks the rule", tc.f, tc.capacity, n)
		}
	}
}

// step is one acquire in a quota table: consumer, priority, expected reason.
type step struct {
	consumer string
	prio     Priority
	none     bool // no priority at all
	want     Reason
}

func runSteps(t *testing.T, c *Concurrency, steps []step) {
	t.Helper()
	var held []Slot
	defer func() {
		for _, s := range held {
			s.Release()
		}
		if st := c.Stats(); st.Running != 0 {
			t.Errorf("running after releasing all: %d", st.Running)
		}
	}()
	for i, s := range steps {
		var slot Slot
		var err error
		if s.none {
			slot, err = c.Acquire(context.Background(), s.consumer)
		} else {
			slot, err = c.AcquirePriority(context.Background(), s.consumer, s.prio)
		}
		if got := reasonOf(t, err); got != s.want {
			t.Fatalf("step %d (%s/%v): reason %v, want %v", i, s.consumer, s.prio, got, s.want)
		}
		if err == nil {
			held = append(held, slot)
		}
	}
}

func repeat(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestConcurrencyConsumerQuotas(t *testing.T) {
	n := PriorityNormal
	for _, tc := range []struct {
		name   string
		quotas []Quota
		steps  []step
	}{
		{"unnamed applies to each consumer", []Quota{{Fraction: 0.7}}, concat(
			repeat(7, step{"a", n, true, 0}),
			[]step{{"a", n, true, ReasonConsumerQuota}},
			repeat(3, step{"b", n, true, 0}),
			[]step{{"b", n, true, ReasonFullQueue}},
		)},
		{"named applies to one", []Quota{{Name: "billing", Fraction: 0.3}}, concat(
			repeat(3, step{"billing", n, true, 0}),
			[]step{{"billing", n, true, ReasonConsumerQuota}},
			repeat(7, step{"other", n, true, 0}),
		)},
		{"all quotas must hold", []Quota{{Fraction: 0.7}, {Name: "billing", Fraction: 0.3}}, concat(
			repeat(3, step{"billing", n, true, 0}),
			[]step{{"billing", n, true, ReasonConsumerQuota}},
			repeat(7, step{"a", n, false, 0}),
		)},
		{"named larger than unnamed", []Quota{{Fraction: 0.2}, {Name: "vip", Fraction: 0.9}}, concat(
			repeat(2, step{"vip", n, true, 0}),
			[]step{{"vip", n, true, ReasonConsumerQuota}},
			repeat(2, step{"x", n, true, 0}),
			[]step{{"x", n, true, ReasonConsumerQuota}},
		)},
		{"empty consumer is a consumer", []Quota{{Fraction: 0.5}}, concat(
			repeat(5, step{"", n, true, 0}),
			[]step{{"", n, true, ReasonConsumerQuota}},
			repeat(5, step{"z", n, true, 0}),
		)},
		{"tiny fraction rejects all", []Quota{{Fraction: 0.05}}, []step{{"a", n, true, ReasonConsumerQuota}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, NewConcurrency(ConcurrencySpec{Capacity: 10, ConsumerQuotas: tc.quotas}), tc.steps)
		})
	}
}

func TestConcurrencyPriorityQuotas(t *testing.T) {
	h, n, l := PriorityHigh, PriorityNormal, PriorityLow
	for _, tc := range []struct {
		name     string
		quotas   []Quota
		consumer []Quota
		steps    []step
	}{
		{"normal:0.9 leaves room for high", []Quota{{Name: "normal", Fraction: 0.9}}, nil, concat(
			repeat(9, step{"a", n, false, 0}),
			[]step{{"a", n, false, ReasonPriorityQuota}, {"a", l, false, 0}},
		)},
		{"normal:0.9 does not bound high or none", []Quota{{Name: "normal", Fraction: 0.9}}, nil, concat(
			repeat(5, step{"a", h, false, 0}),
			repeat(5, step{"a", 0, true, 0}),
		)},
		{"unnamed applies to each class, none included", []Quota{{Fraction: 0.3}}, nil, concat(
			repeat(3, step{"a", h, false, 0}), []step{{"a", h, false, ReasonPriorityQuota}},
			repeat(3, step{"a", n, false, 0}), []step{{"a", n, false, ReasonPriorityQuota}},
			repeat(3, step{"a", 0, true, 0}), []step{{"a", 0, true, ReasonPriorityQuota}},
			[]step{{"a", l, false, 0}},
		)},
		{"none:0.2 bounds calls without priority only", []Quota{{Name: "none", Fraction: 0.2}}, nil, concat(
			repeat(2, step{"a", 0, true, 0}), []step{{"a", 0, true, ReasonPriorityQuota}},
			repeat(8, step{"a", n, false, 0}),
		)},
		{"priority checked before consumer", []Quota{{Name: "low", Fraction: 0.2}}, []Quota{{Fraction: 0.2}}, concat(
			repeat(2, step{"a", l, false, 0}),
			[]step{{"a", l, false, ReasonPriorityQuota}, {"a", n, false, ReasonConsumerQuota}, {"b", n, false, 0}},
		)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runSteps(t, NewConcurrency(ConcurrencySpec{Capacity: 10, PriorityQuotas: tc.quotas, ConsumerQuotas: tc.consumer}), tc.steps)
		})
	}
}

func TestConcurrencyFullQueueBeforeQuotas(t *testing.T) {
	// Check (1) comes first: with no free slot and a full queue, a call that
	// would also break its quota is rejected as full queue.
	c := NewConcurrency(ConcurrencySpec{Capacity: 2, ConsumerQuotas: []Quota{{Fraction: 0.5}}})
	runSteps(t, c, []step{{"a", 0, true, 0}, {"b", 0, true, 0}, {"a", 0, true, ReasonFullQueue}})
}

func TestConcurrencyLowNeverQueuesBehindOthers(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 1, Queue: 5})
	s, err := c.Acquire(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan result, 4)
	// Nobody waits: a low call may wait.
	goAcquire(t, c, context.Background(), "low1", "", PriorityLow, out)
	// Someone waits now: another low call is rejected though the queue has room.
	_, err = c.AcquirePriority(context.Background(), "", PriorityLow)
	if r := reasonOf(t, err); r != ReasonFullQueue {
		t.Fatalf("low call behind a waiter: %v, want full queue", r)
	}
	// Low from the context follows the same rule.
	_, err = c.Acquire(WithPriority(context.Background(), PriorityLow), "")
	if r := reasonOf(t, err); r != ReasonFullQueue {
		t.Fatalf("low (context) call behind a waiter: %v, want full queue", r)
	}
	// Normal and high calls still queue.
	goAcquire(t, c, context.Background(), "normal", "", PriorityNormal, out)
	goAcquire(t, c, context.Background(), "high", "", PriorityHigh, out)
	s.Release()
	for range 3 {
		r := <-out
		if r.err != nil {
			t.Fatalf("%s: %v", r.tag, r.err)
		}
		r.slot.Release()
	}
}

func TestConcurrencyOrder(t *testing.T) {
	for _, tc := range []struct {
		order Order
		want  string
	}{{LIFO, "w3 w2 w1"}, {FIFO, "w1 w2 w3"}} {
		t.Run(tc.order.String(), func(t *testing.T) {
			c := NewConcurrency(ConcurrencySpec{Capacity: 1, Queue: 3, Order: tc.order})
			s, err := c.Acquire(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			out := make(chan result, 3)
			for _, tag := range []string{"w1", "w2", "w3"} {
				goAcquire(t, c, context.Background(), tag, "", PriorityNormal, out)
			}
			var got []string
			s.Release()
			for range 3 {
				r := <-out
				if r.err != nil {
					t.Fatal(r.err)
				}
				got = append(got, r.tag)
				if st := c.Stats(); st.Running != 1 {
					t.Fatalf("running = %d while %s holds the only slot", st.Running, r.tag)
				}
				r.slot.Release()
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("order %s, want %s", g, tc.want)
			}
		})
	}
}

func TestConcurrencyRecheckAfterWaiting(t *testing.T) {
	// Capacity 2, each consumer at most 1. Waiters b1, a1, a2 pass the
	// quota when they queue. LIFO: a2 gets the first freed slot; then a1
	// fails its quota after waiting and the slot passes at once to b1.
	c := NewConcurrency(ConcurrencySpec{Capacity: 2, Queue: 3, ConsumerQuotas: []Quota{{Fraction: 0.5}}})
	x, _ := c.Acquire(context.Background(), "x")
	y, _ := c.Acquire(context.Background(), "y")
	out := make(chan result, 3)
	goAcquire(t, c, context.Background(), "b1", "b", PriorityNormal, out)
	goAcquire(t, c, context.Background(), "a1", "a", PriorityNormal, out)
	goAcquire(t, c, context.Background(), "a2", "a", PriorityNormal, out)
	x.Release()
	r := <-out
	if r.tag != "a2" || r.err != nil {
		t.Fatalf("first freed slot went to %s (%v), want a2", r.tag, r.err)
	}
	y.Release()
	got := map[string]result{}
	for range 2 {
		r := <-out
		got[r.tag] = r
	}
	if rs := reasonOf(t, got["a1"].err); rs != ReasonConsumerQuota {
		t.Fatalf("a1 after waiting: %v, want consumer quota", rs)
	}
	if got["b1"].err != nil {
		t.Fatalf("b1: %v", got["b1"].err)
	}
	if st := c.Stats(); st.Running != 2 || st.Queued != 0 {
		t.Fatalf("stats %+v, want 2 running (a2, b1), 0 queued", st)
	}
	r.slot.Release()
	got["b1"].slot.Release()
	if st := c.Stats(); st.Running != 0 {
		t.Fatalf("stats %+v after releasing all", st)
	}
}

func TestConcurrencyRecheckPriorityAfterWaiting(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 2, Queue: 2, PriorityQuotas: []Quota{{Name: "high", Fraction: 0.5}}})
	x, _ := c.AcquirePriority(context.Background(), "", PriorityNormal)
	y, _ := c.AcquirePriority(context.Background(), "", PriorityNormal)
	out := make(chan result, 2)
	goAcquire(t, c, context.Background(), "h1", "", PriorityHigh, out)
	goAcquire(t, c, context.Background(), "h2", "", PriorityHigh, out)
	x.Release()
	first := <-out
	y.Release()
	second := <-out
	if first.err != nil || reasonOf(t, second.err) != ReasonPriorityQuota {
		t.Fatalf("first %s: %v; second %s: %v; want the second rejected by priority quota", first.tag, first.err, second.tag, second.err)
	}
	if st := c.Stats(); st.Running != 1 {
		t.Fatalf("running %d, want 1: the rejected waiter gave its slot back", st.Running)
	}
	first.slot.Release()
}

func TestConcurrencyCancelledWaiterLeavesQueue(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 1, Queue: 1})
	s, _ := c.Acquire(context.Background(), "")
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan result, 2)
	goAcquire(t, c, ctx, "w", "", PriorityNormal, out)
	cancel()
	r := <-out
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, want context.Canceled", r.err)
	}
	if st := c.Stats(); st.Queued != 0 {
		t.Fatalf("queued = %d after the waiter left", st.Queued)
	}
	// Its place in the queue is free again.
	goAcquire(t, c, context.Background(), "w2", "", PriorityNormal, out)
	s.Release()
	r = <-out
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.slot.Release()
}

func TestConcurrencyContextDeadlineIsDeadline(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 1, Queue: 1})
	s, _ := c.Acquire(context.Background(), "")
	defer s.Release()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Millisecond))
	defer cancel()
	_, err := c.Acquire(ctx, "")
	if r := reasonOf(t, err); r != ReasonDeadline {
		t.Fatalf("reason %v, want deadline", r)
	}
	if st := c.Stats(); st.Queued != 0 {
		t.Fatalf("queued = %d", st.Queued)
	}
}

func TestConcurrencyPanicReleases(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 1})
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want the panic to propagate", v)
			}
		}()
		_ = c.Do(context.Background(), "", func(context.Context) error { panic("boom") })
	}()
	if st := c.Stats(); st.Running != 0 {
		t.Fatalf("running = %d after a panic", st.Running)
	}
	if err := c.Do(context.Background(), "", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrencyDoReturnsFnError(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 1})
	want := errors.New("x")
	if err := c.Do(context.Background(), "", func(context.Context) error { return want }); err != want {
		t.Fatalf("Do = %v", err)
	}
}

func TestConcurrencyPools(t *testing.T) {
	spec := ConcurrencySpec{Name: "test.pool.shared", Capacity: 3, ConsumerQuotas: []Quota{{Fraction: 0.5}}}
	a, b := NewConcurrency(spec), NewConcurrency(spec)
	if a != b {
		t.Fatal("same name gave two limiters")
	}
	if NewConcurrency(ConcurrencySpec{Capacity: 3}) == NewConcurrency(ConcurrencySpec{Capacity: 3}) {
		t.Fatal("anonymous limiters are shared")
	}
	for _, tc := range []struct {
		change func(*ConcurrencySpec)
		want   string
	}{
		{func(s *ConcurrencySpec) { s.Capacity = 4 }, "capacity (3 and 4)"},
		{func(s *ConcurrencySpec) { s.Queue = 1 }, "queue"},
		{func(s *ConcurrencySpec) { s.ConsumerQuotas = nil }, "consumer_quota"},
		{func(s *ConcurrencySpec) { s.PriorityQuotas = []Quota{{Fraction: 1}} }, "priority_quota"},
		{func(s *ConcurrencySpec) { s.Order = FIFO }, "order"},
		{func(s *ConcurrencySpec) { s.MaxWait = time.Second }, "max_wait"},
		{func(s *ConcurrencySpec) { s.Scope = ScopeGlobal }, "scope"},
	} {
		s := spec
		tc.change(&s)
		msg := panicMessage(func() { NewConcurrency(s) })
		if !strings.Contains(msg, "test.pool.shared") || !strings.Contains(msg, tc.want) {
			t.Errorf("panic %q, want it to name the pool and %q", msg, tc.want)
		}
	}
}

func TestConcurrencyInvalidSpecs(t *testing.T) {
	for _, tc := range []struct {
		spec ConcurrencySpec
		want string
	}{
		{ConcurrencySpec{}, "capacity must be at least 1"},
		{ConcurrencySpec{Capacity: 1, Queue: -1}, "queue"},
		{ConcurrencySpec{Capacity: 1, MaxWait: -1}, "max_wait"},
		{ConcurrencySpec{Capacity: 1, ConsumerQuotas: []Quota{{Fraction: 0}}}, "fraction"},
		{ConcurrencySpec{Capacity: 1, ConsumerQuotas: []Quota{{Fraction: 1.5}}}, "fraction"},
		{ConcurrencySpec{Capacity: 1, PriorityQuotas: []Quota{{Name: "urgent", Fraction: 0.5}}}, `"urgent"`},
		{ConcurrencySpec{Capacity: 1, Scope: ScopeGlobal}, "needs a Name"},
	} {
		if msg := panicMessage(func() { NewConcurrency(tc.spec) }); !strings.Contains(msg, tc.want) {
			t.Errorf("NewConcurrency(%+v) panicked %q, want %q", tc.spec, msg, tc.want)
		}
	}
}

func panicMessage(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	f()
	return ""
}

func TestSlotZeroValueRelease(t *testing.T) {
	var s Slot
	s.Release() // must not panic
}

func TestConcurrencyUncontendedAllocs(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 10, Queue: 10,
		ConsumerQuotas: []Quota{{Fraction: 0.7}, {Name: "billing", Fraction: 0.3}},
		PriorityQuotas: []Quota{{Name: "normal", Fraction: 0.9}}})
	ctx := WithPriority(context.Background(), PriorityNormal)
	allocs := testing.AllocsPerRun(1000, func() {
		s, err := c.Acquire(ctx, "tenant")
		if err != nil {
			t.Fatal(err)
		}
		s.Release()
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per acquire+release, want 0", allocs)
	}
}

func TestConcurrencyIdleConsumersAreSwept(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 4, ConsumerQuotas: []Quota{{Fraction: 0.5}}})
	held, _ := c.Acquire(context.Background(), "keeper")
	for i := range 10_000 {
		s, err := c.Acquire(context.Background(), fmt.Sprint("consumer-", i))
		if err != nil {
			t.Fatal(err)
		}
		s.Release()
	}
	c.mu.Lock()
	n, keeper := len(c.byConsumer), c.byConsumer["keeper"]
	c.mu.Unlock()
	if n > 2*minSweep {
		t.Fatalf("%d consumer entries kept for 1 running consumer", n)
	}
	if keeper == nil || keeper.running != 1 {
		t.Fatal("the sweep dropped a running consumer")
	}
	// keeper's quota (2) still counts its running call.
	second, err := c.Acquire(context.Background(), "keeper")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(context.Background(), "keeper"); reasonOf(t, err) != ReasonConsumerQuota {
		t.Fatalf("keeper's third call: %v, want consumer quota", err)
	}
	second.Release()
	held.Release()
}

func TestConcurrencyOverReleasePanicsWithoutDeadlock(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 1})
	s, _ := c.Acquire(context.Background(), "")
	s.Release()
	if msg := panicMessage(s.Release); !strings.Contains(msg, "released more often") {
		t.Fatalf("second release: panic %q", msg)
	}
	// The limiter still works.
	s, err := c.Acquire(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.Release()
}
