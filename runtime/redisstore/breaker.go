package redisstore

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// The breaker's back-off after a failure: it starts at breakerMinBackoff and
// doubles with each failed probe up to breakerMaxBackoff, so that a store
// that answers again is asked within breakerMaxBackoff plus one decision
// timeout, with room for a probe that the resuming server answers too late
// (docs/spec.md §7: decisions return to the store within 2 s).
const (
	breakerMinBackoff = 100 * time.Millisecond
	breakerMaxBackoff = 500 * time.Millisecond
)

// errBreakerOpen is the cause of the errors of calls that the open breaker
// answered without asking the store.
var errBreakerOpen = errors.New("redisstore: not asked: the store failed recently (breaker open)")

// breaker remembers that the store just failed to answer.
//
// Model: closed (the normal state), every call asks the store. The first
// call that finds the store unable to answer (a timeout, a connection error,
// an error reply) opens it: until a back-off has passed, calls fail at once
// with errBreakerOpen, and the limiter applies its fail policy without
// waiting on the network. When the back-off has passed, the first call to
// come claims the probe (for one more back-off, so one probe at a time) and
// asks the store; if it answers, the breaker closes, else the back-off
// doubles. Any answer from the store, probe or not, closes it; a failure of a
// call sent before the breaker opened changes nothing.
//
// The closed path is one atomic load. A breaker is safe for concurrent use.
type breaker struct {
	until   atomic.Int64 // monoNanos before which calls are not let through; 0 when closed
	backoff atomic.Int64 // the current back-off in nanoseconds
	probeIn int64        // how long a claimed probe holds off other calls: the decision bound
	probing atomic.Bool  // a probe was let through and has not failed yet
	trips   atomic.Uint64
	shorts  atomic.Uint64
}

// allow reports whether a call may ask the store now.
func (b *breaker) allow() bool {
	u := b.until.Load()
	if u == 0 {
		return true
	}
	now := monoNanos()
	if now < u {
		b.shorts.Add(1)
		return false
	}
	// Claim the probe: later calls wait out the probe's time bound and a
	// back-off, unless the probe closes the breaker first.
	if b.until.CompareAndSwap(u, now+b.probeIn+b.backoff.Load()) {
		b.probing.Store(true)
		return true
	}
	b.shorts.Add(1)
	return false
}

// success records an answer from the store and reports whether it closed the
// breaker.
func (b *breaker) success() bool {
	if b.until.Load() == 0 {
		return false
	}
	if u := b.until.Swap(0); u == 0 {
		return false // closed by another answer meanwhile
	}
	b.backoff.Store(int64(breakerMinBackoff))
	b.probing.Store(false)
	return true
}

// failure records that the store could not answer and reports whether it
// opened the breaker (it was closed). While it is open, only the failure of
// the probe counts: it doubles the back-off. (A straggler sent before the
// breaker opened may be taken for the probe; the probe's own failure then
// changes nothing, so the back-off still doubles once per probe.)
func (b *breaker) failure() bool {
	now := monoNanos()
	if b.until.Load() == 0 && b.until.CompareAndSwap(0, now+breakerMinBackoff.Nanoseconds()) {
		b.backoff.Store(int64(breakerMinBackoff))
		b.trips.Add(1)
		return true
	}
	if b.probing.CompareAndSwap(true, false) {
		bo := min(2*b.backoff.Load(), int64(breakerMaxBackoff))
		b.backoff.Store(bo)
		b.until.Store(now + bo)
	}
	return false
}

// open reports whether the breaker is open.
func (b *breaker) open() bool { return b.until.Load() != 0 }

// guard is called before a store operation: it returns the error of a call
// the open breaker answers, or nil when the call may ask the store.
func (s *Store) guard() error {
	if s.brk.allow() {
		return nil
	}
	s.stats.errors.Add(1)
	return unavailable(errBreakerOpen)
}

// observe feeds the outcome of a store operation to the breaker: err is the
// raw error of the operation (nil, or redis.Nil, for an answer), callerDone
// whether the caller's own context had ended (which says nothing about the
// store). It reports changes of state through the configured StoreHook.
func (s *Store) observe(err error, callerDone bool) {
	switch {
	case err == nil || isAnswer(err):
		if s.brk.success() {
			runtime.ReportStoreEvent(runtime.StoreEvent{Store: "redisstore", Available: true})
		}
	case callerDone || errors.Is(err, errClosed):
	default:
		if s.brk.failure() {
			runtime.ReportStoreEvent(runtime.StoreEvent{Store: "redisstore", Err: unavailable(err)})
		}
	}
}
