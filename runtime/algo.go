package runtime

import "time"

// This file holds what the five rate algorithms share. Each algorithm is a
// pure function over integer microseconds, exactly as docs/design.md states
// it (the Redis store mirrors it line by line in Lua): it takes a state and
// the time, and returns the state to commit when the call is admitted and
// the outcome. Nothing here locks or allocates; the callers (the in-memory
// store, the reference-model tests) own the state.

// maxInt64 stands for "unbounded" in wait bounds.
const maxInt64 = 1<<63 - 1

// params are a Limit's parameters in microseconds, derived once per limit.
type params struct {
	alg Algorithm
	q   int64 // quota
	d   int64 // duration in µs, >= 1
	b   int64 // burst (token_bucket, gcra), defaulted to q
	k   int64 // bucket (leaky_bucket)
	t   int64 // ⌈d/q⌉: the emission interval (gcra, leaky_bucket)
	c   int64 // b·d: the token bucket's capacity in units
	bt  int64 // b·t: gcra's tolerance plus one interval
}

// newParams derives the parameters of l. It reports an error-free zero
// value's validity through ok: quota and duration must be positive, and so
// must bucket for leaky_bucket.
func newParams(l *Limit) (p params, ok bool) {
	p = params{alg: l.Algorithm, q: l.Quota, d: durMicros(l.Duration), b: l.Burst, k: l.Bucket}
	if p.b <= 0 {
		p.b = p.q
	}
	if p.q <= 0 || p.d <= 0 || l.Algorithm < FixedWindow || l.Algorithm > LeakyBucket {
		return p, false
	}
	if l.Algorithm == LeakyBucket && p.k < 0 {
		return p, false
	}
	p.t = ceilDiv(p.d, p.q)
	p.c = p.b * p.d
	p.bt = p.b * p.t
	return p, true
}

// durMicros converts d to whole microseconds, rounding up so that a positive
// duration never becomes 0.
func durMicros(d time.Duration) int64 {
	return ceilDiv(int64(d), int64(time.Microsecond))
}

// ceilDiv is ⌈a/b⌉ for b > 0 and any a.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// floorMod is a mod b in [0, b) for b > 0.
func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// state is the per-key state of every algorithm but sliding_window (whose
// state is a log, see swLog). Its fields mean, per algorithm:
//
//	fixed_window  a = window start, b = count
//	token_bucket  a = level,        b = last refill
//	gcra          a = tat
//	leaky_bucket  a = last
type state struct{ a, b int64 }

// outcome is one algorithm's decision for one limit.
type outcome struct {
	allowed    bool
	reason     Reason // ReasonQuota or ReasonDeadline when rejected
	rem, per   int64  // remaining is rem/per (per 0 means 1): the division is left to who needs it
	delay      int64  // µs an admitted call waits for its turn
	retryAfter int64  // µs until a rejected call would be admitted, > 0
	ttl        int64  // µs after now when the committed state is fresh again
}

// remaining is how many more calls the limit would admit now.
func (o *outcome) remaining() int64 {
	if o.per == 0 {
		return o.rem
	}
	return o.rem / o.per
}

// decide runs p's algorithm (not sliding_window) on st, fresh when the key
// has no state. maxWait < 0 means unbounded. It returns the state to commit
// if the outcome is allowed.
func decide(p *params, st state, fresh bool, now, maxWait int64) (state, outcome) {
	switch p.alg {
	case FixedWindow:
		return fixedWindow(p, st, fresh, now)
	case TokenBucket:
		return tokenBucket(p, st, fresh, now, maxWait)
	case GCRA:
		return gcra(p, st, fresh, now, maxWait)
	default:
		return leakyBucket(p, st, fresh, now, maxWait)
	}
}

// cancel gives back the reservation of one admitted call with a delay
// (token_bucket, gcra, leaky_bucket) and returns the new state and ttl.
func cancel(p *params, st state, now int64) (state, int64) {
	switch p.alg {
	case TokenBucket:
		return tokenBucketCancel(p, st, now)
	case GCRA:
		return gcraCancel(p, st, now)
	case LeakyBucket:
		return leakyBucketCancel(p, st, now)
	}
	return st, 0
}
