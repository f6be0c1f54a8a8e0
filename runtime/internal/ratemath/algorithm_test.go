package ratemath

import (
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// subject runs one algorithm on one key's state, as the memory store does,
// including forgetting the state once its ttl has passed.
type subject struct {
	p   Params
	st  State
	ok  bool
	exp int64
	log Log
}

func (s *subject) clone() *subject {
	c := *s
	c.log.buf = append([]logEntry(nil), s.log.buf...)
	return &c
}

func (s *subject) decide(now, maxWait int64) Outcome { return s.decideCost(now, maxWait, 1) }

func (s *subject) decideCost(now, maxWait, cost int64) Outcome {
	if s.p.Algo.Words == 0 {
		o := s.p.Algo.DecideLog(&s.p, &s.log, now, cost)
		if o.Allowed {
			s.log.Push(now, cost, s.p.Quota)
		}
		return o
	}
	fresh := !s.ok || now >= s.exp
	st, o := s.p.Algo.Decide(&s.p, s.st, fresh, now, maxWait, cost)
	if o.Allowed {
		s.st, s.ok, s.exp = st, true, now+o.TTL
	}
	return o
}

// refModel is a brute-force model of one algorithm.
type refModel interface {
	decide(now, maxWait int64) Outcome // only allowed, delay, retryAfter, reason
}

// fixedRef keeps every admitted time and counts those in now's window.
type fixedRef struct {
	p   Params
	log []int64
}

func (m *fixedRef) decide(now, _ int64) Outcome {
	w := now - FloorMod(now, m.p.Period)
	n := int64(0)
	for _, t := range m.log {
		if t >= w && t < w+m.p.Period {
			n++
		}
	}
	if n >= m.p.Quota {
		return Outcome{Reason: ReasonQuota, RetryAfter: w + m.p.Period - now}
	}
	m.log = append(m.log, now)
	return Outcome{Allowed: true}
}

// slidingRef keeps every admitted time; RetryAfter is found by trying every
// later microsecond.
type slidingRef struct {
	p   Params
	log []int64
}

func (m *slidingRef) count(at int64) int64 {
	n := int64(0)
	for _, t := range m.log {
		if t > at-m.p.Period && t <= at {
			n++
		}
	}
	return n
}

func (m *slidingRef) decide(now, _ int64) Outcome {
	if m.count(now) < m.p.Quota {
		m.log = append(m.log, now)
		return Outcome{Allowed: true}
	}
	ra := int64(1)
	for m.count(now+ra) >= m.p.Quota {
		ra++
	}
	return Outcome{Reason: ReasonQuota, RetryAfter: ra}
}

// tokenRef counts tokens as exact rationals.
type tokenRef struct {
	p      Params
	tokens *big.Rat
	last   int64
}

func (m *tokenRef) decide(now, maxWait int64) Outcome {
	b := new(big.Rat).SetInt64(m.p.Burst)
	if m.tokens == nil {
		m.tokens, m.last = new(big.Rat).Set(b), now
	}
	if now > m.last {
		add := big.NewRat((now-m.last)*m.p.Quota, m.p.Period)
		m.tokens.Add(m.tokens, add)
		if m.tokens.Cmp(b) > 0 {
			m.tokens.Set(b)
		}
		m.last = now
	}
	one := big.NewRat(1, 1)
	var delay int64
	if m.tokens.Cmp(one) < 0 {
		need := new(big.Rat).Sub(one, m.tokens)
		need.Mul(need, big.NewRat(m.p.Period, m.p.Quota)) // µs
		delay = ceilRat(need)
		if maxWait >= 0 && delay > maxWait {
			return Outcome{Reason: ReasonQuota, RetryAfter: delay}
		}
	}
	m.tokens.Sub(m.tokens, one)
	return Outcome{Allowed: true, Delay: delay}
}

func ceilRat(r *big.Rat) int64 {
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if rem.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// gcraRef is ITU-T I.371's virtual scheduling algorithm with limit
// L = (B−1)·T, extended with reservations up to maxWait.
type gcraRef struct {
	p   Params
	tat int64
	set bool
}

func (m *gcraRef) decide(now, maxWait int64) Outcome {
	if !m.set || m.tat < now {
		m.tat, m.set = now, true
	}
	l := (m.p.Burst - 1) * m.p.Interval
	wait := m.tat - l - now
	if wait > 0 && maxWait >= 0 && wait > maxWait {
		return Outcome{Reason: ReasonQuota, RetryAfter: wait}
	}
	m.tat += m.p.Interval
	return Outcome{Allowed: true, Delay: max(wait, 0)}
}

// leakyRef keeps the run time of every admitted call.
type leakyRef struct {
	p    Params
	runs []int64
}

func (m *leakyRef) decide(now, maxWait int64) Outcome {
	next := now
	if n := len(m.runs); n > 0 {
		next = max(now, m.runs[n-1]+m.p.Interval)
	}
	full := func(at int64) bool {
		ahead := int64(0)
		for _, r := range m.runs {
			if r > at {
				ahead++
			}
		}
		nx := at
		if n := len(m.runs); n > 0 {
			nx = max(at, m.runs[n-1]+m.p.Interval)
		}
		return nx != at && ahead >= m.p.Bucket
	}
	if full(now) {
		ra := int64(1)
		for full(now + ra) {
			ra++
		}
		return Outcome{Reason: ReasonQuota, RetryAfter: ra}
	}
	if maxWait >= 0 && next-now > maxWait {
		return Outcome{Reason: ReasonDeadline, RetryAfter: next - now}
	}
	m.runs = append(m.runs, next)
	return Outcome{Allowed: true, Delay: next - now}
}

func newRef(p Params) refModel {
	switch p.Algo.ID {
	case FixedWindow:
		return &fixedRef{p: p}
	case SlidingWindow:
		return &slidingRef{p: p}
	case TokenBucket:
		return &tokenRef{p: p}
	case GCRA:
		return &gcraRef{p: p}
	case LeakyBucket:
		return &leakyRef{p: p}
	}
	panic("no reference model of " + p.Algo.Name)
}

// randomParams returns small parameters so that traces hit every branch.
func randomParams(rng *rand.Rand, alg uint8) Params {
	q, d := 1+rng.Int64N(5), timeDur(1000*(1+rng.Int64N(40)))
	b, k := rng.Int64N(6), rng.Int64N(4)
	if alg == GCRA && rng.IntN(2) == 0 { // also the case where Q divides D
		d = 1000 * timeDur(q*(1+rng.Int64N(8)))
	}
	return derive(alg, q, d, b, k)
}

// The algorithms' IDs, as runtime names them.
const (
	FixedWindow uint8 = iota + 1
	SlidingWindow
	TokenBucket
	GCRA
	LeakyBucket
)

// name is alg's name, for subtests and messages.
func name(alg uint8) string { return MustLookup(alg).Name }

// derive is Derive for parameters known to be valid.
func derive(alg uint8, q int64, d time.Duration, b, k int64) Params {
	p, err := Derive(alg, q, d, b, k)
	if err != nil {
		panic(err)
	}
	return p
}

// TestAlgorithmsMatchReferenceModels runs random traces through every
// algorithm and its brute-force model, and checks, at each step, the
// decision, that Remaining is the number of further calls admitted at once,
// that RetryAfter is exact to the microsecond, and that a state is fresh
// again at its ttl.
func TestAlgorithmsMatchReferenceModels(t *testing.T) {
	for i := range Algorithms {
		alg := Algorithms[i].ID
		t.Run(name(alg), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(alg)))
			for trace := 0; trace < 300; trace++ {
				p := randomParams(rng, alg)
				s, ref := &subject{p: p}, newRef(p)
				now := int64(1_700_000_000_000_000) + rng.Int64N(1_000_000)
				for step := 0; step < 60; step++ {
					now += rng.Int64N(3 * p.Interval)
					maxWait := randomWait(rng, p)
					before := s.clone()
					got, want := s.decide(now, maxWait), ref.decide(now, maxWait)
					if got.Allowed != want.Allowed || got.Delay != want.Delay ||
						got.RetryAfter != want.RetryAfter || (!got.Allowed && got.Reason != want.Reason) {
						t.Fatalf("trace %d step %d %+v now=%d maxWait=%d: got %+v, model %+v",
							trace, step, p, now, maxWait, got, want)
					}
					checkRemaining(t, s, now, got)
					if !got.Allowed {
						checkRetryAfter(t, before, now, got)
					} else {
						checkTTL(t, s, now, got.TTL)
					}
				}
			}
		})
	}
}

