package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
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
	// checked in that order over the leases alive now.
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
// counts are guarded by the limiter's mutex.
type globalState struct {
	c       *Concurrency
	ttl     time.Duration
	held    int // leases held by this process
	waiting int // calls of this process waiting for a lease

	leasesMu sync.Mutex
	leases   map[uint64]heldLease
	renewing bool
	idle     chan struct{} // kicks the renewer when the last lease is released
}

type heldLease struct {
	req   *LeaseRequest
	store LeaseStore
	cls   prioClass
}

var (
	leasePrefix = func() string {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:]) + ":"
	}()
	leaseSeq atomic.Uint64
)

func newGlobalState(c *Concurrency) *globalState {
	ttl := c.spec.LeaseTTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	return &globalState{c: c, ttl: ttl, leases: map[uint64]heldLease{}, idle: make(chan struct{}, 1)}
}

// acquire takes a lease: checks (1) to (4) as the local limiter does, with
// capacity and quotas counted over every process, and the queue and the low
// rule over this process's waiters. Waiters retry when a lease of the pool is
// released (WatchLeases) or the earliest lease would expire, not by polling.
// When the store cannot answer, the call is decided by this process's
// limiter alone, and the hook sees the store's error.
func (g *globalState) acquire(ctx context.Context, cfg *config, ls LeaseStore, consumer string, cls prioClass) (Slot, error) {
	c := g.c
	seq := leaseSeq.Add(1)
	req := &LeaseRequest{
		Keyspace:    cfg.keyspace,
		Pool:        c.spec.Name,
		ID:          leasePrefix + strconv.FormatUint(seq, 10),
		Consumer:    consumer,
		Priority:    prioClassNames[cls],
		Capacity:    c.spec.Capacity,
		ConsumerMax: -1,
		PriorityMax: -1,
		TTL:         g.ttl,
	}
	if c.hasConsumerQ {
		req.ConsumerMax = c.consumerMax(consumer)
	}
	if c.hasPrioQ && c.prioMax[cls] < c.spec.Capacity {
		req.PriorityMax = c.prioMax[cls]
	}

	c.mu.Lock()
	if cls == prioLow && g.waiting > 0 {
		c.mu.Unlock()
		return Slot{}, c.reject(cfg, consumer, ReasonFullQueue, 0, g.held, g.waiting)
	}
	c.mu.Unlock()

	var (
		start    time.Time
		deadline <-chan time.Time
		queued   bool
		released <-chan struct{}
		stop     = func() {}
		watched  bool
	)
	// watch starts watching the pool's releases, which waiters do before
	// each try so that no release is missed between a try and the wait.
	// When watching fails, waiters fall back to retrying when the earliest
	// lease would expire.
	watch := func() {
		stop()
		released, stop = nil, func() {}
		if ch, stopWatch, err := ls.WatchLeases(ctx, req.Keyspace, req.Pool); err == nil {
			released, stop = ch, stopWatch
		}
	}
	defer func() {
		stop()
		if queued {
			c.mu.Lock()
			g.waiting--
			c.mu.Unlock()
		}
	}()
	for {
		res, err := ls.AcquireLease(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return Slot{}, g.giveUp(ctx, cfg, consumer, start)
			}
			return c.acquireLocal(ctx, cfg, consumer, cls, err)
		}
		var waited time.Duration
		if queued {
			waited = cfg.clock.Now().Sub(start)
		}
		if res.Reason == 0 {
			g.hold(seq, req, ls, cls)
			c.mu.Lock()
			running, q := g.held, g.waiting
			c.mu.Unlock()
			c.observe(cfg, consumer, true, 0, nil, waited, running, q)
			return Slot{c: c, cls: cls, lease: seq}, nil
		}
		if res.Reason != ReasonFullQueue {
			c.mu.Lock()
			running, q := g.held, g.waiting
			c.mu.Unlock()
			return Slot{}, c.reject(cfg, consumer, res.Reason, waited, running, q)
		}
		if !queued {
			c.mu.Lock()
			if g.waiting >= c.spec.Queue || cls == prioLow && g.waiting > 0 {
				running, q := g.held, g.waiting
				c.mu.Unlock()
				return Slot{}, c.reject(cfg, consumer, ReasonFullQueue, 0, running, q)
			}
			g.waiting++
			queued = true
			c.mu.Unlock()
			start = cfg.clock.Now()
			if c.spec.MaxWait > 0 {
				ch, stopTimer := cfg.clock.NewTimer(c.spec.MaxWait)
				defer stopTimer()
				deadline = ch
			}
		}
		if !watched {
			// Watch, then try once more: a release between the first try
			// and the watch is not missed.
			watched = true
			watch()
			continue
		}
		retry := res.RetryIn
		if retry <= 0 || retry > g.ttl {
			retry = g.ttl
		}
		tick, stopTick := cfg.clock.NewTimer(retry)
		select {
		case <-released:
			watch()
		case <-tick:
		case <-deadline:
			stopTick()
			c.mu.Lock()
			running, q := g.held, g.waiting-1
			c.mu.Unlock()
			return Slot{}, c.reject(cfg, consumer, ReasonDeadline, cfg.clock.Now().Sub(start), running, q)
		case <-ctx.Done():
			stopTick()
			return Slot{}, g.giveUp(ctx, cfg, consumer, start)
		}
		stopTick()
	}
}

