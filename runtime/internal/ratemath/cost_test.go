package ratemath

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestCostGolden checks each algorithm's arithmetic with costs on fake
// times, against numbers worked out by hand from docs/design.md.
func TestCostGolden(t *testing.T) {
	type call struct {
		now, maxWait, cost int64
		ok                 bool
		reason             uint8
		ra, delay, rem     int64
	}
	const s = 1_000_000
	cases := []struct {
		p     Params
		calls []call
	}{
		{derive(FixedWindow, 5, time.Minute, 0, 0), []call{
			{10 * s, 0, 3, true, 0, 0, 0, 2}, {20 * s, 0, 3, false, ReasonQuota, 40 * s, 0, 0},
			{20 * s, 0, 2, true, 0, 0, 0, 0}, {20 * s, -1, 6, false, ReasonCost, 0, 0, 0}, {60 * s, 0, 5, true, 0, 0, 0, 0}}},
		{derive(SlidingWindow, 5, time.Minute, 0, 0), []call{
			{0, 0, 2, true, 0, 0, 0, 3}, {10 * s, 0, 3, true, 0, 0, 0, 0}, {20 * s, 0, 1, false, ReasonQuota, 40 * s, 0, 0},
			{20 * s, 0, 3, false, ReasonQuota, 50 * s, 0, 0}, {60 * s, 0, 2, true, 0, 0, 0, 0}, {60 * s, 0, 6, false, ReasonCost, 0, 0, 0},
			{70*s - 1, 0, 1, false, ReasonQuota, 1, 0, 0}, {70 * s, 0, 3, true, 0, 0, 0, 0}}},
		{derive(TokenBucket, 2, time.Minute, 4, 0), []call{
			{0, 0, 3, true, 0, 0, 0, 1}, {0, 0, 2, false, ReasonQuota, 30 * s, 0, 0}, {0, 30 * s, 2, true, 0, 0, 30 * s, 0},
			{0, -1, 5, false, ReasonCost, 0, 0, 0}}},
		{derive(GCRA, 2, time.Minute, 4, 0), []call{
			{0, 0, 3, true, 0, 0, 0, 1}, {0, 0, 2, false, ReasonQuota, 30 * s, 0, 0}, {0, 30 * s, 2, true, 0, 0, 30 * s, 0},
			{0, -1, 5, false, ReasonCost, 0, 0, 0}}},
		{derive(LeakyBucket, 1, time.Minute, 0, 2), []call{
			{0, -1, 2, true, 0, 0, 0, 1}, {0, -1, 2, false, ReasonQuota, 60 * s, 0, 0}, {0, -1, 1, true, 0, 0, 120 * s, 0},
			{0, -1, 4, false, ReasonCost, 0, 0, 0}, {0, -1, 3, false, ReasonQuota, 180 * s, 0, 0},
			{30 * s, 0, 1, false, ReasonQuota, 30 * s, 0, 0}, {60 * s, 0, 1, false, ReasonDeadline, 120 * s, 0, 0}}},
	}
	for _, c := range cases {
		sub := &subject{p: c.p}
		for i, w := range c.calls {
			before := sub.clone()
			o := sub.decideCost(w.now, w.maxWait, w.cost)
			if o.Allowed != w.ok || (!o.Allowed && (o.Reason != w.reason || o.RetryAfter != w.ra)) ||
				(o.Allowed && (o.Delay != w.delay || o.Remaining() != w.rem)) {
				t.Fatalf("%s call %d %+v: got %+v", c.p.Algo.Name, i, w, o)
			}
			if o.Reason == ReasonCost && (sub.st != before.st || sub.log.sum != before.log.sum) {
				t.Fatalf("%s call %d: a cost rejection changed the state", c.p.Algo.Name, i)
			}
		}
	}
}

// TestCancelCostGivesBack: cancelling a reservation of any cost restores
// what the next caller sees, whatever its cost.
func TestCancelCostGivesBack(t *testing.T) {
	for _, alg := range []uint8{TokenBucket, GCRA, LeakyBucket} {
		p := derive(alg, 1, time.Millisecond, 3, 2)
		for cost := int64(1); cost <= p.MaxCost; cost++ {
			s := &subject{p: p}
			now := int64(1_000_000)
			s.decideCost(now, -1, p.MaxCost) // empty: the next call waits
			base := s.clone()
			o := s.decideCost(now, -1, cost)
			if !o.Allowed && alg == LeakyBucket {
				continue // no room for so many in its bucket
			}
			if !o.Allowed || o.Delay == 0 {
				t.Fatalf("%s cost %d: %+v", name(alg), cost, o)
			}
			var ttl int64
			s.st, ttl = p.Algo.Cancel(&p, s.st, now, cost)
			s.exp = now + ttl
			for c := int64(1); c <= p.MaxCost; c++ {
				if x, y := s.clone().decideCost(now, -1, c), base.clone().decideCost(now, -1, c); x != y {
					t.Fatalf("%s cost %d: after cancel %+v, without the reservation %+v", name(alg), cost, x, y)
				}
			}
		}
	}
}

