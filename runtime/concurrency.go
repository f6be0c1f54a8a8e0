package runtime

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Quota bounds the share of a concurrency limiter's capacity that one
// consumer or one priority may hold: a call is admitted only if
// (running calls of its consumer or priority + 1) / capacity <= Fraction.
//
// A Quota with an empty Name applies to every consumer (or priority)
// separately; a named one applies only to the consumer (or priority) of that
// name. Every quota that applies to a call must hold.
type Quota struct {
	Name     string
	Fraction float64
}

// Order is the order in which waiting calls get a freed slot.
type Order uint8

const (
	// LIFO gives a freed slot to the call that started waiting last (the
	// default, as aio-throttle and the SRE book advise: under overload the
	// freshest requests are the ones whose callers still wait for them).
	LIFO Order = iota
	// FIFO gives a freed slot to the call that has waited longest.
	FIFO
)

func (o Order) String() string {
	if o == FIFO {
		return "fifo"
	}
	return "lifo"
}

// ConcurrencySpec configures a concurrency limiter (the
// //throttle:concurrency directive). Zero values are the defaults.
type ConcurrencySpec struct {
	// Name is the limiter's identity: every NewConcurrency call with the same
	// non-empty Name returns the same limiter (pool=). An empty Name makes an
	// anonymous limiter that is never shared.
	Name string
	// Capacity is how many calls may run at once (>= 1).
	Capacity int
	// Queue is how many calls may wait for a slot (>= 0; default 0).
	Queue int
	// ConsumerQuotas bound each consumer's share of Capacity.
	ConsumerQuotas []Quota
	// PriorityQuotas bound each priority's share of Capacity. Names are
	// "high", "normal", "low" or "none" (calls that carry no priority).
	PriorityQuotas []Quota
	// Order is the waiting order (LIFO by default).
	Order Order
	// MaxWait bounds how long a call waits for a slot; a longer wait is
	// rejected with ReasonDeadline. 0 means no bound besides the context.
	MaxWait time.Duration
	// Scope is where capacity is enforced: ScopeDefault and ScopeLocal mean
	// this process; ScopeGlobal means every process sharing the configured
	// store, when that store implements LeaseStore.
	Scope Scope
	// Mode is ModeEnforce (the zero value), ModeShadow or ModeOff.
	//
	// ModeOff: Acquire returns the zero Slot at once, with no state and no
	// hook event.
	//
	// ModeShadow: every call is decided as under ModeEnforce, by the same
	// checks in the same order, but no call is rejected or delayed:
	//   - a call enforcement admits at once takes a slot, as under
	//     ModeEnforce (it counts in Stats and in the quotas until released);
	//   - a call enforcement rejects at once goes ahead without a slot and
	//     is not counted; the hook sees Allowed false, Shadow true and the
	//     Reason;
	//   - a call that would wait for a slot (none is free and the queue has
	//     room) goes ahead at once without a slot and is not counted; the
	//     hook sees Allowed true, Shadow true and Reason 0. A shadow limiter
	//     queues no call.
	//
	// So a shadow limiter holds exactly the state enforcement would (running
	// calls in all, per consumer and per priority, and the same decisions
	// for the hook) for every sequence of calls in which no call waits: with
	// Queue 0 that is every sequence. From a call that would have waited on,
	// the two differ: enforcement would have delayed it and given it the
	// next freed slot, the shadow limiter does not count it. With
	// ScopeGlobal the same holds, the store deciding.
	Mode Mode
	// LeaseTTL is, with ScopeGlobal, how long a slot held by a process that
	// died stays taken (DefaultLeaseTTL when 0). Held slots are renewed
	// every third of it.
	LeaseTTL time.Duration
}

