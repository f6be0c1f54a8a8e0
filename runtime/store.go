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
	// reserved (the waiter's context ended before its turn): req carries
	// the same limits, keys and Costs as that decision.
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
//
// Limits[i] carries the values in force for this call: its Quota, Burst,
// Bucket and Duration may differ from one call of a limit to the next
// (per-call values, overrides), and its *Limit may be new on every call.
// A store keys state by (Keyspace, Limit.Name, Limit.Algorithm) and the
// key only, decides each call with the values it brings, and keeps the
// state across such changes; it must not keep anything per *Limit that
// would grow with the calls.
type Request struct {
	Keyspace string
	Limits   []*Limit // the limits, in the function's directive order
	Keys     []string // the caller's key for each limit ("" for unkeyed ones)
	// Costs holds the units the call takes from each limit, in order; nil
	// means 1 from each. A cost of 0 skips its limit (admitted, nothing read
	// or written, not counted in Remaining or Delay); a request whose every
	// cost is 0 is admitted without touching any state. A cost above what the
	// limit can ever admit (Limit's burst, quota or bucket+1, by algorithm)
	// is rejected at once for ReasonCost with RetryAfter 0, whatever
	// MaxWait. A negative cost is an error wrapping ErrInvalidCost. Cancel
	// gives back the reservation of a call of these costs.
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
	// Remaining is how many more units the most constrained limit would
	// admit now (leaky_bucket: how many more may queue); 0 when rejected,
	// and 0 when no limit took part (every cost 0).
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
	// in the way (leaky_bucket), or ReasonCost when a limit can never admit
	// the call's cost (RetryAfter 0; Rejected is the first such limit, and
	// it wins over the other reasons); 0 when admitted.
	Reason Reason
}

// Cost returns the units the call takes from limit i: Costs[i], or 1 when
// Costs is nil.
func (r *Request) Cost(i int) int64 {
	if r.Costs == nil {
		return 1
	}
	return r.Costs[i]
}
