package runtime

import (
	"context"
	"time"
)

// FailPolicy says what a limiter does when its store cannot answer.
type FailPolicy uint8

// The fail policies of the fail= argument.
const (
	FailOpen   FailPolicy = iota // admit the call (the default)
	FailClosed                   // reject it with an error wrapping ErrStoreUnavailable
)

// Scope says where a limiter keeps its state.
type Scope uint8

// The scopes of the scope= argument.
const (
	// ScopeDefault: rate policies use the configured store, concurrency is local.
	ScopeDefault Scope = iota
	// ScopeLocal: always this process (the in-memory store).
	ScopeLocal
	// ScopeGlobal: across processes, through the configured store.
	ScopeGlobal
)

// RateSpec is one rate directive of a function, as the generator writes it.
type RateSpec struct {
	Name      string // the limit's identity; "" means the function's name
	Algorithm Algorithm
	Quota     int64
	Duration  time.Duration
	Burst     int64         // token_bucket, gcra: 0 means Quota
	Bucket    int64         // leaky_bucket: how many calls may wait their turn
	Wait      time.Duration // how long a rejected call may wait for permission
	Fail      FailPolicy
	Scope     Scope
	Keyed     bool // informational: the directive has key=
}

// Rate holds every rate directive of one function. Generated code creates one
// per function at package initialisation and calls Allow or AllowKeys on each
// call. A Rate is safe for concurrent use.
type Rate struct {
	function string
	specs    []RateSpec
}

// NewRate returns the limiter of function (its full name, importpath.Func)
// for specs. It panics on invalid specs; the generator validates them first.
func NewRate(function string, specs ...RateSpec) *Rate {
	return &Rate{function: function, specs: specs}
}

// Allow decides a call of a function with exactly one rate directive; key is
// the caller's key ("" for an unkeyed limit).
func (r *Rate) Allow(ctx context.Context, key string) error { return nil }

// AllowKeys decides a call of a function with several rate directives; keys
// holds one key per directive, in order.
func (r *Rate) AllowKeys(ctx context.Context, keys ...string) error { return nil }
