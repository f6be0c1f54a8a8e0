package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrThrottled is matched, with errors.Is, by every rejection a wrapper
// returns. The rejection itself is a *ThrottledError carrying the details.
var ErrThrottled = errors.New("throttled")

// ErrStoreUnavailable is wrapped by the error returned when a store could not
// answer and the policy fails closed (fail=closed).
var ErrStoreUnavailable = errors.New("throttle store unavailable")

// ErrStoreMisconfigured is wrapped, next to ErrStoreUnavailable, by the
// errors of a store that answered with an error retrying cannot fix: a failed
// authentication, a script error, a key of the wrong type, keys in different
// Cluster slots (CROSSSLOT), a server out of memory. The limiter still follows
// its fail policy, but such an error says the deployment needs a fix; a store
// also reports each distinct cause once through a StoreHook.
var ErrStoreMisconfigured = errors.New("throttle store misconfigured")

// storeUnavailable is the error of limiter fn whose store could not answer
// with err. It wraps both err and ErrStoreUnavailable and says the latter
// once, whether or not err already wraps it (a store's own errors usually do).
func storeUnavailable(fn string, err error) error {
	if errors.Is(err, ErrStoreUnavailable) {
		return fmt.Errorf("throttle: %s: %w", fn, err)
	}
	return fmt.Errorf("throttle: %s: %w: %w", fn, ErrStoreUnavailable, err)
}

// ErrInvalidCost is wrapped by the error of a call whose cost (cost=) is
// negative. Such a call fails without a decision; it is not a rejection
// (errors.Is(err, ErrThrottled) is false).
var ErrInvalidCost = errors.New("throttle: invalid cost")

// ErrInvalidValue is wrapped by the error of a call whose per-call quota,
// burst or bucket is below 1. Such a call fails without a decision; it is
// not a rejection (errors.Is(err, ErrThrottled) is false).
var ErrInvalidValue = errors.New("throttle: invalid per-call value")

// ErrTimeout is returned, possibly wrapped, when a timeout policy's deadline
// passes. Both errors.Is(err, ErrTimeout) and
// errors.Is(err, context.DeadlineExceeded) hold for it.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "throttle: call timed out" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Is reports that a timeout is also a context.DeadlineExceeded.
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// Reason says why a call was rejected.
type Reason uint8

// The reasons of a rejection. Their String values are part of the contract
// (they travel in the X-Throttled-Reason header).
const (
	ReasonQuota         Reason = iota + 1 // a rate policy's quota is used up
	ReasonFullQueue                       // no free slot and no room in the queue
	ReasonPriorityQuota                   // the call's priority used its share of capacity
	ReasonConsumerQuota                   // the call's consumer used its share of capacity
	ReasonDeadline                        // the wait would outlast max_wait or the context's deadline
	// ReasonCost: the call's cost is more than the limit can ever admit
	// at once (above burst for token_bucket and gcra, above quota for the
	// windows, above bucket+1 for leaky_bucket). Such a rejection comes at
	// once, without waiting, with RetryAfter 0: no retry can succeed.
	ReasonCost
)

var reasonText = [...]string{
	ReasonQuota:         "rejected due to quota",
	ReasonFullQueue:     "rejected due to full queue",
	ReasonPriorityQuota: "rejected due to priority quota",
	ReasonConsumerQuota: "rejected due to consumer quota",
	ReasonDeadline:      "rejected due to deadline",
	ReasonCost:          "rejected due to cost",
}

func (r Reason) String() string {
	if int(r) < len(reasonText) && reasonText[r] != "" {
		return reasonText[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// ThrottledError is a rejection. It satisfies errors.Is(err, ErrThrottled).
// Treat it as read-only: a limiter may return one *ThrottledError to several
// callers whose rejections are identical.
type ThrottledError struct {
	Policy     string        // the directive's policy, e.g. "gcra" or "concurrency"
	Name       string        // the limit's or pool's identity
	Key        string        // the caller's key, "" when the limit has none
	Reason     Reason        // why the call was rejected
	RetryAfter time.Duration // when a retry may be admitted; > 0 for rate policies, 0 when unknown
}

func (e *ThrottledError) Error() string {
	s := "throttle: " + e.Policy
	if e.Name != "" {
		s += " " + e.Name
	}
	if e.Key != "" {
		s += " key " + strconv.Quote(e.Key)
	}
	s += ": " + e.Reason.String()
	if e.RetryAfter > 0 {
		s += ", retry after " + e.RetryAfter.String()
	}
	return s
}

// Is reports whether target is ErrThrottled.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }
