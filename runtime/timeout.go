package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// TimeoutContext is the context a timeout policy gives a context-first
// function: its parent's values and cancellation, plus a deadline read on the
// configured clock.
//
// It is built lazily so that the common case costs one allocation and no
// goroutine: the Done channel, the timer that closes it and the link to the
// parent's cancellation are created only if someone calls Done. Err and
// Deadline work without them. Once its deadline passes, Err reports
// context.DeadlineExceeded.
//
// A TimeoutContext is safe for concurrent use. Its owner must call Cancel
// when the call returns (generated code defers it) to release the timer.
//
// Generated code:
//
//	tctx := throttle.WithTimeout(ctx, 2*time.Second)
//	defer tctx.Cancel()
//	r0, err := F(tctx, a, b)
//	err = throttle.TimeoutError(tctx, err)
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type TimeoutContext struct {
	parent   context.Context
	clock    Clock
	deadline time.Time     // ours, on clock; unset when sys
	mono     time.Duration // sys: our deadline as monotonic time since sysBase
	sys      bool          // clock is SystemClock: use the cheaper monotonic clock alone
	started  atomic.Bool   // Done was called: a channel and maybe timers exist
	closed   bool          // done is closed; guarded by mu (here to pack the struct)
	state    atomic.Uint32 // tcLive until the context ends, then why it ended

	mu         sync.Mutex // guards closed and the fields below
	done       chan struct{}
	stopTimer  func() bool
	stopParent func() bool
}

// The states of a TimeoutContext.
const (
	tcLive     uint32 = iota
	tcDeadline        // our deadline passed
	tcParent          // the parent ended
	tcCanceled        // Cancel was called
)

// WithTimeout returns a child of ctx that ends d after now (on the configured
// clock), when ctx ends, or when Cancel is called, whichever comes first.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func WithTimeout(ctx context.Context, d time.Duration) *TimeoutContext {
	clk := loadConfig().clock
	if clk == SystemClock {
		// time.Since reads only the monotonic clock: half the cost of time.Now.
		return &TimeoutContext{parent: ctx, clock: clk, mono: time.Since(sysBase) + d, sys: true}
	}
	return &TimeoutContext{parent: ctx, clock: clk, deadline: clk.Now().Add(d)}
}

// sysBase is the origin of TimeoutContext's monotonic deadlines. Times
// derived from it carry a monotonic reading, so time.Until and timers built
// on them use the monotonic clock, as they would on time.Now().
var sysBase = time.Now()

// ownDeadline returns our deadline (not the parent's).
func (c *TimeoutContext) ownDeadline() time.Time {
	if c.sys {
		return sysBase.Add(c.mono)
	}
	return c.deadline
}

// Deadline returns the earlier of the parent's deadline and this context's.
func (c *TimeoutContext) Deadline() (time.Time, bool) {
	own := c.ownDeadline()
	if pd, ok := c.parent.Deadline(); ok && pd.Before(own) {
		return pd, true
	}
	return own, true
}

// Value returns the parent's value for key.
func (c *TimeoutContext) Value(key any) any { return c.parent.Value(key) }

// Err returns nil while the context runs; context.DeadlineExceeded once its
// deadline has passed; the parent's error once the parent ended; or
// context.Canceled after Cancel.
func (c *TimeoutContext) Err() error {
	switch c.state.Load() {
	case tcDeadline:
		return context.DeadlineExceeded
	case tcParent:
		return c.parent.Err()
	case tcCanceled:
		return context.Canceled
	}
	if c.parent.Err() != nil {
		c.end(tcParent)
		return c.Err()
	}
	if c.expired() {
		c.end(tcDeadline)
		return c.Err()
	}
	return nil
}

// expired reports whether our deadline has passed.
func (c *TimeoutContext) expired() bool {
	if c.sys {
		return time.Since(sysBase) >= c.mono
	}
	return !c.clock.Now().Before(c.deadline)
}