// TestCostBoundsAndRetryAfter runs long random traces of calls with random
// costs (and waits) through every algorithm and checks the exact bounds in
// units, that a rejection's RetryAfter is exact (at now+RetryAfter the same
// call is admitted at once, one µs earlier it is not), and that a cost
// above the bound is rejected for ReasonCost, RetryAfter 0, state unchanged.
func TestCostBoundsAndRetryAfter(t *testing.T) {
	for i := range Algorithms {
		alg := Algorithms[i].ID
		t.Run(name(alg), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(alg)))
			for trace := 0; trace < 60; trace++ {
				p := randomParams(rng, alg)
				s := &subject{p: p}
				now := int64(1_700_000_000_000_000) + rng.Int64N(1_000_000)
				var runs []run
				for step := 0; step < 200; step++ {
					now += rng.Int64N(2 * p.Interval)
					cost := 1 + rng.Int64N(p.MaxCost+1) // sometimes p.MaxCost+1
					maxWait := randomWait(rng, p)
					if alg == TokenBucket {
						// Its reservations round each delay up to a whole µs
						// from a fractional level: two may run closer than
						// d/q. Its bound holds for calls admitted at once.
						maxWait = 0
					}
					before := s.clone()
					o := s.decideCost(now, maxWait, cost)
					switch {
					case cost > p.MaxCost:
						if o.Allowed || o.Reason != ReasonCost || o.RetryAfter != 0 || s.st != before.st || s.log.sum != before.log.sum {
							t.Fatalf("%+v cost %d: %+v", p, cost, o)
						}
					case o.Allowed:
						runs = append(runs, run{now, now + o.Delay, cost})
						if alg == LeakyBucket {
							checkPending(t, p, runs, now)
						}
					case o.Reason == ReasonQuota:
						checkCostRetryAfter(t, before, now, cost, o)
					}
				}
				checkUnitBound(t, p, runs)
			}
		})
	}
}

// run is an admitted call: decided at, runs at (at + Delay), its units.
type run struct{ at, runs, units int64 }

func checkCostRetryAfter(t *testing.T, before *subject, now, cost int64, o Outcome) {
	t.Helper()
	w := int64(0)
	if before.p.Algo.ID == LeakyBucket {
		w = -1
	}
	if o.RetryAfter <= 0 {
		t.Fatalf("%+v cost %d: RetryAfter %d", before.p, cost, o.RetryAfter)
	}
	if x := before.clone().decideCost(now+o.RetryAfter-1, w, cost); x.Allowed && (w < 0 || x.Delay == 0) {
		if before.p.Algo.ID != LeakyBucket || x.Reason != ReasonQuota {
			t.Fatalf("%+v now=%d cost %d: admitted %+v before RetryAfter %d", before.p, now, cost, x, o.RetryAfter)
		}
	}
	if x := before.clone().decideCost(now+o.RetryAfter, w, cost); !x.Allowed {
		t.Fatalf("%+v now=%d cost %d: still rejected %+v at RetryAfter %d", before.p, now, cost, x, o.RetryAfter)
	}
}

// checkPending: leaky_bucket never has more than bucket+1 units whose
// turns are at or after now (the one running now and bucket waiting).
func checkPending(t *testing.T, p Params, runs []run, now int64) {
	t.Helper()
	n := int64(0)
	for _, r := range runs {
		for i := int64(0); i < r.units; i++ {
			if r.runs+i*p.Interval >= now {
				n++
			}
		}
	}
	if n > p.Bucket+1 {
		t.Fatalf("%+v at %d: %d units pending", p, now, n)
	}
}

// checkUnitBound checks the bounds of docs/spec.md in units on the admitted
// calls: fixed_window at most q units per window, sliding_window at most q
// in any interval of length d, token_bucket and gcra at most
// b + elapsed·q/d units run in any [t0, t1], leaky_bucket turns t apart.
func checkUnitBound(t *testing.T, p Params, runs []run) {
	t.Helper()
	switch p.Algo.ID {
	case FixedWindow, SlidingWindow:
		for i := range runs {
			n := int64(0)
			for j := i; j < len(runs); j++ {
				n += runs[j].units
				same := runs[i].at-FloorMod(runs[i].at, p.Period) == runs[j].at-FloorMod(runs[j].at, p.Period)
				if p.Algo.ID == SlidingWindow {
					same = runs[j].at-runs[i].at < p.Period
				}
				if same && n > p.Quota {
					t.Fatalf("%+v: %d units in %dµs", p, n, runs[j].at-runs[i].at)
				}
			}
		}
	case TokenBucket, GCRA:
		rs := append([]run(nil), runs...)
		sort.Slice(rs, func(i, j int) bool { return rs[i].runs < rs[j].runs })
		for i := range rs {
			n := int64(0)
			for j := i; j < len(rs); j++ {
				n += rs[j].units
				if n*p.Period > p.Burst*p.Period+(rs[j].runs-rs[i].runs)*p.Quota {
					t.Fatalf("%+v: %d units within %dµs", p, n, rs[j].runs-rs[i].runs)
				}
			}
		}
	case LeakyBucket:
		var turns []int64
		for _, r := range runs {
			for i := int64(0); i < r.units; i++ {
				turns = append(turns, r.runs+i*p.Interval)
			}
		}
		sort.Slice(turns, func(i, j int) bool { return turns[i] < turns[j] })
		for i := 1; i < len(turns); i++ {
			if turns[i]-turns[i-1] < p.Interval {
				t.Fatalf("%+v: turns %d and %d closer than %d", p, turns[i-1], turns[i], p.Interval)
			}
		}
	}
}