// Concurrency is a concurrency limiter with aio-throttle semantics: at most
// Capacity calls run at once, at most Queue calls wait for a slot, and
// consumer and priority quotas bound each one's share of the capacity.
//
// A call is decided in this order: (1) queue: a low-priority call is
// rejected (ReasonFullQueue) when any call is waiting, and every call is
// rejected (ReasonFullQueue) when no slot is free and the queue is full;
// (2) priority quotas (ReasonPriorityQuota); (3) consumer quotas
// (ReasonConsumerQuota); (4) it takes a free slot or waits for one;
// (5) after waiting, the quotas are checked again, and a call that fails
// them is rejected and the slot passes on at once.
//
// Waiting calls get freed slots in Order. A waiter whose context ends leaves
// the queue at once; a context that hits its deadline, or a wait longer than
// MaxWait, is rejected with ReasonDeadline; a cancelled context returns
// context.Canceled.
//
// Priorities: a call made with Acquire uses the priority carried by its
// context (WithPriority), else it has none. "none" is a priority class of
// its own: named priority quotas apply only to their class ("normal:0.9"
// does not bound calls without a priority, and "none:0.5" bounds only
// them), and unnamed priority quotas apply to each of the four classes
// high, normal, low and none separately. The low rule applies to
// PriorityLow only.
//
// The configured Hook sees every decision: Policy "concurrency", Name, Key
// (the consumer), Allowed, Reason, Wait (time spent queued), Running and
// Queued after the decision. A waiter whose context is cancelled is
// reported with Allowed false, Reason 0 and Err context.Canceled.
// AllConcurrencyStats reports every named pool's running and queued calls.
//
// A Concurrency is safe for concurrent use by many goroutines. Uncontended
// Acquire and Release do not allocate.
type Concurrency struct {
	spec ConcurrencySpec // as created: the generated values

	// set is what the limiter decides with: spec with the override in
	// force applied. Read without the lock for the mode, under it for the
	// rest; stored under mu (refresh).
	set atomic.Pointer[concSettings]

	mu         sync.Mutex
	running    int
	queue      waitList
	byConsumer map[string]*consumerCount // only with consumer quotas; see consumerLocked
	sweepAt    int                       // len(byConsumer) that triggers a sweep of idle consumers
	last       *consumerCount            // the latest consumer looked up: a hot consumer skips the map
	byPrio     [numPrioClasses]int

	global *globalState // scope=global; nil otherwise
}

// prioClass is a call's priority as the limiter sees it: the three
// priorities plus "none".
type prioClass uint8

const (
	prioNone prioClass = iota
	prioLow
	prioNormal
	prioHigh
	numPrioClasses
)

var prioClassNames = [numPrioClasses]string{"none", "low", "normal", "high"}

func classOf(p Priority) prioClass {
	switch {
	case p == PriorityHigh:
		return prioHigh
	case p < PriorityNormal:
		return prioLow
	case p > PriorityNormal:
		return prioHigh
	default:
		return prioNormal
	}
}

var (
	poolsMu sync.Mutex
	pools   = map[string]*Concurrency{}
)

// NewConcurrency returns the limiter named spec.Name, creating it on first
// use. Functions sharing a pool (pool=) get one limiter; NewConcurrency
// panics when spec is invalid or differs from the settings the pool was
// created with, naming the differing setting.
//
// NewConcurrency is also how code that cannot carry a directive creates a
// concurrency limit: Acquire and Release, or Do, decide its calls exactly as
// a generated wrapper's, with the configured hook, clock and store
// (ScopeGlobal), and WithLimitsOff switches it off. Give it a Name to share
// it with the wrappers whose directive says pool=Name and to have it
// reported by AllConcurrencyStats; create it once, not per call.
func NewConcurrency(spec ConcurrencySpec) *Concurrency {
	if err := validateConcurrencySpec(spec); err != nil {
		panic(err)
	}
	if spec.Name == "" {
		return newConcurrency(spec)
	}
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if c, ok := pools[spec.Name]; ok {
		if diff := specDiff(c.spec, spec); diff != "" {
			panic(fmt.Sprintf("throttle: concurrency pool %q defined twice with different %s", spec.Name, diff))
		}
		return c
	}
	c := newConcurrency(spec)
	pools[spec.Name] = c
	return c
}

