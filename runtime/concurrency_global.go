package runtime

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

// LeaseStore is implemented by stores that can enforce a concurrency
// limiter's capacity and quotas across processes (scope=global), such as
// runtime/redisstore. A slot taken across processes is a lease: it expires
// after its TTL unless renewed, so the slots of a process that dies come
// back within the TTL.
//
// Implementations must be safe for concurrent use, and AcquireLease must be
// atomic under any number of processes.
type LeaseStore interface {
	// AcquireLease takes a slot of req.Pool for the lease req.ID when the
	// priority quota, the consumer quota and the capacity all allow it,
	// checked in that order over the leases alive now (capacity first when
	// req.CapacityFirst).
	AcquireLease(ctx context.Context, req *LeaseRequest) (LeaseResult, error)
	// RenewLeases extends each lease that is still alive to TTL from now.
	// A lease that has expired meanwhile is not revived.
	RenewLeases(ctx context.Context, leases []*LeaseRequest) error
	// ReleaseLease gives a lease back and wakes the processes watching its
	// pool.
	ReleaseLease(ctx context.Context, req *LeaseRequest) error
	// WatchLeases returns a channel that is closed when a lease of pool is
	// released after WatchLeases returned, and a function that stops
	// watching (callers call it exactly once). Waiting processes watch
	// before they try AcquireLease, so no release is missed between the two.
	WatchLeases(ctx context.Context, keyspace, pool string) (released <-chan struct{}, stop func(), err error)
}

// LeaseRequest describes a lease of a global concurrency pool.
type LeaseRequest struct {
	Keyspace    string
	Pool        string        // the pool's name
	ID          string        // the lease's identity, unique among every process
	Consumer    string        // the call's consumer
	Priority    string        // the call's priority: "none", "low", "normal" or "high"
	Capacity    int           // slots of the pool
	ConsumerMax int           // the most leases Consumer may hold; < 0 means no bound
	PriorityMax int           // the most leases of Priority; < 0 means no bound
	TTL         time.Duration // how long the lease lives unless renewed
	// CapacityFirst makes the store check the capacity before the quotas.
	// The runtime sets it for a call that has waited, so that it is decided
	// only once a slot is free and its quotas are checked again then
	// (check 5), and for a first try while this process's queue is full,
	// where a full pool must answer "full queue" before any quota (check 1).
	CapacityFirst bool
}

// LeaseResult is a LeaseStore's answer to AcquireLease.
type LeaseResult struct {
	// Reason is 0 when the lease was taken, else ReasonPriorityQuota,
	// ReasonConsumerQuota, or ReasonFullQueue when every slot is taken.
	Reason Reason
	// RetryIn, when every slot is taken, is how long until the earliest
	// lease expires unless renewed; waiters try again then at the latest.
	RetryIn time.Duration
}

// DefaultLeaseTTL is the lease time of scope=global pools: a process killed
// while holding slots gives them back within it. Held leases are renewed
// every third of it.
const DefaultLeaseTTL = 10 * time.Second

// globalState is the process-local side of a scope=global limiter. Its
// counts and queue are guarded by the limiter's mutex.
//
// A call first tries AcquireLease itself. When every slot is taken it joins
// this process's queue (bounded by Queue; the low rule applies to it), and
// one dispatcher goroutine per pool serves the queue in Order: it watches
// the pool's releases, then tries AcquireLease for the next waiter, granting
// or rejecting (quotas checked again after waiting) until the pool is full,
// and sleeps until the next release, or the earliest lease expiry at the
// latest. So a release costs each waiting process one round trip, and local
// waiters are served in order; across processes, waiting processes race for
// freed slots.
type globalState struct {
	c           *Concurrency
	ttl         time.Duration
	held        int      // leases held by this process
	waiting     int      // calls of this process waiting for a lease, in the queue or being tried
	queue       waitList // waiters not being tried
	dispatching bool
	kick        chan struct{} // wakes the dispatcher (a waiter left)

	leasesMu sync.Mutex
	leases   map[uint64]heldLease
	renewing bool
	idle     chan struct{} // kicks the renewer when the last lease is released
}

// leaseWait is what a waiter of a global pool carries.
type leaseWait struct {
	req      *LeaseRequest
	seq      uint64
	storeErr error // the store could not answer: the waiter decides locally
	gaveUp   bool  // the waiter left while being tried; guarded by c.mu
}

