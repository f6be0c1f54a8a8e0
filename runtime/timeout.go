package runtime

import (
	"context"
	"errors"
	"sync"
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
type TimeoutContext struct {
	parent   context.Context
	deadline time.Time // ours, on clock
	clock    Clock

	mu         sync.Mutex
	done       chan struct{} // created by the first Done
	err        error         // set once, when the context ends
	timedOut   bool          // it ended because our deadline passed
	stopTimer  func() bool
	stopParent func() bool
}

// WithTimeout returns a child of ctx that ends d after now (on the configured
// clock), when ctx ends, or when Cancel is called, whichever comes first.
func WithTimeout(ctx context.Context, d time.Duration) *TimeoutContext {
	clk := loadConfig().clock
	return &TimeoutContext{parent: ctx, deadline: clk.Now().Add(d), clock: clk}
}

// Deadline returns the earlier of the parent's deadline and this context's.
func (c *TimeoutContext) Deadline() (time.Time, bool) {
	if pd, ok := c.parent.Deadline(); ok && pd.Before(c.deadline) {
		return pd, true
	}
	return c.deadline, true
}

// Value returns the parent's value for key.
func (c *TimeoutContext) Value(key any) any { return c.parent.Value(key) }

// Err returns nil while the context runs; context.DeadlineExceeded once its
// deadline has passed; the parent's error once the parent ended; or
// context.Canceled after Cancel.
func (c *TimeoutContext) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.parent.Err(); err != nil {
		c.end(err, false)
		return c.Err()
	}
	if !c.clock.Now().Before(c.deadline) {
		c.end(context.DeadlineExceeded, true)
		return c.Err()
	}
	return nil
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
	if c.err != nil {
		close(d)
		c.mu.Unlock()
		return d
	}
	c.mu.Unlock()

	// Outside the lock: these may end the context at once, and end locks.
	if c.parent.Done() != nil {
		stop := context.AfterFunc(c.parent, func() { c.end(c.parent.Err(), false) })
		if !c.setStop(&c.stopParent, stop) {
			stop()
		}
	}
	left := c.deadline.Sub(c.clock.Now())
	if left <= 0 {
		c.end(context.DeadlineExceeded, true)
		return d
	}
	var stop func() bool
	if c.clock == SystemClock {
		t := time.AfterFunc(left, func() { c.end(context.DeadlineExceeded, true) })
		stop = t.Stop
	} else {
		ch, stopTimer := c.clock.NewTimer(left)
		quit := make(chan struct{})
		go func() {
			select {
			case <-ch:
				c.end(context.DeadlineExceeded, true)
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
	if c.err != nil {
		return false
	}
	*field = stop
	return true
}

// end ends the context with err, once.
func (c *TimeoutContext) end(err error, timedOut bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err, c.timedOut = err, timedOut
	if c.done != nil {
		close(c.done)
	}
	stopTimer, stopParent := c.stopTimer, c.stopParent
	c.stopTimer, c.stopParent = nil, nil
	c.mu.Unlock()
	if stopTimer != nil {
		stopTimer()
	}
	if stopParent != nil {
		stopParent()
	}
}

// Cancel ends the context with context.Canceled (if it has not ended yet)
// and releases its timer. It may be called several times.
func (c *TimeoutContext) Cancel() { c.end(context.Canceled, false) }

// TimedOut reports whether the context's own deadline has passed (not the
// parent's: a parent that ended first is the caller's business).
func (c *TimeoutContext) TimedOut() bool {
	c.Err() // settle the state
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timedOut
}

// String describes the context, for debugging.
func (c *TimeoutContext) String() string {
	return "throttle.WithTimeout(" + c.deadline.Sub(c.clock.Now()).String() + ")"
}

// TimeoutError returns the wrapper's error for a call that ran with ctx and
// returned err. When ctx is a *TimeoutContext whose own deadline has passed,
// the result satisfies errors.Is(…, ErrTimeout) and
// errors.Is(…, context.DeadlineExceeded), whatever the call returned (an
// error of the call is kept for errors.Is and errors.As). Otherwise err is
// returned unchanged.
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
