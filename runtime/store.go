package runtime

import (
	"context"
	"time"
)

// Store decides rate limits, possibly for many processes at once (see
// runtime/redisstore). A Store must be safe for concurrent use.
//
// Decide applies every limit of req atomically: either all of them admit the
// call and each records it, or none records anything (all-or-nothing). A
// networked store makes the whole decision in one round trip.
//
// An error means the store could not answer; the limiter then follows the
// limit's fail policy.
//
// The exact arithmetic of each algorithm is fixed in docs/design.md;
// runtime/internal/conformance checks a Store against the in-memory one.
type Store interface {
	Decide(ctx context.Context, req *Request) (Decision, error)
	// Cancel gives back what an earlier admitted decision with Delay > 0
	// reserved (the waiter's context ended before its turn).
	Cancel(ctx context.Context, req *Request) error
}

// AvailabilityReporter is implemented by a Store that can tell, without
// asking anyone, that it cannot answer now (a breaker open after a failure).
// Limiters call Unavailable before building each request: a non-nil error
// (wrapping ErrStoreUnavailable) stands for the error Decide would return,
// and the limit's fail policy applies at once, without allocating. It must
// be cheap (an atomic load) and safe for concurrent use.
type AvailabilityReporter interface {
	Unavailable() error
}

// ProcessCounter is implemented by a Store that knows how many processes
// decide in a keyspace (each process that uses it counts itself, without an
// extra round trip per decision). While the store cannot answer, a
// fail=local limit holds quota/Processes of it in this process. Limiters
// with fail=local call Processes when they resolve a configuration, so a
// store may start counting a keyspace's processes then. Processes returns
// at least 1 and must be cheap and safe for concurrent use.
type ProcessCounter interface {
	Processes(keyspace string) int
}

// Request is one decision over one or more limits.
type Request struct {
	Keyspace string
	Limits   []*Limit // the limits, in the function's directive order
	Keys     []string // the caller's key for each limit ("" for unkeyed ones)
	// Costs holds the units the call takes from each limit, in order; nil
	// means 1 from each.
	Costs []int64
	// MaxWait is how far in the future an admission may be reserved
	// (token_bucket, gcra, leaky_bucket); 0 admits only calls that can run now.
	// A negative MaxWait means unbounded.
	MaxWait time.Duration
	// Now, when not zero, is used instead of the store's clock. Tests use it to
	// run the same trace against several stores; production code leaves it zero.
	Now time.Time
}

// Decision is a Store's answer.
type Decision struct {
	Allowed bool
	// Remaining is how many more calls the most constrained limit would admit
	// now (leaky_bucket: how many more may queue); 0 when rejected.
	Remaining int64
	// Delay is how long an admitted call must wait for the time it reserved.
	Delay time.Duration
	// RetryAfter is, for a rejected call, how long until it would be admitted.
	RetryAfter time.Duration
	// Rejected is the index in Request.Limits of the limit that rejected the
	// call (the one with the longest RetryAfter, the lowest index on ties),
	// or -1.
	Rejected int
	// Reason is ReasonQuota, or ReasonDeadline when only the wait bound stood
	// in the way (leaky_bucket); 0 when admitted.
	Reason Reason
}