func newGlobalState(c *Concurrency) *globalState {
	ttl := c.spec.LeaseTTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	return &globalState{c: c, ttl: ttl, leases: map[uint64]heldLease{},
		idle: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
}

// request builds the lease request of a call.
func (g *globalState) request(cfg *config, consumer string, cls prioClass) (*LeaseRequest, uint64) {
	c := g.c
	s := c.set.Load()
	seq := leaseSeq.Add(1)
	req := &LeaseRequest{
		Keyspace:    cfg.keyspace,
		Pool:        c.spec.Name,
		ID:          leasePrefix + strconv.FormatUint(seq, 10),
		Consumer:    consumer,
		Priority:    prioClassNames[cls],
		Capacity:    s.capacity,
		ConsumerMax: -1,
		PriorityMax: -1,
		TTL:         g.ttl,
	}
	if s.hasConsumerQ {
		req.ConsumerMax = s.consumerMax(consumer)
	}
	if s.hasPrioQ && s.prioMax[cls] < s.capacity {
		req.PriorityMax = s.prioMax[cls]
	}
	return req, seq
}

// acquire decides a call of a scope=global pool. When the store cannot
// answer, the call is decided by this process's limiter alone, and the hook
// sees the store's error. In shadow mode, a call the store refuses goes
// ahead without a lease, and so does one that would wait.
func (g *globalState) acquire(ctx context.Context, cfg *config, ls LeaseStore, consumer string, cls prioClass) (Slot, error) {
	c := g.c
	c.mu.Lock()
	s := c.set.Load()
	if cls == prioLow && g.waiting > 0 {
		running, q := g.held, g.waiting
		c.mu.Unlock()
		return c.rejectNow(cfg, s, consumer, ReasonFullQueue, running, q)
	}
	queueFull := g.waiting >= s.queue
	c.mu.Unlock()

	if err := unavailable(ls); err != nil { // not asked: nothing to forget
		return c.acquireLocal(ctx, cfg, consumer, cls, err)
	}
	req, seq := g.request(cfg, consumer, cls)
	req.CapacityFirst = queueFull
	res, err := ls.AcquireLease(ctx, req)
	if err != nil {
		g.forget(ls, req) // the store may have granted it all the same
		if ctx.Err() != nil {
			return Slot{}, g.giveUp(ctx, cfg, consumer, time.Time{})
		}
		return c.acquireLocal(ctx, cfg, consumer, cls, err)
	}
	if res.Reason == 0 {
		g.hold(seq, req, ls, cls)
		c.mu.Lock()
		running, q := g.held, g.waiting
		c.mu.Unlock()
		c.observe(cfg, consumer, true, 0, nil, 0, running, q)
		return Slot{c: c, cls: cls, lease: seq}, nil
	}
	c.mu.Lock()
	s = c.set.Load()
	if res.Reason != ReasonFullQueue || g.waiting >= s.queue || cls == prioLow && g.waiting > 0 {
		running, q := g.held, g.waiting
		c.mu.Unlock()
		r := res.Reason
		if r == 0 || r == ReasonFullQueue {
			r = ReasonFullQueue
		}
		return c.rejectNow(cfg, s, consumer, r, running, q)
	}
	if s.mode == ModeShadow { // it would wait: a shadow call never does
		running, q := g.held, g.waiting
		c.mu.Unlock()
		c.observeShadow(cfg, consumer, true, 0, running, q)
		return Slot{}, nil
	}
	w := &waiter{consumer: consumer, cls: cls, done: make(chan struct{}), lease: &leaseWait{req: req, seq: seq}}
	g.waiting++
	g.queue.push(w)
	if !g.dispatching {
		g.dispatching = true
		go g.dispatch(ls, cfg.clock, cfg.keyspace)
	}
	c.mu.Unlock()
	return g.wait(ctx, cfg, w)
}

// wait blocks until the dispatcher decides w, or w gives up.
func (g *globalState) wait(ctx context.Context, cfg *config, w *waiter) (Slot, error) {
	c := g.c
	start := cfg.clock.Now()
	timeout, stop := maxWaitTimer(cfg, c.set.Load().maxWait)
	defer stop()
	var ctxDone bool
	select {
	case <-w.done:
	case <-timeout:
	case <-ctx.Done():
		ctxDone = true
	}
	select {
	case <-w.done:
	default:
		// Gave up: leave the queue, or, while the dispatcher tries it, tell
		// the dispatcher and wait for its answer.
		c.mu.Lock()
		if g.queue.remove(w) {
			g.waiting--
			running, q := g.held, g.waiting
			c.mu.Unlock()
			g.nudge()
			if ctxDone {
				return Slot{}, g.giveUp(ctx, cfg, w.consumer, start)
			}
			return Slot{}, c.reject(cfg, w.consumer, ReasonDeadline, cfg.clock.Now().Sub(start), running, q)
		}
		w.lease.gaveUp = true
		c.mu.Unlock()
		<-w.done
		if w.reason == 0 && w.lease.storeErr == nil {
			g.release(Slot{c: c, cls: w.cls, lease: w.lease.seq})
		}
		c.mu.Lock()
		g.waiting--
		running, q := g.held, g.waiting
		c.mu.Unlock()
		if ctxDone {
			return Slot{}, g.giveUp(ctx, cfg, w.consumer, start)
		}
		return Slot{}, c.reject(cfg, w.consumer, ReasonDeadline, cfg.clock.Now().Sub(start), running, q)
	}
	waited := cfg.clock.Now().Sub(start)
	c.mu.Lock()
	g.waiting--
	running, q := g.held, g.waiting
	c.mu.Unlock()
	switch {
	case w.lease.storeErr != nil:
		return c.acquireLocal(ctx, cfg, w.consumer, w.cls, w.lease.storeErr)
	case w.reason != 0:
		return Slot{}, c.reject(cfg, w.consumer, w.reason, waited, running, q)
	}
	c.observe(cfg, w.consumer, true, 0, nil, waited, running, q)
	return Slot{c: c, cls: w.cls, lease: w.lease.seq}, nil
}

// giveUp is the answer to a call whose context ended: a deadline rejection
// when the deadline passed, else the context's error.
func (g *globalState) giveUp(ctx context.Context, cfg *config, consumer string, start time.Time) error {
	var waited time.Duration
	if !start.IsZero() {
		waited = cfg.clock.Now().Sub(start)
	}
	g.c.mu.Lock()
	running, q := g.held, g.waiting
	g.c.mu.Unlock()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return g.c.reject(cfg, consumer, ReasonDeadline, waited, running, q)
	}
	g.c.observe(cfg, consumer, false, 0, ctx.Err(), waited, running, q)
	return ctx.Err()
}

