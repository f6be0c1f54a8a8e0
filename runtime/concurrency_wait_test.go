package runtime

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// useConfig applies opts for the duration of the test.
func useConfig(t *testing.T, opts ...Option) {
	t.Helper()
	old := current.Load()
	Configure(opts...)
	t.Cleanup(func() { current.Store(old) })
}

func TestConcurrencyMaxWaitIsDeadline(t *testing.T) {
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	useConfig(t, WithClock(clk))
	c := NewConcurrency(ConcurrencySpec{Capacity: 1, Queue: 2, MaxWait: 5 * time.Second})
	s, _ := c.Acquire(context.Background(), "")
	out := make(chan result, 2)
	goAcquire(t, c, context.Background(), "w", "", PriorityNormal, out)
	if !clk.WaitForTimers(1, 10*time.Second) {
		t.Fatal("the waiter set no max_wait timer")
	}
	clk.Advance(4 * time.Second)
	select {
	case r := <-out:
		t.Fatalf("waiter decided before max_wait: %v", r.err)
	default:
	}
	clk.Advance(time.Second)
	r := <-out
	if got := reasonOf(t, r.err); got != ReasonDeadline {
		t.Fatalf("reason %v, want deadline", got)
	}
	if st := c.Stats(); st.Queued != 0 || st.Running != 1 {
		t.Fatalf("stats %+v", st)
	}
	s.Release()
	if st := c.Stats(); st.Running != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestConcurrencyMaxWaitNotReachedGetsSlot(t *testing.T) {
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	useConfig(t, WithClock(clk))
	c := NewConcurrency(ConcurrencySpec{Capacity: 1, Queue: 1, MaxWait: 5 * time.Second})
	s, _ := c.Acquire(context.Background(), "")
	out := make(chan result, 1)
	goAcquire(t, c, context.Background(), "w", "", PriorityNormal, out)
	clk.WaitForTimers(1, 10*time.Second)
	clk.Advance(3 * time.Second)
	s.Release()
	r := <-out
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.slot.Release()
	if clk.Timers() != 0 {
		t.Fatalf("%d timers left running", clk.Timers())
	}
}

// recorder is a Hook that records every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) OnDecision(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func TestConcurrencyHookSeesDecisions(t *testing.T) {
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	rec := &recorder{}
	useConfig(t, WithHook(rec), WithClock(clk))
	c := NewConcurrency(ConcurrencySpec{Name: "test.hook.pool", Capacity: 1, Queue: 1, MaxWait: time.Second})
	s, _ := c.Acquire(context.Background(), "a")
	out := make(chan result, 1)
	goAcquire(t, c, context.Background(), "w", "b", PriorityNormal, out)
	_, _ = c.Acquire(context.Background(), "c") // full queue
	clk.WaitForTimers(1, 10*time.Second)
	clk.Advance(300 * time.Millisecond)
	s.Release()
	r := <-out
	r.slot.Release()

	want := []Event{
		{Policy: "concurrency", Name: "test.hook.pool", Key: "a", Allowed: true, Running: 1},
		{Policy: "concurrency", Name: "test.hook.pool", Key: "c", Reason: ReasonFullQueue, Running: 1, Queued: 1},
		{Policy: "concurrency", Name: "test.hook.pool", Key: "b", Allowed: true, Wait: 300 * time.Millisecond, Running: 1},
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) != len(want) {
		t.Fatalf("events %+v, want %+v", rec.events, want)
	}
	for i := range want {
		if rec.events[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, rec.events[i], want[i])
		}
	}
}

func TestAllConcurrencyStats(t *testing.T) {
	c := NewConcurrency(ConcurrencySpec{Name: "test.stats.pool", Capacity: 4})
	s, _ := c.Acquire(context.Background(), "")
	defer s.Release()
	for _, st := range AllConcurrencyStats() {
		if st.Name == "test.stats.pool" {
			if st.Running != 1 || st.Capacity != 4 {
				t.Fatalf("stats %+v", st)
			}
			return
		}
	}
	t.Fatal("named pool missing from AllConcurrencyStats")
}
