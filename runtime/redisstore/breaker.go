package redisstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
)

// The breaker's back-off after a failure: it starts at breakerMinBackoff and
// doubles with each failed probe up to breakerMaxBackoff, so that a store
// that answers again is probed within breakerMaxBackoff, with room for a
// probe that the resuming server answers too late (docs/spec.md §7:
// decisions return to the store within 2 s of it answering).
const (
	breakerMinBackoff = 100 * time.Millisecond
	breakerMaxBackoff = 500 * time.Millisecond
)

// errBreakerOpen is the cause of the errors of calls that the open breaker
// answered without asking the store; errShortCircuit is that error, built
// once, so that an open breaker answers without allocating.
var (
	errBreakerOpen  = errors.New("redisstore: not asked: the store failed recently (breaker open)")
	errShortCircuit = unavailable(errBreakerOpen)
)

// breaker remembers that the store just failed to answer.
//
// Model: closed (the normal state), every call asks the store. The first
// operation that finds the store unable to answer (a timeout, a connection
// error) opens it: every call then fails at once with errShortCircuit, and
// the limiter applies its fail policy without waiting on the network. After
// a back-off, a probe (a PING on a goroutine of the store's, never a
// caller's) asks the store; if it answers, the breaker closes, else the
// back-off doubles. Any answer from the store, probe or not, closes it. An
// error reply (a misconfiguration) is an answer: the store is there.
//
// Deciding, open or closed, is one atomic load. A breaker is safe for
// concurrent use.
type breaker struct {
	isOpen  atomic.Bool
	backoff time.Duration // guarded by mu
	probe   func()        // asks the store on a goroutine of its own; reports through success or failure
	mu      sync.Mutex
	timer   *time.Timer // fires the next probe while open
	stopped bool        // the store is closed: no more probes

	// The changes of state not yet reported, in order, and whether a
	// goroutine is reporting them (see report).
	events     []runtime.StoreEvent
	delivering bool

	trips, shorts atomic.Uint64
}

// allow reports whether a call may ask the store now.
func (b *breaker) allow() bool {
	if !b.isOpen.Load() {
		return true
	}
	b.shorts.Add(1)
	return false
}

// success records an answer from the store and reports whether it closed the
// breaker.
func (b *breaker) success() bool {
	if !b.isOpen.Load() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.isOpen.Load() {
		return false
	}
	b.isOpen.Store(false)
	if b.timer != nil {
		b.timer.Stop()
	}
	b.events = append(b.events, runtime.StoreEvent{Store: "redisstore", Available: true})
	return true
}

// failure records that an operation found the store unable to answer and
// reports whether it opened the breaker (it was closed). While it is open,
// failures of calls sent before it opened change nothing.
func (b *breaker) failure(cause error) bool {
	if b.isOpen.Load() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.isOpen.Load() || b.stopped {
		return false
	}
	b.isOpen.Store(true)
	b.events = append(b.events, runtime.StoreEvent{Store: "redisstore", Err: cause})
	b.backoff = breakerMinBackoff
	b.armLocked()
	b.trips.Add(1)
	return true
}

// probeFailed records that a probe found the store still unable to answer:
// the back-off doubles and the next probe is due after it.
func (b *breaker) probeFailed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.isOpen.Load() || b.stopped {
		return
	}
	b.backoff = min(2*b.backoff, breakerMaxBackoff)
	b.armLocked()
}

// armLocked makes the next probe due after the back-off.
func (b *breaker) armLocked() {
	if b.timer == nil {
		b.timer = time.AfterFunc(b.backoff, b.probe)
	} else {
		b.timer.Reset(b.backoff)
	}
}

// startProbe reports whether a probe that is due should run: the breaker is
// open and the store not closed; then it counts the probe in wg, under the
// lock that stop takes, so that a Wait after stop sees it.
func (b *breaker) startProbe(wg *sync.WaitGroup) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || !b.isOpen.Load() {
		return false
	}
	wg.Add(1)
	return true
}

// stop ends probing for good (Store.Close). A probe already running ends by
// itself within the decision timeout.
func (b *breaker) stop() {
	b.mu.Lock()
	b.stopped = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
}

// report passes the changes of state queued by success and failure to the
// configured StoreHook, in the order they happened. One goroutine reports
// at a time; a change queued meanwhile (even by a hook that decides through
// the store) is reported by that goroutine after the ones before it.
func (b *breaker) report() {
	b.mu.Lock()
	if b.delivering {
		b.mu.Unlock()
		return
	}
	b.delivering = true
	for len(b.events) > 0 {
		e := b.events[0]
		b.events = b.events[1:]
		b.mu.Unlock()
		runtime.ReportStoreEvent(e)
		b.mu.Lock()
	}
	b.delivering = false
	b.mu.Unlock()
}

// open reports whether the breaker is open.
func (b *breaker) open() bool { return b.isOpen.Load() }

// guard is called before a store operation: it returns the error of a call
// the open breaker answers, or nil when the call may ask the store.
func (s *Store) guard() error {
	if s.brk.allow() {
		return nil
	}
	s.stats.errors.Add(1)
	return errShortCircuit
}

// Unavailable implements runtime.AvailabilityReporter: while the breaker is
// open it returns the error Decide would return, without building a request.
func (s *Store) Unavailable() error { return s.guard() }

var _ runtime.AvailabilityReporter = (*Store)(nil)

// observe feeds the outcome of a store operation to the breaker: err is the
// raw error of the operation (nil, or redis.Nil, for an answer), callerDone
// whether the caller's own context had ended (which says nothing about the
// store). An error reply is an answer too. It reports changes of state
// through the configured StoreHook.
func (s *Store) observe(err error, callerDone bool) {
	switch {
	case err == nil || isAnswer(err) || misconfigCause(err) != "":
		if s.brk.success() {
			s.brk.report()
		}
	case callerDone || errors.Is(err, errClosed):
	default:
		if s.brk.failure(unavailable(err)) {
			s.reloadLayout()
			s.brk.report()
		}
	}
}

// reloadLayout has a Cluster client reload which node serves which slots,
// on a goroutine of the client's (go-redis coalesces reloads, at most one
// each 200 ms). Called when the breaker opens and before each probe: after a
// failover the slots of the failed master are served by a promoted replica,
// which the client, dialling the failed master, would otherwise learn of only
// after its ClusterStateReloadInterval (60 s by default), no node having
// answered MOVED.
func (s *Store) reloadLayout() {
	if c, ok := s.client.(*redis.ClusterClient); ok {
		c.ReloadState(context.Background())
	}
}

// probe asks the store, with a PING bounded by the decision timeout, whether
// it answers again; the open breaker runs it after each back-off, on the
// timer's goroutine.
func (s *Store) probe() {
	if !s.brk.startProbe(&s.probes) {
		return
	}
	defer s.probes.Done()
	s.reloadLayout()
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.timeout)
	defer cancel()
	ping := func(ctx context.Context) error { return s.client.Ping(ctx).Err() }
	var err error
	if s.honoursCtx {
		err = ping(ctx)
	} else {
		err = s.detached(ctx, ping)
	}
	if err == nil || misconfigCause(err) != "" {
		s.observe(nil, false)
		return
	}
	s.brk.probeFailed()
}