func newConcurrency(spec ConcurrencySpec) *Concurrency {
	spec.ConsumerQuotas = append([]Quota(nil), spec.ConsumerQuotas...)
	spec.PriorityQuotas = append([]Quota(nil), spec.PriorityQuotas...)
	c := &Concurrency{spec: spec}
	set := newSettings(spec, nil, unresolved)
	c.set.Store(set)
	if set.hasConsumerQ {
		c.byConsumer = map[string]*consumerCount{}
		c.sweepAt = minSweep
	}
	if spec.Scope == ScopeGlobal {
		c.global = newGlobalState(c)
	}
	return c
}

// quotaMax is the largest n with n/capacity <= f: a call is admitted while
// running+1 <= quotaMax. It uses the same float comparison as the rule it
// implements, so fractions such as 0.7 of 10 give exactly 7.
func quotaMax(f float64, capacity int) int {
	n := int(math.Floor(f * float64(capacity)))
	n = max(0, min(n, capacity))
	for n < capacity && float64(n+1)/float64(capacity) <= f {
		n++
	}
	for n > 0 && float64(n)/float64(capacity) > f {
		n--
	}
	return n
}

func parsePrioClass(name string) (prioClass, bool) {
	for i, s := range prioClassNames {
		if strings.EqualFold(name, s) {
			return prioClass(i), true
		}
	}
	return 0, false
}

func validateConcurrencySpec(s ConcurrencySpec) error {
	prefix := "throttle: concurrency"
	if s.Name != "" {
		prefix += " " + s.Name
	}
	if s.Capacity < 1 {
		return fmt.Errorf("%s: capacity must be at least 1, got %d", prefix, s.Capacity)
	}
	if s.Queue < 0 {
		return fmt.Errorf("%s: queue must not be negative, got %d", prefix, s.Queue)
	}
	if s.LeaseTTL < 0 {
		return fmt.Errorf("%s: lease TTL must not be negative, got %v", prefix, s.LeaseTTL)
	}
	if s.MaxWait < 0 {
		return fmt.Errorf("%s: max_wait must not be negative, got %v", prefix, s.MaxWait)
	}
	if s.Order > FIFO {
		return fmt.Errorf("%s: unknown order %d", prefix, s.Order)
	}
	if s.Scope > ScopeGlobal {
		return fmt.Errorf("%s: unknown scope %d", prefix, s.Scope)
	}
	if s.Mode > ModeOff {
		return fmt.Errorf("%s: unknown mode %d", prefix, s.Mode)
	}
	if s.Scope == ScopeGlobal && s.Name == "" {
		return fmt.Errorf("%s: scope=global needs a Name: processes share the pool by it", prefix)
	}
	for _, q := range s.ConsumerQuotas {
		if !(q.Fraction > 0 && q.Fraction <= 1) {
			return fmt.Errorf("%s: consumer quota %s must be a fraction in (0, 1], got %v", prefix, quotaLabel(q), q.Fraction)
		}
	}
	for _, q := range s.PriorityQuotas {
		if !(q.Fraction > 0 && q.Fraction <= 1) {
			return fmt.Errorf("%s: priority quota %s must be a fraction in (0, 1], got %v", prefix, quotaLabel(q), q.Fraction)
		}
		if _, ok := parsePrioClass(q.Name); q.Name != "" && !ok {
			return fmt.Errorf("%s: priority quota names a priority %q; want high, normal, low or none", prefix, q.Name)
		}
	}
	return nil
}

func quotaLabel(q Quota) string {
	if q.Name == "" {
		return "(for every one)"
	}
	return fmt.Sprintf("%q", q.Name)
}

