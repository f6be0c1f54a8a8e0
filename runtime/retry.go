package runtime

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"
)

// Backoff is how the delay between attempts grows.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type Backoff uint8

// The backoffs of //throttle:retry backoff=. The zero value is Exponential.
const (
	Exponential Backoff = iota // Base, 2·Base, 4·Base, … capped at Max
	Constant                   // Base between every two attempts
)

func (b Backoff) String() string {
	switch b {
	case Exponential:
		return "exponential"
	case Constant:
		return "constant"
	}
	return "Backoff(" + strconv.Itoa(int(b)) + ")"
}

// Jitter is how the backoff delay is randomised.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type Jitter uint8

// The jitters of //throttle:retry jitter=. The zero value is FullJitter, the
// choice that best spreads out retries of many clients.
const (
	FullJitter Jitter = iota // a uniformly random delay in [0, backoff)
	NoJitter                 // exactly the backoff
)

func (j Jitter) String() string {
	switch j {
	case FullJitter:
		return "full"
	case NoJitter:
		return "none"
	}
	return "Jitter(" + strconv.Itoa(int(j)) + ")"
}

// RetryOn is the set of the words of //throttle:retry on= (error values
// listed in on= are matched by the generated code with errors.Is).
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type RetryOn uint8

// The words of on=. The zero value means the default, OnThrottled|OnTimeout.
const (
	OnThrottled RetryOn = 1 << iota // errors.Is(err, ErrThrottled)
	OnTimeout                       // ErrTimeout, context.DeadlineExceeded, or an error whose Timeout() reports true
	OnError                         // any error
	// OnNone means on= names no word, only error values; Retryable then
	// reports false and the generated errors.Is checks decide alone.
	OnNone

	OnDefault = OnThrottled | OnTimeout
)

// Defaults of a RetrySpec's zero fields.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
const (
	DefaultRetryAttempts = 3
	DefaultRetryBase     = 100 * time.Millisecond
	DefaultBudgetWindow  = 10 * time.Second
)

// RetrySpec is the parameters of //throttle:retry. Zero fields take their
// defaults: Attempts DefaultRetryAttempts, Backoff Exponential, Base
// DefaultRetryBase, Max unbounded, Jitter FullJitter, On OnDefault, Budget
// none, BudgetWindow DefaultBudgetWindow.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type RetrySpec struct {
	Name     string        // the function's identity (for hooks)
	Attempts int           // total attempts, the first included (≥ 1)
	Backoff  Backoff       // how the delay grows
	Base     time.Duration // the first delay
	Max      time.Duration // the longest delay (before jitter); 0: no cap
	Jitter   Jitter        // how the delay is randomised
	On       RetryOn       // which errors are retried
	// Budget, when > 0, caps the retries made over the last BudgetWindow at
	// Budget × the calls made over it (plus one retry per window, so that a
	// rarely called function may retry at all), as the SRE book's per-client
	// retry budget: retries cannot multiply an overload.
	Budget       float64
	BudgetWindow time.Duration
}

// Retry is the retry policy of one function: its spec and its retry budget.
// It is safe for concurrent use.
//
// Generated code runs the attempts in a plain loop, with no closure:
//
//	var err error
//	attempt := 1
//	for ; ; attempt++ {
//		r0, err = _throttle_F_attempt(ctx, a, b)
//		if err == nil || !(retry.Retryable(err) || errors.Is(err, io.EOF)) || !retry.Next(ctx, attempt, err) {
//			break
//		}
//	}
//	err = retry.Done(attempt, err)
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type Retry struct {
	spec   RetrySpec
	budget *retryBudget // nil without a budget
	rand   func(n int64) int64
}

// NewRetry returns the retry policy for spec, with defaults applied to its
// zero fields.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func NewRetry(spec RetrySpec) *Retry {
	if spec.Attempts <= 0 {
		spec.Attempts = DefaultRetryAttempts
	}
	if spec.Base <= 0 {
		spec.Base = DefaultRetryBase
	}
	if spec.Max < 0 {
		spec.Max = 0
	}
	if spec.On == 0 {
		spec.On = OnDefault
	}
	if spec.BudgetWindow <= 0 {
		spec.BudgetWindow = DefaultBudgetWindow
	}
	r := &Retry{spec: spec, rand: rand.Int64N}
	if spec.Budget > 0 {
		r.budget = newRetryBudget(spec.Budget, spec.BudgetWindow)
	}
	return r
}

