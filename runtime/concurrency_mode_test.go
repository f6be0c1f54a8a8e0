package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// mustOverrides parses text or fails the test.
func mustOverrides(t *testing.T, text string) Overrides {
	t.Helper()
	o, err := ParseOverrides(text)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// eventsOf returns the events rec saw for the limiter called name.
func (r *recorder) eventsOf(name string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// concState is a limiter's whole state: what shadow mode must leave as
// enforcement does.
type concState struct {
	Running, Queued int
	ByPrio          [numPrioClasses]int
	ByConsumer      map[string]int
}

func stateOf(c *Concurrency) concState {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := concState{Running: c.running, Queued: c.queue.n, ByPrio: c.byPrio, ByConsumer: map[string]int{}}
	for k, cc := range c.byConsumer {
		if cc.running > 0 {
			s.ByConsumer[k] = cc.running
		}
	}
	return s
}

// TestConcurrencyShadowSameStateAsEnforce runs one random trace of acquires
// and releases through a limiter in enforce mode and one in shadow mode:
// after every step both hold the same state, and the hook sees the same
// decisions, the shadow one's rejections marked Shadow and not returned.
func TestConcurrencyShadowSameStateAsEnforce(t *testing.T) {
	t.Cleanup(SaveConfig())
	rec := &recorder{}
	Configure(WithHook(rec), WithClock(fakeclock.New(time.Unix(1_700_000_000, 0))))
	spec := ConcurrencySpec{Capacity: 6,
		ConsumerQuotas: []Quota{{Fraction: 0.5}, {Name: "billing", Fraction: 0.34}},
		PriorityQuotas: []Quota{{Name: "low", Fraction: 0.34}, {Name: "none", Fraction: 0.67}}}
	spec.Name = "test.mode.trace.enforce"
	enf := NewConcurrency(spec)
	spec.Name, spec.Mode = "test.mode.trace.shadow", ModeShadow
	sh := NewConcurrency(spec)

	rng := rand.New(rand.NewPCG(1, 2))
	consumers := []string{"a", "b", "billing", "c"}
	prios := []Priority{PriorityLow, PriorityNormal, PriorityHigh}
	var enfSlots, shSlots []Slot
	rejected := 0
	for step := range 2000 {
		if len(enfSlots) > 0 && rng.IntN(5) < 2 {
			i := rng.IntN(len(enfSlots))
			enfSlots[i].Release()
			shSlots[i].Release()
			enfSlots = append(enfSlots[:i], enfSlots[i+1:]...)
			shSlots = append(shSlots[:i], shSlots[i+1:]...)
		} else {
			ctx := context.Background()
			if k := rng.IntN(4); k < 3 {
				ctx = WithPriority(ctx, prios[k])
			}
			consumer := consumers[rng.IntN(len(consumers))]
			es, eerr := enf.Acquire(ctx, consumer)
			ss, serr := sh.Acquire(ctx, consumer)
			if serr != nil {
				t.Fatalf("step %d: shadow limiter returned %v", step, serr)
			}
			if eerr != nil {
				rejected++
				if ss != (Slot{}) {
					t.Fatalf("step %d: shadow call holds a slot enforcement refused", step)
				}
			}
			enfSlots = append(enfSlots, es)
			shSlots = append(shSlots, ss)
		}
		if e, s := stateOf(enf), stateOf(sh); fmt.Sprint(e) != fmt.Sprint(s) {
			t.Fatalf("step %d: enforce state %+v, shadow state %+v", step, e, s)
		}
	}
	if rejected < 100 {
		t.Fatalf("only %d rejections: the trace does not exercise the limits", rejected)
	}
	ee, se := rec.eventsOf("test.mode.trace.enforce"), rec.eventsOf("test.mode.trace.shadow")
	if len(ee) != len(se) {
		t.Fatalf("%d enforce events, %d shadow events", len(ee), len(se))
	}
	for i := range ee {
		want := ee[i]
		want.Name = se[i].Name
		want.Shadow = !want.Allowed
		if se[i] != want {
			t.Fatalf("event %d: shadow %+v, want %+v", i, se[i], want)
		}
	}
	for _, s := range enfSlots {
		s.Release()
	}
	for _, s := range shSlots {
		s.Release()
	}
	if st := sh.Stats(); st.Running != 0 {
		t.Fatalf("shadow limiter left %+v", st)
	}
}

// TestConcurrencyShadowNeverWaits is the shadow rule for a call that would
// wait: it goes ahead at once, without a slot, reported Allowed and Shadow;
// with the queue full it is a shadow rejection.
func TestConcurrencyShadowNeverWaits(t *testing.T) {
	t.Cleanup(SaveConfig())
	rec := &recorder{}
	Configure(WithHook(rec))
	c := NewConcurrency(ConcurrencySpec{Name: "test.mode.wait", Capacity: 1, Queue: 1, Mode: ModeShadow})
	s1, err := c.Acquire(context.Background(), "a")
	if err != nil || s1 == (Slot{}) {
		t.Fatalf("first call: %v, %+v", err, s1)
	}
	s2, err := c.Acquire(context.Background(), "b") // would wait
	if err != nil || s2 != (Slot{}) {
		t.Fatalf("second call: %v, %+v", err, s2)
	}
	s3, err := c.Acquire(WithPriority(context.Background(), PriorityLow), "c") // would wait too: nobody waits
	if err != nil || s3 != (Slot{}) {
		t.Fatalf("third call: %v, %+v", err, s3)
	}
	if st := c.Stats(); st.Running != 1 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
	s1.Release()
	s2.Release()
	s3.Release()
	want := []Event{
		{Policy: "concurrency", Name: "test.mode.wait", Key: "a", Allowed: true, Running: 1},
		{Policy: "concurrency", Name: "test.mode.wait", Key: "b", Allowed: true, Shadow: true, Running: 1},
		{Policy: "concurrency", Name: "test.mode.wait", Key: "c", Allowed: true, Shadow: true, Running: 1},
	}
	if got := rec.eventsOf("test.mode.wait"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n%+v\nwant\n%+v", got, want)
	}

	q0 := NewConcurrency(ConcurrencySpec{Name: "test.mode.wait0", Capacity: 1, Mode: ModeShadow})
	s, _ := q0.Acquire(context.Background(), "a")
	if _, err := q0.Acquire(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	s.Release()
	want = []Event{
		{Policy: "concurrency", Name: "test.mode.wait0", Key: "a", Allowed: true, Running: 1},
		{Policy: "concurrency", Name: "test.mode.wait0", Key: "b", Reason: ReasonFullQueue, Shadow: true, Running: 1},
	}
	if got := rec.eventsOf("test.mode.wait0"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n%+v\nwant\n%+v", got, want)
	}
}

func TestConcurrencyModeOff(t *testing.T) {
	t.Cleanup(SaveConfig())
	rec := &recorder{}
	Configure(WithHook(rec))
	c := NewConcurrency(ConcurrencySpec{Name: "test.mode.off", Capacity: 1, Mode: ModeOff})
	for i := range 5 {
		s, err := c.Acquire(context.Background(), "a")
		if err != nil || s != (Slot{}) {
			t.Fatalf("call %d: %v, %+v", i, err, s)
		}
		s, err = c.AcquirePriority(context.Background(), "a", PriorityLow)
		if err != nil || s != (Slot{}) {
			t.Fatalf("call %d: %v, %+v", i, err, s)
		}
	}
	if st := c.Stats(); st.Running != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
	if ev := rec.eventsOf("test.mode.off"); len(ev) != 0 {
		t.Fatalf("events %+v", ev)
	}
}

// TestConcurrencyOverrideCapacityUnderLoad raises and lowers a limiter's
// capacity while calls run and wait.
func TestConcurrencyOverrideCapacityUnderLoad(t *testing.T) {
	t.Cleanup(SaveConfig())
	c := NewConcurrency(ConcurrencySpec{Name: "test.ovr.cap", Capacity: 2, Queue: 10, Order: FIFO})
	ctx := context.Background()
	var held []Slot
	for range 2 {
		s, err := c.Acquire(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s)
	}
	out := make(chan result, 10)
	for i := range 3 {
		goAcquire(t, c, ctx, fmt.Sprint("w", i), "", PriorityNormal, out)
	}

	// Raised: two waiters get the new slots at once, without a release.
	Configure(WithOverrides(mustOverrides(t, "test.ovr.cap concurrency capacity=4")))
	for range 2 {
		r := <-out
		if r.err != nil {
			t.Fatal(r.err)
		}
		held = append(held, r.slot)
	}
	if st := c.Stats(); st.Capacity != 4 || st.Running != 4 || st.Queued != 1 {
		t.Fatalf("after raising: %+v", st)
	}

	// Lowered: the running calls go on; a release frees a slot, not handed
	// to the waiter, until fewer than the capacity run.
	Configure(WithOverrides(mustOverrides(t, "test.ovr.cap concurrency capacity=2")))
	if st := c.Stats(); st.Capacity != 2 || st.Running != 4 || st.Queued != 1 {
		t.Fatalf("after lowering: %+v", st)
	}
	held[0].Release()
	held[1].Release()
	if st := c.Stats(); st.Running != 2 || st.Queued != 1 {
		t.Fatalf("after two releases: %+v", st)
	}
	select {
	case r := <-out:
		t.Fatalf("waiter %s served above the lowered capacity", r.tag)
	default:
	}
	held[2].Release() // 1 runs: the waiter takes the slot
	r := <-out
	if r.err != nil {
		t.Fatal(r.err)
	}
	held = append(held[3:], r.slot)
	if st := c.Stats(); st.Running != 2 || st.Queued != 0 {
		t.Fatalf("after the third release: %+v", st)
	}

	// A new call waits while the capacity is used.
	goAcquire(t, c, ctx, "late", "", PriorityNormal, out)
	// Removed: the generated values are back (capacity 2, still full).
	Configure(WithOverrides(Overrides{}))
	if st := c.Stats(); st.Capacity != 2 || st.Running != 2 || st.Queued != 1 {
		t.Fatalf("after removing: %+v", st)
	}
	held[0].Release()
	r = <-out
	if r.err != nil {
		t.Fatal(r.err)
	}
	held[0] = r.slot
	for _, s := range held {
		s.Release()
	}
	if st := c.Stats(); st.Running != 0 || st.Queued != 0 {
		t.Fatalf("at the end: %+v", st)
	}
}

// TestConcurrencyOverrideSettings overrides quotas, queue, order, max_wait
// and mode, then removes the override.
func TestConcurrencyOverrideSettings(t *testing.T) {
	t.Cleanup(SaveConfig())
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	rec := &recorder{}
	Configure(WithClock(clk), WithHook(rec))
	const name = "test.ovr.settings"
	c := NewConcurrency(ConcurrencySpec{Name: name, Capacity: 4})
	ctx := context.Background()

	// Consumer and priority quotas where the generated limiter has none.
	Configure(WithOverrides(mustOverrides(t, name+" concurrency capacity=8 consumer_quota=0.25,vip:1 priority_quota=low:0.125")))
	a1, _ := c.Acquire(ctx, "a")
	a2, _ := c.Acquire(ctx, "a")
	if _, err := c.Acquire(ctx, "a"); reasonOf(t, err) != ReasonConsumerQuota {
		t.Fatalf("third call of a: %v", err)
	}
	v, err := c.Acquire(ctx, "vip")
	if err != nil {
		t.Fatal(err)
	}
	low := WithPriority(ctx, PriorityLow)
	l1, err := c.Acquire(low, "b") // 0.125 of 8: one low call
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(low, "c"); reasonOf(t, err) != ReasonPriorityQuota {
		t.Fatalf("second low call: %v", err)
	}
	l1.Release()

	// Mode shadow: the rejection is reported, the call goes ahead.
	Configure(WithOverrides(mustOverrides(t, name+" concurrency consumer_quota=0.5 mode=shadow")))
	if s, err := c.Acquire(ctx, "a"); err != nil || s != (Slot{}) {
		t.Fatalf("shadow: %v %+v", err, s)
	}
	ev := rec.eventsOf(name)
	if last := ev[len(ev)-1]; last.Allowed || !last.Shadow || last.Reason != ReasonConsumerQuota {
		t.Fatalf("shadow event %+v", last)
	}

	// Mode off: nothing decided.
	Configure(WithOverrides(mustOverrides(t, name+" concurrency mode=off")))
	n := len(rec.eventsOf(name))
	for range 10 {
		if s, err := c.Acquire(ctx, "a"); err != nil || s != (Slot{}) {
			t.Fatalf("off: %v %+v", err, s)
		}
	}
	if len(rec.eventsOf(name)) != n {
		t.Fatal("mode=off reported decisions")
	}

	// Queue, order and max_wait: capacity 3 is full (a, a, vip run).
	Configure(WithOverrides(mustOverrides(t, name+" concurrency capacity=3 queue=2 order=fifo max_wait=2s")))
	out := make(chan result, 2)
	goAcquire(t, c, ctx, "first", "b", PriorityNormal, out)
	goAcquire(t, c, ctx, "second", "c", PriorityNormal, out)
	if _, err := c.Acquire(ctx, "d"); reasonOf(t, err) != ReasonFullQueue {
		t.Fatalf("beyond queue=2: %v", err)
	}
	a1.Release()
	if r := <-out; r.tag != "first" || r.err != nil {
		t.Fatalf("fifo: %s got the slot (%v)", r.tag, r.err)
	} else {
		a1 = r.slot
	}
	clk.WaitForTimers(1, 10*time.Second)
	clk.Advance(2 * time.Second)
	if r := <-out; r.tag != "second" || reasonOf(t, r.err) != ReasonDeadline {
		t.Fatalf("max_wait: %s: %v", r.tag, r.err)
	}

	// Removed: the generated values (capacity 4, no quota, enforce).
	Configure(WithOverrides(Overrides{}))
	a3, err := c.Acquire(ctx, "a")
	if err != nil {
		t.Fatalf("a's third call after the override went: %v", err)
	}
	if _, err := c.Acquire(ctx, "a"); reasonOf(t, err) != ReasonFullQueue {
		t.Fatalf("capacity 4 is full: %v", err)
	}
	for _, s := range []Slot{a1, a2, v, a3} {
		s.Release()
	}
	if st := c.Stats(); st.Running != 0 || st.Queued != 0 || st.Capacity != 4 {
		t.Fatalf("at the end: %+v", st)
	}
}

// TestConcurrencyOverrideRace changes overrides while calls run, under
// -race: the counts come back to zero.
func TestConcurrencyOverrideRace(t *testing.T) {
	t.Cleanup(SaveConfig())
	const name = "test.ovr.race"
	c := NewConcurrency(ConcurrencySpec{Name: name, Capacity: 4, Queue: 100, ConsumerQuotas: []Quota{{Fraction: 0.75}}})
	sets := []Overrides{
		mustOverrides(t, name+" concurrency capacity=1"),
		mustOverrides(t, name+" concurrency capacity=8 order=fifo"),
		mustOverrides(t, name+" concurrency mode=shadow"),
		mustOverrides(t, name+" concurrency consumer_quota=0.5 priority_quota=0.5"),
		mustOverrides(t, name+" concurrency mode=off"),
		{},
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s, err := c.Acquire(ctx, fmt.Sprint("c", (g+i)%3))
				if err == nil {
					time.Sleep(10 * time.Microsecond)
					s.Release()
				}
			}
		})
	}
	for i := range 200 {
		Configure(WithOverrides(sets[i%len(sets)]))
		time.Sleep(100 * time.Microsecond)
	}
	Configure(WithOverrides(Overrides{}))
	close(stop)
	wg.Wait()
	if st := stateOf(c); st.Running != 0 || st.Queued != 0 || st.ByPrio != [numPrioClasses]int{} || len(st.ByConsumer) != 0 {
		t.Fatalf("state at the end: %+v", st)
	}
}