// Done returns a channel closed when the context ends. The first call starts
// the timer and links the context to its parent's cancellation.
func (c *TimeoutContext) Done() <-chan struct{} {
	c.mu.Lock()
	if c.done != nil {
		d := c.done
		c.mu.Unlock()
		return d
	}
	c.done = make(chan struct{})
	d := c.done
	c.started.Store(true)
	if c.state.Load() != tcLive {
		c.closed = true
		close(d)
		c.mu.Unlock()
		return d
	}
	c.mu.Unlock()

	// Outside the lock: these may end the context at once, and end locks.
	if c.parent.Done() != nil {
		stop := context.AfterFunc(c.parent, func() { c.end(tcParent) })
		if !c.setStop(&c.stopParent, stop) {
			stop()
		}
	}
	var left time.Duration
	if c.sys {
		left = c.mono - time.Since(sysBase)
	} else {
		left = c.deadline.Sub(c.clock.Now())
	}
	if left <= 0 {
		c.end(tcDeadline)
		return d
	}
	var stop func() bool
	if c.sys {
		t := time.AfterFunc(left, func() { c.end(tcDeadline) })
		stop = t.Stop
	} else {
		ch, stopTimer := c.clock.NewTimer(left)
		quit := make(chan struct{})
		go func() {
			select {
			case <-ch:
				c.end(tcDeadline)
			case <-quit:
			}
		}()
		stop = func() bool {
			r := stopTimer()
			close(quit)
			return r
		}
	}
	if !c.setStop(&c.stopTimer, stop) {
		stop()
	}
	return d
}

// setStop records stop in *field unless the context has already ended, and
// reports whether it did.
func (c *TimeoutContext) setStop(field *func() bool, stop func() bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Load() != tcLive {
		return false
	}
	*field = stop
	return true
}

// end ends the context in state s, unless it has ended already.
func (c *TimeoutContext) end(s uint32) {
	if !c.state.CompareAndSwap(tcLive, s) || !c.started.Load() {
		return // already ended, or nobody called Done: nothing to close or stop
	}
	c.mu.Lock()
	stopTimer, stopParent := c.stopTimer, c.stopParent
	c.stopTimer, c.stopParent = nil, nil
	c.mu.Unlock()
	// Release the timer before closing Done, so that whoever sees Done closed
	// finds no timer of ours left.
	if stopTimer != nil {
		stopTimer()
	}
	if stopParent != nil {
		stopParent()
	}
	c.mu.Lock()
	if c.done != nil && !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
}

// Cancel ends the context with context.Canceled (if it has not ended yet)
// and releases its timer. It may be called several times.
func (c *TimeoutContext) Cancel() { c.end(tcCanceled) }

// TimedOut reports whether the context's own deadline has passed (not the
// parent's: a parent that ended first is the caller's business).
func (c *TimeoutContext) TimedOut() bool {
	_ = c.Err() // settle the state
	return c.state.Load() == tcDeadline
}

// String describes the context, for debugging.
func (c *TimeoutContext) String() string {
	return "throttle.WithTimeout(" + c.ownDeadline().Sub(c.clock.Now()).String() + ")"
}

// TimeoutError returns the wrapper's error for a call that ran with ctx and
// returned err. When ctx is a *TimeoutContext whose own deadline has passed,
// the result satisfies errors.Is(…, ErrTimeout) and
// errors.Is(…, context.DeadlineExceeded), whatever the call returned (an
// error of the call is kept for errors.Is and errors.As). Otherwise err is
// returned unchanged.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func TimeoutError(ctx context.Context, err error) error {
	c, ok := ctx.(*TimeoutContext)
	if !ok || !c.TimedOut() {
		return err
	}
	return timeoutCause(err)
}

// timeoutCause returns ErrTimeout, wrapping err when it says more.
func timeoutCause(err error) error {
	if err == nil || err == context.DeadlineExceeded || errors.Is(err, ErrTimeout) {
		if errors.Is(err, ErrTimeout) {
			return err
		}
		return ErrTimeout
	}
	return &timedOutError{err: err}
}

// timedOutError is a timeout that keeps the error the call returned.
type timedOutError struct{ err error }

func (e *timedOutError) Error() string { return ErrTimeout.Error() + ": " + e.err.Error() }
func (e *timedOutError) Unwrap() error { return e.err }
func (e *timedOutError) Timeout() bool { return true }

// Is reports that the error is ErrTimeout and context.DeadlineExceeded.
func (e *timedOutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}
