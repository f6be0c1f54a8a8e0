package runtime

import "context"

// PerCall says which of a rate directive's values are per-call expressions
// (§6 of the contract), read from each call's Call instead of its RateSpec.
type PerCall uint8

// The per-call values of a rate directive.
const (
	PerCallQuota  PerCall = 1 << iota // quota= is an expression over the parameters
	PerCallBurst                      // burst= is
	PerCallBucket                     // bucket= is
)

// Call is one call's part of a rate decision for one directive: the
// caller's key, how many units the call consumes, and the directive's
// per-call values. Generated code passes one Call per directive to
// Rate.AllowCall or Rate.AllowCalls.
//
// Cost is always read: 0 admits the call without consuming anything, and a
// negative cost fails the call with an error wrapping ErrInvalidCost.
// Quota, Burst and Bucket are read only where the directive's RateSpec says
// they are per call (PerCall); a value below 1 there fails the call with an
// error wrapping ErrInvalidValue. An override in force for the limit (or for
// the key) takes precedence over per-call values.
type Call struct {
	Key    string
	Cost   int64
	Quota  int64
	Burst  int64
	Bucket int64
}

// AllowCall decides a call of a function with exactly one rate directive
// whose cost or values are per call. See Allow for the results; a negative
// Cost or a per-call value below 1 fails the call with an error wrapping
// ErrInvalidCost or ErrInvalidValue.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func (r *Rate) AllowCall(ctx context.Context, c Call) error {
	return r.Allow(ctx, c.Key) // TODO(issue 12): cost and per-call values
}

// AllowCalls decides a call of a function with several rate directives, one
// Call per directive in order. See AllowCall.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func (r *Rate) AllowCalls(ctx context.Context, calls ...Call) error {
	keys := make([]string, len(calls))
	for i := range calls {
		keys[i] = calls[i].Key
	}
	return r.AllowKeys(ctx, keys...) // TODO(issue 12): cost and per-call values
}