type timeDur = time.Duration

func randomWait(rng *rand.Rand, p Params) int64 {
	if p.Algo.ID == LeakyBucket && rng.IntN(3) == 0 {
		return -1
	}
	if rng.IntN(2) == 0 {
		return 0
	}
	return rng.Int64N(3 * p.Interval)
}

// immediateWait is the wait bound under which "admitted at once" is judged.
func immediateWait(p Params) int64 {
	if p.Algo.ID == LeakyBucket {
		return -1 // remaining counts free places in the bucket
	}
	return 0
}

func checkRemaining(t *testing.T, s *subject, now int64, o Outcome) {
	t.Helper()
	if !o.Allowed {
		return
	}
	c, n := s.clone(), int64(0)
	for n <= o.Remaining()+1 && c.decide(now, immediateWait(s.p)).Allowed {
		n++
	}
	if n != o.Remaining() {
		t.Fatalf("%+v now=%d: remaining %d, but %d more calls are admitted", s.p, now, o.Remaining(), n)
	}
}

func checkRetryAfter(t *testing.T, before *subject, now int64, o Outcome) {
	t.Helper()
	if o.RetryAfter <= 0 {
		t.Fatalf("%+v: rejected with RetryAfter %d", before.p, o.RetryAfter)
	}
	w := int64(0)
	if before.p.Algo.ID == LeakyBucket && o.Reason == ReasonQuota {
		w = -1
	}
	if before.clone().decide(now+o.RetryAfter-1, w).Allowed {
		t.Fatalf("%+v now=%d: admitted before RetryAfter %d", before.p, now, o.RetryAfter)
	}
	if !before.clone().decide(now+o.RetryAfter, w).Allowed {
		t.Fatalf("%+v now=%d: still rejected at RetryAfter %d", before.p, now, o.RetryAfter)
	}
}