// Retryable reports whether err is retried according to the words of on=
// (throttled, timeout, error). Error values listed in on= are checked by the
// generated code itself. A nil err is never retryable, and throttled does
// not retry a rejection for ReasonCost: no retry of a call that costs more
// than its limit can ever admit can succeed.
func (r *Retry) Retryable(err error) bool {
	if err == nil {
		return false
	}
	on := r.spec.On
	if on&OnError != 0 {
		return true
	}
	if on&OnThrottled != 0 && errors.Is(err, ErrThrottled) {
		var te *ThrottledError
		return !errors.As(err, &te) || te.Reason != ReasonCost
	}
	if on&OnTimeout != 0 && isTimeout(err) {
		return true
	}
	return false
}

// isTimeout reports whether err is a timeout: ErrTimeout,
// context.DeadlineExceeded, or an error whose Timeout method reports true
// (as net.Error's do).
func isTimeout(err error) bool {
	if errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// delay returns the backoff before the attempt after attempt number attempt
// (1-based), before jitter and before honouring a RetryAfter.
func (r *Retry) delay(attempt int) time.Duration {
	d := r.spec.Base
	if r.spec.Backoff == Exponential {
		for i := 1; i < attempt; i++ {
			if r.spec.Max > 0 && d >= r.spec.Max {
				break
			}
			if d > (1<<62)/2 { // saturate instead of overflowing
				break
			}
			d *= 2
		}
	}
	if r.spec.Max > 0 && d > r.spec.Max {
		d = r.spec.Max
	}
	return d
}

// wait returns how long to wait after a failed attempt: the jittered backoff,
// and at least the RetryAfter of a throttled error.
func (r *Retry) wait(attempt int, err error) time.Duration {
	d := r.delay(attempt)
	if r.spec.Jitter == FullJitter && d > 0 {
		d = time.Duration(r.rand(int64(d)))
	}
	var te *ThrottledError
	if errors.As(err, &te) && te.RetryAfter > d {
		d = te.RetryAfter
	}
	return d
}

// Next decides whether attempt number attempt (1-based), which failed with the
// retryable err, is followed by another, and if so waits the delay before it
// on the configured clock. It returns false, at once, when the attempts are
// used up, when the retry budget is spent, when ctx has ended, or when the
// delay would not end before ctx's deadline (so the caller never sleeps past
// the deadline); and false if ctx ends while waiting.
func (r *Retry) Next(ctx context.Context, attempt int, err error) bool {
	if attempt >= r.spec.Attempts || ctx.Err() != nil {
		return false
	}
	cfg := loadConfig()
	d := r.wait(attempt, err)
	now := cfg.clock.Now()
	if dl, ok := ctx.Deadline(); ok && !now.Add(d).Before(dl) {
		r.observe(cfg, false, 0)
		return false
	}
	if r.budget != nil && !r.budget.takeRetry(now) {
		r.observe(cfg, false, 0)
		return false
	}
	if d > 0 {
		ch, stop := cfg.clock.NewTimer(d)
		select {
		case <-ch:
		case <-ctx.Done():
			stop()
			r.observe(cfg, false, cfg.clock.Now().Sub(now))
			return false
		}
	}
	r.observe(cfg, true, d)
	return true
}

func (r *Retry) observe(cfg *config, allowed bool, wait time.Duration) {
	if cfg.hook == nil {
		return
	}
	ev := Event{Policy: "retry", Name: r.spec.Name, Allowed: allowed, Wait: wait}
	cfg.hook.OnDecision(ev)
}

// Done ends a call that made attempts attempts, the last of which returned
// err, and returns the wrapper's error: nil stays nil, the error of a single
// attempt is returned unchanged, and the last error of several attempts is
// wrapped in a *RetryError (errors.Is and errors.As still find its cause).
// Done also counts the call for the retry budget; every call must end with
// exactly one Done.
func (r *Retry) Done(attempts int, err error) error {
	if r.budget != nil {
		r.budget.addCall(loadConfig().clock.Now())
	}
	if err == nil || attempts <= 1 {
		return err
	}
	return &RetryError{Attempts: attempts, Err: err}
}

// RetryError is the last error of a call that was attempted several times.
type RetryError struct {
	Attempts int   // how many attempts were made
	Err      error // the last attempt's error
}

func (e *RetryError) Error() string {
	return "throttle: gave up after " + strconv.Itoa(e.Attempts) + " attempts: " + e.Err.Error()
}

// Unwrap returns the last attempt's error.
func (e *RetryError) Unwrap() error { return e.Err }
