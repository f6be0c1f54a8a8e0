package ratemath

import (
	"errors"
	"time"
)

// Params are one limit's parameters in integer microseconds, derived once
// per limit by Derive. The stores never compute them otherwise: the memory
// store decides with them, and the Redis store sends them to its scripts
// as the words alg q d b k t c bt, in the order of the fields below (Lua
// names them by those letters).
type Params struct {
	Algo      *Algorithm // the algorithm's descriptor (Lua: alg, its ID)
	Quota     int64      // q: calls admitted per Period
	Period    int64      // d: the duration in µs, >= 1
	Burst     int64      // b: the most calls admitted at once (token_bucket, gcra); Quota when not set
	Bucket    int64      // k: the most calls waiting their turn (leaky_bucket)
	Interval  int64      // t = ⌈d/q⌉: the emission interval, µs between paced calls
	Capacity  int64      // c = b·d: the token bucket's capacity, in units of 1/d token
	BurstSpan int64      // bt = b·t: how long a full burst takes to earn back (gcra's tolerance plus one interval)
}

// Errors of Derive.
var (
	ErrUnknownAlgorithm = errors.New("unknown algorithm")
	ErrNotPositive      = errors.New("quota and duration must be positive")
	ErrNegative         = errors.New("bucket must not be negative")
)

// Derive validates a limit's parameters and derives its Params: the one
// place both stores take them from. The algorithm must be known, quota and
// duration positive, and leaky_bucket's bucket not negative; a burst of 0
// or less means quota.
func Derive(alg uint8, quota int64, duration time.Duration, burst, bucket int64) (Params, error) {
	a := Lookup(alg)
	if a == nil {
		return Params{}, ErrUnknownAlgorithm
	}
	p := Params{Algo: a, Quota: quota, Period: Micros(duration), Burst: burst, Bucket: bucket}
	if p.Burst <= 0 {
		p.Burst = p.Quota
	}
	if p.Quota <= 0 || p.Period <= 0 {
		return p, ErrNotPositive
	}
	if a.UsesBucket && p.Bucket < 0 {
		return p, ErrNegative
	}
	p.Interval = CeilDiv(p.Period, p.Quota)
	p.Capacity = p.Burst * p.Period
	p.BurstSpan = p.Burst * p.Interval
	return p, nil
}