// specDiff names the first setting in which a and b differ, or returns "".
func specDiff(a, b ConcurrencySpec) string {
	switch {
	case a.Capacity != b.Capacity:
		return fmt.Sprintf("capacity (%d and %d)", a.Capacity, b.Capacity)
	case a.Queue != b.Queue:
		return fmt.Sprintf("queue (%d and %d)", a.Queue, b.Queue)
	case !slices.Equal(a.ConsumerQuotas, b.ConsumerQuotas):
		return fmt.Sprintf("consumer_quota (%v and %v)", a.ConsumerQuotas, b.ConsumerQuotas)
	case !slices.Equal(a.PriorityQuotas, b.PriorityQuotas):
		return fmt.Sprintf("priority_quota (%v and %v)", a.PriorityQuotas, b.PriorityQuotas)
	case a.Order != b.Order:
		return fmt.Sprintf("order (%v and %v)", a.Order, b.Order)
	case a.MaxWait != b.MaxWait:
		return fmt.Sprintf("max_wait (%v and %v)", a.MaxWait, b.MaxWait)
	case a.Scope != b.Scope:
		return fmt.Sprintf("scope (%d and %d)", a.Scope, b.Scope)
	case a.Mode != b.Mode:
		return fmt.Sprintf("mode (%v and %v)", a.Mode, b.Mode)
	case a.LeaseTTL != b.LeaseTTL:
		return fmt.Sprintf("lease TTL (%v and %v)", a.LeaseTTL, b.LeaseTTL)
	}
	return ""
}

// Slot is a running call's hold on a limiter's capacity. Release gives it
// back; it must be called exactly once for every Slot Acquire returned with
// a nil error (generated wrappers defer it, so a panic releases it too).
// The zero Slot's Release does nothing.
type Slot struct {
	c     *Concurrency
	cc    *consumerCount // the consumer's count; nil without consumer quotas
	cls   prioClass
	lease uint64 // scope=global: the lease held, 0 when local
}

// Release gives the slot back: the next waiting call, if any, takes it.
// It is small enough to inline into the caller's defer.
func (s Slot) Release() {
	if s.c != nil {
		s.c.release(s)
	}
}

// Acquire waits for a slot for consumer, with the priority carried by ctx
// (WithPriority), or none. It returns a *ThrottledError (Policy
// "concurrency", Key consumer, RetryAfter 0) when the call is rejected —
// with ReasonDeadline when max_wait passes or ctx reaches its deadline while
// waiting — or context.Canceled when ctx is cancelled while waiting. With
// WithLimitsOff, or in ModeOff, it returns the zero Slot and nil at once. In
// ModeShadow it never rejects nor waits: see ConcurrencySpec.Mode.
func (c *Concurrency) Acquire(ctx context.Context, consumer string) (Slot, error) {
	cls := prioNone
	if p, ok := PriorityFrom(ctx); ok {
		cls = classOf(p)
	}
	if c.global == nil { // skip a call on the hot path
		cfg := loadConfig()
		if cfg.limitsOff {
			return Slot{}, nil
		}
		if s := c.set.Load(); s.from != cfg.overrides || s.mode != ModeEnforce {
			return c.acquireCold(ctx, cfg, consumer, cls)
		}
		return c.acquireWith(ctx, cfg, consumer, cls)
	}
	return c.acquire(ctx, consumer, cls)
}

// AcquirePriority is Acquire with an explicit priority, which takes
// precedence over any priority carried by ctx.
func (c *Concurrency) AcquirePriority(ctx context.Context, consumer string, p Priority) (Slot, error) {
	return c.acquire(ctx, consumer, classOf(p))
}

// Do runs fn holding a slot for consumer: it acquires one as Acquire does,
// calls fn, and releases the slot when fn returns or panics (the panic
// propagates). It returns the rejection, or fn's error.
func (c *Concurrency) Do(ctx context.Context, consumer string, fn func(context.Context) error) error {
	s, err := c.Acquire(ctx, consumer)
	if err != nil {
		return err
	}
	defer s.Release()
	return fn(ctx)
}

func (c *Concurrency) acquire(ctx context.Context, consumer string, cls prioClass) (Slot, error) {
	cfg := loadConfig()
	if cfg.limitsOff {
		return Slot{}, nil
	}
	return c.acquireCold(ctx, cfg, consumer, cls)
}

