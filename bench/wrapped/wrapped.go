// Package wrapped holds the annotated functions the benchmarks call through
// their generated wrappers (the *Throttled functions in throttle_gen.go), so
// that every throttlegen number in bench/ is the cost of the code users get.
//
// The functions do no work of their own: what is measured is the wrapper.
// Their limits are generous enough that no benchmark run is ever rejected,
// except Tight, which rejects every call after its first.
package wrapped

import "context"

//go:generate go tool throttlegen

// Const is limited by one gcra limit shared by all callers (issue 3, one
// constant key; issue 4 when a Redis store is configured). It fails closed,
// so that a store error can never pass for a fast decision.
//
//throttle:gcra quota=1000 duration=1s burst=1000000000 fail=closed
func Const(ctx context.Context) error { return nil }

// Open is Const with the default fail=open: while a Redis store's breaker
// is open, its calls go ahead at once without asking the store (issue 13).
//
//throttle:gcra quota=1000 duration=1s burst=1000000000
func Open(ctx context.Context) error { return nil }

// Tight admits one call per hour: every call after the first is rejected
// (the rejected path of issue 3).
//
//throttle:gcra quota=1 duration=1h burst=1
func Tight(ctx context.Context) error { return nil }

// Keyed is limited per user (issue 3, 100,000 keys cycled; issue 4 with a
// Redis store).
//
//throttle:gcra quota=1000 duration=1s burst=1000000000 key=user
func Keyed(ctx context.Context, user string) error { return nil }

// Idle is limited per user with a long-lived state, so that keys stay in the
// store: the bytes-per-idle-key measurement of issue 3.
//
//throttle:gcra quota=10 duration=1h key=user
func Idle(ctx context.Context, user string) error { return nil }

// Bulkhead bounds concurrent calls with consumer and priority quotas
// (issue 5).
//
//throttle:concurrency capacity=1000000 queue=10 consumer=tenant consumer_quota=0.7,billing:0.3 priority_quota=normal:0.9
func Bulkhead(ctx context.Context, tenant string) error { return nil }

// GetUser composes retry, a gcra limit and a timeout on a context-first
// function (issue 6).
//
//throttle:retry attempts=3
//throttle:gcra quota=1000 duration=1s burst=1000000000
//throttle:timeout duration=1s
func GetUser(ctx context.Context, tenant, id string) (string, error) { return id, nil }

// Tier is Open with its quota per call (issue 12: a tenant's plan): the
// same limit as Open's when called with perSecond 1000.
//
//throttle:gcra quota=perSecond duration=1s burst=1000000000
func Tier(ctx context.Context, perSecond int64) error { return nil }

// Weighted is Open with a cost per call (issue 12: units such as tokens).
//
//throttle:gcra quota=1000 duration=1s burst=1000000000 cost=units
func Weighted(ctx context.Context, units int) error { return nil }

// Shadowed is Open in mode=shadow (issue 12: a limit being rolled out).
//
//throttle:gcra quota=1000 duration=1s burst=1000000000 mode=shadow
func Shadowed(ctx context.Context) error { return nil }
