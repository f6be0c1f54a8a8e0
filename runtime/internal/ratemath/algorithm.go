// Package ratemath is the rate algorithms' pure arithmetic, written once
// for every store: each algorithm's decision and cancel as a pure function
// of (state, now, parameters) over integer microseconds, exactly as
// docs/design.md states them; the derivation and validation of a limit's
// parameters (Derive); and the one table of algorithms (Algorithms), from
// which runtime.Algorithm's names, the memory store, the Redis store's
// scripts (each algorithm's Lua twin, lua/<Name>.lua, mirrors its Go file
// line by line), the generator's rate policies and the conformance suite
// derive their lists.
//
// Nothing here locks, allocates on a decision, or keeps state: the callers
// own the states and lock them.
//
// Adding an algorithm: its Go file here (decide, and cancel if it
// reserves), its Lua file in runtime/redisstore/lua, one row in
// Algorithms, and its exported runtime.Algorithm constant; docs/design.md
// has the checklist.
package ratemath

import "strconv"

// Algorithm describes one rate algorithm: everything a store, the
// generator or a test needs to know about it besides its arithmetic, which
// Decide (or DecideLog), Cancel, Undo and FreshAt hold.
type Algorithm struct {
	ID     uint8  // its runtime.Algorithm value, and the alg word the Redis scripts read
	Name   string // its policy name (//throttle:Name), runtime.Algorithm's String, and its Lua file lua/Name.lua
	GoName string // its runtime.Algorithm constant's name

	// Words is how many integers its State holds (1 or 2); 0 means its
	// state is a Log (sliding_window), decided by DecideLog.
	Words int
	// Reserves: it admits a call with a Delay, a reservation of a future
	// turn that Cancel gives back; wait= bounds the Delay. Otherwise wait=
	// is a retry loop (sleep RetryAfter, decide again).
	Reserves bool
	// Paces: every admitted call may wait its turn, so it waits without
	// wait= (unbounded but for the context's deadline) and rejects for
	// ReasonDeadline itself (leaky_bucket).
	Paces bool
	// UsesBurst and UsesBucket say which optional parameters it reads.
	UsesBurst, UsesBucket bool
	// CostBound is the parameter that bounds a call's cost: a call of a
	// larger cost can never be admitted (ReasonCost). Derive turns it into
	// Params.MaxCost; the Redis scripts read it as CostBound.Lua.
	CostBound CostBound

	// Decide decides one call of cost units on st (Words > 0), fresh
	// when the key has no state; maxWait < 0 means unbounded. It returns
	// the state to commit if the outcome is allowed. cost is >= 1: the
	// stores skip a limit whose cost is 0 (admitted, nothing read or
	// written). A cost above p.MaxCost is rejected at once for ReasonCost,
	// with RetryAfter 0 and the state unchanged, whatever maxWait.
	Decide func(p *Params, st State, fresh bool, now, maxWait, cost int64) (State, Outcome)
	// DecideLog decides one call of cost units on l (Words == 0). It
	// prunes l, which never changes a decision, but does not record the
	// call: the caller commits an admitted call with l.Push(now, cost,
	// p.Quota).
	DecideLog func(p *Params, l *Log, now, cost int64) Outcome
	// Cancel (Reserves) gives back the reservation of one admitted call of
	// cost units and returns the new state and its TTL.
	Cancel func(p *Params, st State, now, cost int64) (State, int64)
	// Undo (Words > 0, not Reserves) takes back one admission of cost
	// units decided at time at, when a later part of an all-or-nothing
	// decision rejected the call. (A Log's is Log.Remove; a reserving
	// algorithm's is Cancel.)
	Undo func(p *Params, st State, at, cost int64) State
	// FreshAt (Words == 1) is the time from which st decides like a fresh
	// state, so a store may forget it.
	FreshAt func(p *Params, st State) int64
}

// Algorithms is the one list of rate algorithms, in ID order from 1: every
// other list derives from it. Do not modify it.
var Algorithms = []Algorithm{
	{ID: 1, Name: "fixed_window", GoName: "FixedWindow", Words: 2, CostBound: BoundQuota,
		Decide: fixedWindow, Undo: fixedWindowUndo},
	{ID: 2, Name: "sliding_window", GoName: "SlidingWindow", Words: 0, CostBound: BoundQuota,
		DecideLog: slidingWindow},
	{ID: 3, Name: "token_bucket", GoName: "TokenBucket", Words: 2, Reserves: true, UsesBurst: true, CostBound: BoundBurst,
		Decide: tokenBucket, Cancel: tokenBucketCancel},
	{ID: 4, Name: "gcra", GoName: "GCRA", Words: 1, Reserves: true, UsesBurst: true, CostBound: BoundBurst,
		Decide: gcra, Cancel: gcraCancel, FreshAt: gcraFreshAt},
	{ID: 5, Name: "leaky_bucket", GoName: "LeakyBucket", Words: 1, Reserves: true, Paces: true, UsesBucket: true, CostBound: BoundBucket,
		Decide: leakyBucket, Cancel: leakyBucketCancel, FreshAt: leakyBucketFreshAt},
}

// Lookup returns the algorithm whose ID is id, or nil.
func Lookup(id uint8) *Algorithm {
	if id == 0 || int(id) > len(Algorithms) {
		return nil
	}
	return &Algorithms[id-1]
}

// MustLookup returns the algorithm whose ID is id, and panics for an
// unknown one: no store falls through to another algorithm.
func MustLookup(id uint8) *Algorithm {
	a := Lookup(id)
	if a == nil {
		panic("ratemath: unknown algorithm " + strconv.Itoa(int(id)))
	}
	return a
}

// CostBound names the parameter that bounds the cost of one call: the most
// units a limit can ever admit at once. It is written once, here, for both
// stores: Derive sets Params.MaxCost from it, and the Redis scripts test
// the expression Lua returns.
type CostBound uint8

// The cost bounds of the algorithms.
const (
	BoundQuota  CostBound = iota + 1 // q: the windows admit at most quota units in one
	BoundBurst                       // b: token_bucket and gcra admit at most burst units at once
	BoundBucket                      // k + 1: leaky_bucket's places plus the turn that runs at once
)

// Of returns the bound for p's parameters.
func (b CostBound) Of(p *Params) int64 {
	switch b {
	case BoundQuota:
		return p.Quota
	case BoundBurst:
		return p.Burst
	case BoundBucket:
		return p.Bucket + 1
	}
	panic("ratemath: unknown cost bound " + strconv.Itoa(int(b)))
}

// Lua returns the bound as a Lua expression over the scripts' words
// (q, b, k: see Params).
func (b CostBound) Lua() string {
	switch b {
	case BoundQuota:
		return "q"
	case BoundBurst:
		return "b"
	case BoundBucket:
		return "(k + 1)"
	}
	panic("ratemath: unknown cost bound " + strconv.Itoa(int(b)))
}
