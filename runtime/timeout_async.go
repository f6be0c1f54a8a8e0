package runtime

import (
	"context"
	"sync/atomic"
	"time"
)

// RunTimeout bounds a function that takes no context: it runs call on a new
// goroutine and waits for it at most d (on the configured clock), or until ctx
// ends. It returns call's result when call returns in time; the zero T and
// ErrTimeout once d has passed; the zero T and ctx.Err() when ctx ends first
// (call is not started when ctx has already ended).
//
// The call cannot be stopped: after a timeout it runs on, on its goroutine,
// and its result is dropped. A panic of call is raised again on the caller's
// goroutine while the caller still waits for it; a panic after the caller
// gave up crashes the program, as a panic on any goroutine does.
//
// Generated code gathers the results in a struct:
//
//	res, err := throttle.RunTimeout(ctx, d, func() _throttle_F_results {
//		r0, err := F(a, b)
//		return _throttle_F_results{r0, err}
//	})
//	if err == nil {
//		r0, err = res.r0, res.err
//	}
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func RunTimeout[T any](ctx context.Context, d time.Duration, call func() T) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err // not started
	}
	a := &asyncCall[T]{ch: make(chan asyncResult[T], 1)}
	go a.run(call)

	var timer <-chan time.Time
	if clk := loadConfig().clock; clk == SystemClock {
		t := time.NewTimer(d) // cheaper than the Clock interface's stop closure
		defer t.Stop()
		timer = t.C
	} else {
		ch, stop := clk.NewTimer(d)
		defer stop()
		timer = ch
	}
	var res asyncResult[T]
	var err error
	select {
	case res = <-a.ch:
	case <-timer:
		err = ErrTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		if a.state.CompareAndSwap(asyncRunning, asyncAbandoned) {
			var zero T
			return zero, err
		}
		// The call finished as we gave up: its result is on its way.
		res = <-a.ch
	}
	if res.panicked {
		panic(res.panic)
	}
	return res.value, nil
}

const (
	asyncRunning   = iota // the call runs and the caller waits
	asyncDelivered        // the call's outcome is (being) sent to the caller
	asyncAbandoned        // the caller gave up
)

type asyncCall[T any] struct {
	ch    chan asyncResult[T] // buffered: the call never blocks on it
	state atomic.Int32
}

type asyncResult[T any] struct {
	value    T
	panicked bool
	panic    any
}

func (a *asyncCall[T]) run(call func() T) {
	finished := false
	defer func() {
		if finished {
			return
		}
		p := recover()
		if !a.state.CompareAndSwap(asyncRunning, asyncDelivered) {
			panic(p) // nobody waits for this panic any more
		}
		a.ch <- asyncResult[T]{panicked: true, panic: p}
	}()
	v := call()
	finished = true
	if a.state.CompareAndSwap(asyncRunning, asyncDelivered) {
		a.ch <- asyncResult[T]{value: v}
	}
}