// checkTTL checks that at now+ttl the state decides like a fresh one.
func checkTTL(t *testing.T, s *subject, now, ttl int64) {
	t.Helper()
	at := now + ttl
	for _, w := range []int64{0, -1, s.p.Interval} {
		a, f := s.clone(), &subject{p: s.p}
		a.ok = true
		a.exp = MaxInt64 // never forget: the state itself must be fresh
		for i := 0; i < 3; i++ {
			if x, y := a.decide(at, w), f.decide(at, w); x != y {
				t.Fatalf("%+v now=%d: State at ttl %d decides %+v, fresh decides %+v", s.p, now, ttl, x, y)
			}
		}
	}
}

// TestAlgorithmBounds checks the exact bounds of docs/spec.md on long random
// traces: fixed_window per aligned window, sliding_window per any interval
// of length d, token_bucket and gcra at most b + elapsed·rate in any
// interval.
func TestAlgorithmBounds(t *testing.T) {
	for _, alg := range []uint8{FixedWindow, SlidingWindow, TokenBucket, GCRA} {
		t.Run(name(alg), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(alg)))
			for trace := 0; trace < 40; trace++ {
				p := randomParams(rng, alg)
				s := &subject{p: p}
				now := rng.Int64N(1_000_000)
				var admitted []int64
				for step := 0; step < 400; step++ {
					now += rng.Int64N(p.Interval)
					if s.decide(now, 0).Allowed {
						admitted = append(admitted, now)
					}
				}
				checkBound(t, p, admitted)
			}
		})
	}
}

