package ratemath

import (
	"errors"
	"math/bits"
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
	MaxCost   int64      // the most units one call may take (Algo.CostBound); not sent to the scripts, which derive it
}

// MaxExact is 2^53: every integer up to it is exact in a double, the Redis
// scripts' numbers. Derive refuses parameters whose products could exceed
// it, so that Go and Lua compute the same integers.
const MaxExact = 1 << 53

// Errors of Derive.
var (
	ErrUnknownAlgorithm = errors.New("unknown algorithm")
	ErrNotPositive      = errors.New("quota and duration must be positive")
	ErrNegative         = errors.New("bucket must not be negative")
	ErrTooLarge         = errors.New("parameters too large: burst·duration, burst·duration/quota or bucket·duration/quota (µs) is out of range")
)

// Derive validates a limit's parameters and derives its Params: the one
// place both stores take them from. The algorithm must be known, quota and
// duration positive, and leaky_bucket's bucket not negative; a burst of 0
// or less means quota.
//
// Every value a decision computes must fit in an int64 with room to spare:
// Derive returns ErrTooLarge when token_bucket's capacity b·d (a call of
// cost c <= b takes c·d <= b·d units), gcra's b·t (a call takes
// c·t <= b·t) or leaky_bucket's k·t (a call of cost c <= k+1 ends
// (c−1)·t <= k·t after its first turn) exceeds 2^62. The Redis store
// needs more: its scripts compute in doubles, exact up to 2^53, so it
// also requires CheckExact.
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
	if p.over(maxSafe) {
		return p, ErrTooLarge
	}
	p.Capacity = p.Burst * p.Period
	p.BurstSpan = p.Burst * p.Interval
	p.MaxCost = a.CostBound.Of(&p)
	return p, nil
}

// maxSafe bounds the products Derive accepts: the arithmetic adds and
// subtracts a few of them to times, which stays far from 2^63.
const maxSafe = 1 << 62

// CheckExact returns ErrTooLarge unless every integer a decision of p
// computes is below 2^53 (MaxExact), as the Redis store's Lua scripts
// need: the duration in µs, and token_bucket's b·d, gcra's b·t and
// leaky_bucket's k·t (the largest units one call may take, and so every
// level, span and sum). Times themselves (µs since 1970, about 2^50.6
// today) stay below it for centuries.
func (p *Params) CheckExact() error {
	if p.Period > MaxExact || p.over(MaxExact) {
		return ErrTooLarge
	}
	return nil
}

// over reports whether a product p's algorithm computes exceeds bound:
// token_bucket's b·d (its units), gcra's b·t, leaky_bucket's k·t.
func (p *Params) over(bound uint64) bool {
	a := p.Algo
	switch {
	case a.UsesBurst && a.Words == 2: // token_bucket: units of 1/d token
		return mulOver(p.Burst, p.Period, bound)
	case a.UsesBurst:
		return mulOver(p.Burst, p.Interval, bound)
	case a.UsesBucket:
		return mulOver(p.Bucket, p.Interval, bound)
	}
	return false
}

// mulOver reports whether a·b (a, b >= 0) exceeds bound.
func mulOver(a, b int64, bound uint64) bool {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return hi != 0 || lo > bound
}