// TestGlobalShadow: a scope=global pool in shadow mode takes leases for the
// calls the store admits, and lets the others go ahead without one.
func TestGlobalShadow(t *testing.T) {
	rec := &recorder{}
	spec := ConcurrencySpec{Name: "test.mode.global", Capacity: 2, Queue: 1, Mode: ModeShadow,
		ConsumerQuotas: []Quota{{Name: "q", Fraction: 0.5}}}
	a, b, m, _ := globalPair(t, spec, WithHook(rec))
	s1, err := a.Acquire(context.Background(), "q")
	if err != nil || s1 == (Slot{}) {
		t.Fatalf("first: %v %+v", err, s1)
	}
	s2, err := b.Acquire(context.Background(), "q") // over q's quota
	if err != nil || s2 != (Slot{}) {
		t.Fatalf("quota: %v %+v", err, s2)
	}
	s3, err := b.Acquire(context.Background(), "x")
	if err != nil || s3 == (Slot{}) {
		t.Fatalf("third: %v %+v", err, s3)
	}
	s4, err := b.Acquire(context.Background(), "y") // would wait
	if err != nil || s4 != (Slot{}) {
		t.Fatalf("would wait: %v %+v", err, s4)
	}
	if m.held() != 2 {
		t.Fatalf("%d leases, want 2", m.held())
	}
	for _, s := range []Slot{s1, s2, s3, s4} {
		s.Release()
	}
	if m.held() != 0 {
		t.Fatalf("%d leases left", m.held())
	}
	var got []string
	for _, e := range rec.eventsOf("test.mode.global") {
		got = append(got, fmt.Sprintf("%s allowed=%v shadow=%v reason=%d", e.Key, e.Allowed, e.Shadow, e.Reason))
	}
	want := []string{
		"q allowed=true shadow=false reason=0",
		fmt.Sprintf("q allowed=false shadow=true reason=%d", ReasonConsumerQuota),
		"x allowed=true shadow=false reason=0",
		"y allowed=true shadow=true reason=0",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
}