// nudge wakes the dispatcher, so that it stops when its queue has emptied.
func (g *globalState) nudge() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// dispatch serves the queue until it is empty; see globalState.
func (g *globalState) dispatch(ls LeaseStore, clk Clock, keyspace string) {
	ctx := context.Background()
	var released <-chan struct{}
	stop := func() {}
	defer func() { stop() }()
	for {
		// Watch before trying, so that a release after the tries wakes us.
		ch, stopWatch, err := ls.WatchLeases(ctx, keyspace, g.c.spec.Name)
		stop()
		released, stop = nil, func() {}
		if err == nil {
			released, stop = ch, stopWatch
		}
		retry, more := g.serve(ctx, ls)
		if !more {
			return
		}
		tick, stopTick := clk.NewTimer(retry)
		select {
		case <-released:
		case <-tick:
		case <-g.kick:
		}
		stopTick()
	}
}

// serve tries the queue's waiters in order until the pool is full or the
// queue is empty. It returns how long to sleep at most before trying again,
// or false when the queue is empty and the dispatcher must stop.
func (g *globalState) serve(ctx context.Context, ls LeaseStore) (time.Duration, bool) {
	c := g.c
	for {
		c.mu.Lock()
		if g.queue.n == 0 {
			g.dispatching = false
			c.mu.Unlock()
			return 0, false
		}
		w := g.queue.pop(c.set.Load().order)
		c.mu.Unlock()
		w.lease.req.CapacityFirst = true
		var res LeaseResult
		err := unavailable(ls)
		sent := err == nil
		if sent {
			actx, cancel := context.WithTimeout(ctx, g.ttl)
			res, err = ls.AcquireLease(actx, w.lease.req)
			cancel()
		}
		switch {
		case err != nil:
			if sent {
				g.forget(ls, w.lease.req) // the store may have granted it all the same
			}
			w.lease.storeErr = err
		case res.Reason == 0:
			g.hold(w.lease.seq, w.lease.req, ls, w.cls)
		case res.Reason == ReasonFullQueue:
			c.mu.Lock()
			if !w.lease.gaveUp {
				g.queue.unpop(w, c.set.Load().order)
				c.mu.Unlock()
				retry := res.RetryIn
				if retry <= 0 || retry > g.ttl {
					retry = g.ttl
				}
				return retry, true
			}
			c.mu.Unlock()
			w.reason = ReasonDeadline // it gave up; anything but 0
		default:
			w.reason = res.Reason // check (5): a quota after waiting
		}
		close(w.done)
	}
}

// unavailable returns the error of a store that says, without being asked,
// that it cannot answer (AvailabilityReporter), or nil.
func unavailable(ls LeaseStore) error {
	if av, ok := ls.(AvailabilityReporter); ok {
		return av.Unavailable()
	}
	return nil
}

// acquireLocal decides a scope=global call in this process alone, because
// the store could not answer; the hook sees storeErr in the decision's Event.
func (c *Concurrency) acquireLocal(ctx context.Context, cfg *config, consumer string, cls prioClass, storeErr error) (Slot, error) {
	if cfg.hook != nil {
		local := *cfg
		local.hook = storeErrHook{cfg.hook, storeErr}
		cfg = &local
	}
	return c.acquireWith(ctx, cfg, consumer, cls)
}

// storeErrHook adds a store's error to the events of a decision made without
// the store.
type storeErrHook struct {
	Hook
	err error
}

func (h storeErrHook) OnDecision(e Event) {
	if e.Err == nil {
		e.Err = h.err
	}
	h.Hook.OnDecision(e)
}