func checkBound(t *testing.T, p Params, ts []int64) {
	t.Helper()
	for i := range ts {
		for j := i; j < len(ts); j++ {
			n := int64(j - i + 1) // calls admitted in [ts[i], ts[j]]
			switch p.Algo.ID {
			case FixedWindow:
				if ts[i]-FloorMod(ts[i], p.Period) == ts[j]-FloorMod(ts[j], p.Period) && n > p.Quota {
					t.Fatalf("%+v: %d calls in one window", p, n)
				}
			case SlidingWindow:
				if ts[j]-ts[i] < p.Period && n > p.Quota {
					t.Fatalf("%+v: %d calls within %dµs", p, n, ts[j]-ts[i])
				}
			default:
				// n ≤ b + elapsed·q/d, in integers.
				if n*p.Period > p.Burst*p.Period+(ts[j]-ts[i])*p.Quota {
					t.Fatalf("%+v: %d calls within %dµs", p, n, ts[j]-ts[i])
				}
			}
		}
	}
}

// TestGCRAEqualsTokenBucket checks that gcra admits exactly what
// token_bucket admits when q divides d.
func TestGCRAEqualsTokenBucket(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for trace := 0; trace < 200; trace++ {
		q := 1 + rng.Int64N(5)
		d, b := 1000*timeDur(q*(1+rng.Int64N(8))), rng.Int64N(6)
		pg, pt := derive(GCRA, q, d, b, 0), derive(TokenBucket, q, d, b, 0)
		g, tb := &subject{p: pg}, &subject{p: pt}
		now := rng.Int64N(1 << 40)
		for step := 0; step < 100; step++ {
			now += rng.Int64N(2 * pg.Interval)
			w := int64(0)
			if rng.IntN(2) == 0 {
				w = rng.Int64N(2 * pg.Interval)
			}
			a, b := g.decide(now, w), tb.decide(now, w)
			if a.Allowed != b.Allowed || a.Delay != b.Delay || a.RetryAfter != b.RetryAfter || a.Remaining() != b.Remaining() {
				t.Fatalf("%+v step %d: gcra %+v, token_bucket %+v", pg, step, a, b)
			}
		}
	}
}

// TestCancelGivesBack checks that cancelling a reservation restores what
// the next caller sees.
func TestCancelGivesBack(t *testing.T) {
	for _, alg := range []uint8{TokenBucket, GCRA, LeakyBucket} {
		p := derive(alg, 1, time.Millisecond, 1, 2)
		s := &subject{p: p}
		now := int64(1_000_000)
		if o := s.decide(now, -1); !o.Allowed || o.Delay != 0 {
			t.Fatalf("%s: first call %+v", name(alg), o)
		}
		base := s.clone()
		if o := s.decide(now, -1); !o.Allowed || o.Delay != 1000 {
			t.Fatalf("%s: second call %+v", name(alg), o)
		}
		var ttl int64
		s.st, ttl = p.Algo.Cancel(&p, s.st, now, 1)
		s.exp = now + ttl
		if x, y := s.decide(now, -1), base.decide(now, -1); x != y {
			t.Fatalf("%s: after cancel %+v, without the reservation %+v", name(alg), x, y)
		}
	}
}

func TestSlidingWindowLogGrowsAndWraps(t *testing.T) {
	p := derive(SlidingWindow, 37, 100, 0, 0)
	s := &subject{p: p}
	ref := &slidingRef{p: p}
	for now := int64(0); now < 5000; now += 1 {
		if a, b := s.decide(now, 0), ref.decide(now, 0); a.Allowed != b.Allowed || a.RetryAfter != b.RetryAfter {
			t.Fatalf("now %d: %+v vs model %+v", now, a, b)
		}
	}
	if s.log.n > 37 || len(s.log.buf) > 64 {
		t.Fatalf("log holds %d entries in %d slots", s.log.n, len(s.log.buf))
	}
}