// acquireCold decides a call that Acquire's hot path does not: the
// limiter's settings are to be derived again (another override set is in
// force, or this is its first call), its mode is not enforce, or its scope
// is global.
func (c *Concurrency) acquireCold(ctx context.Context, cfg *config, consumer string, cls prioClass) (Slot, error) {
	s := c.set.Load()
	if s.from != cfg.overrides {
		s, cfg = c.resolve()
		if cfg.limitsOff {
			return Slot{}, nil
		}
	}
	if s.mode == ModeOff {
		return Slot{}, nil
	}
	if c.global != nil {
		if ls, ok := cfg.store.(LeaseStore); ok {
			return c.global.acquire(ctx, cfg, ls, consumer, cls)
		}
	}
	return c.acquireWith(ctx, cfg, consumer, cls)
}

// acquireWith decides a call in this process.
func (c *Concurrency) acquireWith(ctx context.Context, cfg *config, consumer string, cls prioClass) (Slot, error) {
	c.mu.Lock()
	s := c.set.Load()
	if c.queue.n == 0 && c.running < s.capacity {
		// A slot is free and nobody waits: checks (1) pass, so only the
		// quotas can reject. This is the uncontended path: one lock, the
		// quota checks, and the hook only when one is configured.
		cc, r := c.quotasLocked(s, consumer, cls)
		if r == 0 {
			c.running++
			c.countLocked(cc, cls)
			running := c.running
			c.mu.Unlock()
			if cfg.hook != nil {
				c.observe(cfg, consumer, true, 0, nil, 0, running, 0)
			}
			return Slot{c: c, cc: cc, cls: cls}, nil
		}
		running := c.running
		c.mu.Unlock()
		return c.rejectNow(cfg, s, consumer, r, running, 0)
	}
	if _, r := c.admissionLocked(s, consumer, cls); r != 0 {
		running, queued := c.running, c.queue.n
		c.mu.Unlock()
		return c.rejectNow(cfg, s, consumer, r, running, queued)
	}
	if s.mode == ModeShadow { // it would wait: a shadow call never does
		running, queued := c.running, c.queue.n
		c.mu.Unlock()
		c.observeShadow(cfg, consumer, true, 0, running, queued)
		return Slot{}, nil
	}
	w := &waiter{consumer: consumer, cls: cls, done: make(chan struct{})}
	c.queue.push(w)
	c.mu.Unlock()
	return c.wait(ctx, cfg, s.maxWait, w)
}

// rejectNow rejects a call at once, for reason r; in shadow mode the call
// goes ahead without a slot and the hook sees the rejection as a shadow
// one.
func (c *Concurrency) rejectNow(cfg *config, s *concSettings, consumer string, r Reason, running, queued int) (Slot, error) {
	if s.mode == ModeShadow {
		c.observeShadow(cfg, consumer, false, r, running, queued)
		return Slot{}, nil
	}
	return Slot{}, c.reject(cfg, consumer, r, 0, running, queued)
}

// admissionLocked applies checks (1) to (3) and returns the reason of a
// rejection, or 0.
func (c *Concurrency) admissionLocked(s *concSettings, consumer string, cls prioClass) (*consumerCount, Reason) {
	if cls == prioLow && c.queue.n > 0 {
		return nil, ReasonFullQueue
	}
	if c.running >= s.capacity && c.queue.n >= s.queue {
		return nil, ReasonFullQueue
	}
	return c.quotasLocked(s, consumer, cls)
}

// quotasLocked applies the priority and then the consumer quotas. It
// returns the consumer's count (nil without consumer quotas), so that the
// caller need not look it up again.
func (c *Concurrency) quotasLocked(s *concSettings, consumer string, cls prioClass) (*consumerCount, Reason) {
	if s.hasPrioQ && c.byPrio[cls] >= s.prioMax[cls] { // running+1 > max
		return nil, ReasonPriorityQuota
	}
	if !s.hasConsumerQ {
		return nil, 0
	}
	cc := c.last // a hot consumer skips the map
	if cc == nil || cc.name != consumer {
		cc = c.consumerLocked(s, consumer)
	}
	if cc.running >= cc.max {
		return nil, ReasonConsumerQuota
	}
	return cc, 0
}