// giveUp is the answer to a waiter whose context ended.
func (g *globalState) giveUp(ctx context.Context, cfg *config, consumer string, start time.Time) error {
	var waited time.Duration
	if !start.IsZero() {
		waited = cfg.clock.Now().Sub(start)
	}
	g.c.mu.Lock()
	running, q := g.held, g.waiting-1
	g.c.mu.Unlock()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return g.c.reject(cfg, consumer, ReasonDeadline, waited, running, q)
	}
	g.c.observe(cfg, consumer, false, 0, ctx.Err(), waited, running, q)
	return ctx.Err()
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

// hold records a lease taken and makes sure it is renewed.
func (g *globalState) hold(seq uint64, req *LeaseRequest, ls LeaseStore, cls prioClass) {
	g.c.mu.Lock()
	g.held++
	g.c.mu.Unlock()
	g.leasesMu.Lock()
	g.leases[seq] = heldLease{req: req, store: ls, cls: cls}
	start := !g.renewing
	g.renewing = true
	g.leasesMu.Unlock()
	if start {
		go g.renew()
	}
}

// renew renews the held leases every third of their TTL, and stops as soon
// as none is held.
func (g *globalState) renew() {
	t := time.NewTimer(g.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			t.Reset(g.ttl / 3)
		case <-g.idle:
		}
		g.leasesMu.Lock()
		if len(g.leases) == 0 {
			g.renewing = false
			g.leasesMu.Unlock()
			return
		}
		byStore := map[LeaseStore][]*LeaseRequest{}
		for _, l := range g.leases {
			byStore[l.store] = append(byStore[l.store], l.req)
		}
		g.leasesMu.Unlock()
		for ls, reqs := range byStore {
			ctx, cancel := context.WithTimeout(context.Background(), g.ttl/3)
			err := ls.RenewLeases(ctx, reqs)
			cancel()
			if err != nil {
				if cfg := loadConfig(); cfg.hook != nil {
					cfg.hook.OnDecision(Event{Policy: "concurrency", Name: g.c.spec.Name, Allowed: true, Err: err})
				}
			}
		}
	}
}

// release gives a lease back.
func (g *globalState) release(s Slot) {
	g.leasesMu.Lock()
	l, ok := g.leases[s.lease]
	delete(g.leases, s.lease)
	if len(g.leases) == 0 {
		select {
		case g.idle <- struct{}{}:
		default:
		}
	}
	g.leasesMu.Unlock()
	if !ok {
		return
	}
	g.c.mu.Lock()
	g.held--
	g.c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), g.ttl)
	defer cancel()
	if err := l.store.ReleaseLease(ctx, l.req); err != nil {
		// The lease expires by itself within its TTL.
		if cfg := loadConfig(); cfg.hook != nil {
			cfg.hook.OnDecision(Event{Policy: "concurrency", Name: g.c.spec.Name, Key: l.req.Consumer, Allowed: true, Err: err})
		}
	}
}