// consumerCount is one consumer's running calls and quota. Entries stay in
// byConsumer while idle, so that a steady stream of calls does not allocate;
// consumerLocked sweeps idle ones when the map has grown. A new override
// updates max of every entry (refresh).
type consumerCount struct {
	name    string
	running int
	max     int
}

const minSweep = 256

func (c *Concurrency) consumerLocked(s *concSettings, consumer string) *consumerCount {
	if cc := c.last; cc != nil && cc.name == consumer {
		return cc
	}
	cc := c.byConsumer[consumer]
	if cc == nil {
		if len(c.byConsumer) >= c.sweepAt {
			for k, x := range c.byConsumer {
				if x.running == 0 {
					delete(c.byConsumer, k)
				}
			}
			c.sweepAt = max(minSweep, 2*len(c.byConsumer))
		}
		cc = &consumerCount{name: consumer, max: s.consumerMax(consumer)}
		c.byConsumer[consumer] = cc
	}
	c.last = cc
	return cc
}

// countLocked counts a running call in its consumer and priority.
func (c *Concurrency) countLocked(cc *consumerCount, cls prioClass) {
	c.byPrio[cls]++
	if cc != nil {
		cc.running++
	}
}

// release gives back s, which holds a slot of c.
func (c *Concurrency) release(s Slot) {
	if s.lease != 0 {
		c.global.release(s)
		return
	}
	cc, cls := s.cc, s.cls
	c.mu.Lock()
	if c.queue.n == 0 && c.running > 0 {
		// Nobody waits: the slot just becomes free (handOffLocked's last
		// step, without the call).
		c.running--
		c.byPrio[cls]--
		if cc != nil {
			cc.running--
		}
		c.mu.Unlock()
		return
	}
	c.byPrio[cls]--
	if cc != nil {
		cc.running--
	}
	ok := c.handOffLocked()
	if !ok { // undo: the caller's bug must not skew the counts
		c.byPrio[cls]++
		if cc != nil {
			cc.running++
		}
	}
	c.mu.Unlock()
	if !ok {
		panic("throttle: concurrency " + c.spec.Name + ": Slot released more often than acquired")
	}
}

// handOffLocked gives a freed slot to the next waiter whose quotas hold,
// rejecting on the way those whose quotas no longer hold (check 5). When no
// waiter takes it, or more calls run than the capacity (an override lowered
// it), the slot becomes free. It reports false when no slot was taken (a
// Slot released twice).
func (c *Concurrency) handOffLocked() bool {
	s := c.set.Load()
	for c.queue.n > 0 && c.running <= s.capacity {
		if c.grantLocked(s, c.queue.pop(s.order)) {
			return true
		}
	}
	if c.running == 0 {
		return false
	}
	c.running--
	return true
}

// grantLocked gives waiter w, taken off the queue, a slot if its quotas
// hold (check 5: they are checked again after waiting), counting it for its
// consumer and priority (the caller counts it running), or else rejects it.
// It reports whether w got the slot.
func (c *Concurrency) grantLocked(s *concSettings, w *waiter) bool {
	cc, r := c.quotasLocked(s, w.consumer, w.cls)
	if r != 0 {
		w.reason = r
		close(w.done)
		return false
	}
	c.countLocked(cc, w.cls)
	w.cc = cc
	close(w.done)
	return true
}

// gaveUp is the answer to a waiter that stopped waiting: the context's
// error when it was cancelled, otherwise a rejection for reason.
func (c *Concurrency) gaveUp(cfg *config, w *waiter, reason Reason, ctxErr error, start time.Time, running, queued int) error {
	waited := cfg.clock.Now().Sub(start)
	if ctxErr != nil {
		c.observe(cfg, w.consumer, false, 0, ctxErr, waited, running, queued)
		return ctxErr
	}
	return c.reject(cfg, w.consumer, reason, waited, running, queued)
}

// maxWaitTimer returns a channel that receives once maxWait (the pool's
// max_wait when the call started waiting) has passed on cfg's clock (nil,
// never receiving, without max_wait) and the function that stops it.
func maxWaitTimer(cfg *config, maxWait time.Duration) (<-chan time.Time, func() bool) {
	if maxWait <= 0 {
		return nil, func() bool { return false }
	}
	return cfg.clock.NewTimer(maxWait)
}

// wait blocks until w is granted a slot, rejected, or gives up.
func (c *Concurrency) wait(ctx context.Context, cfg *config, maxWait time.Duration, w *waiter) (Slot, error) {
	start := cfg.clock.Now()
	timeout, stop := maxWaitTimer(cfg, maxWait)
	defer stop()
	var reason Reason
	var ctxErr error
	select {
	case <-w.done:
	case <-timeout:
		reason = ReasonDeadline
	case <-ctx.Done():
		ctxErr = ctx.Err()
		if ctxErr == context.DeadlineExceeded {
			reason, ctxErr = ReasonDeadline, nil
		}
	}
	if reason != 0 || ctxErr != nil {
		c.mu.Lock()
		if c.queue.remove(w) {
			running, queued := c.running, c.queue.n
			c.mu.Unlock()
			return Slot{}, c.gaveUp(cfg, w, reason, ctxErr, start, running, queued)
		}
		c.mu.Unlock()
		// Decided meanwhile: the decision stands, unless it granted a slot
		// that the caller no longer wants.
		<-w.done
		if w.reason == 0 {
			c.release(Slot{c: c, cc: w.cc, cls: w.cls})
			c.mu.Lock()
			running, queued := c.running, c.queue.n
			c.mu.Unlock()
			return Slot{}, c.gaveUp(cfg, w, reason, ctxErr, start, running, queued)
		}
	}
	waited := cfg.clock.Now().Sub(start)
	c.mu.Lock()
	running, queued := c.running, c.queue.n
	c.mu.Unlock()
	if w.reason != 0 {
		return Slot{}, c.reject(cfg, w.consumer, w.reason, waited, running, queued)
	}
	c.observe(cfg, w.consumer, true, 0, nil, waited, running, queued)
	return Slot{c: c, cc: w.cc, cls: w.cls}, nil
}

// reject builds a rejection and reports it to the hook.
func (c *Concurrency) reject(cfg *config, consumer string, r Reason, waited time.Duration, running, queued int) error {
	c.observe(cfg, consumer, false, r, nil, waited, running, queued)
	return &ThrottledError{Policy: "concurrency", Name: c.spec.Name, Key: consumer, Reason: r}
}

// observeShadow reports to the hook, if one is configured, a decision of a
// shadow limiter that differs from enforcement: a call that would have been
// rejected for r (allowed false), or that would have waited (allowed true).
func (c *Concurrency) observeShadow(cfg *config, consumer string, allowed bool, r Reason, running, queued int) {
	if cfg.hook == nil {
		return
	}
	cfg.hook.OnDecision(Event{Policy: "concurrency", Name: c.spec.Name, Key: consumer, Allowed: allowed,
		Reason: r, Running: running, Queued: queued, Shadow: true})
}

// observe reports a decision to the hook, if one is configured. err is the
// context's error for a waiter that gave up, or a store's error.
func (c *Concurrency) observe(cfg *config, consumer string, allowed bool, r Reason, err error, waited time.Duration, running, queued int) {
	if cfg.hook == nil {
		return
	}
	cfg.hook.OnDecision(Event{Policy: "concurrency", Name: c.spec.Name, Key: consumer, Allowed: allowed,
		Reason: r, Wait: waited, Err: err, Running: running, Queued: queued})
}
