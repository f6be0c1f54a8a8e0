package runtime

import (
	"math/big"
	"math/rand/v2"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// subject runs one algorithm on one key's state, as the memory store does,
// including forgetting the state once its ttl has passed.
type subject struct {
	p   params
	st  state
	ok  bool
	exp int64
	log swLog
}

func (s *subject) clone() *subject {
	c := *s
	c.log.buf = append([]int64(nil), s.log.buf...)
	return &c
}

func (s *subject) decide(now, maxWait int64) outcome {
	if s.p.alg == SlidingWindow {
		o := slidingWindow(&s.p, &s.log, now)
		if o.allowed {
			s.log.push(now, s.p.q)
		}
		return o
	}
	fresh := !s.ok || now >= s.exp
	st, o := decide(&s.p, s.st, fresh, now, maxWait)
	if o.allowed {
		s.st, s.ok, s.exp = st, true, now+o.ttl
	}
	return o
}

// refModel is a brute-force model of one algorithm.
type refModel interface {
	decide(now, maxWait int64) outcome // only allowed, delay, retryAfter, reason
}

// fixedRef keeps every admitted time and counts those in now's window.
type fixedRef struct {
	p   params
	log []int64
}

func (m *fixedRef) decide(now, _ int64) outcome {
	w := now - floorMod(now, m.p.d)
	n := int64(0)
	for _, t := range m.log {
		if t >= w && t < w+m.p.d {
			n++
		}
	}
	if n >= m.p.q {
		return outcome{reason: ReasonQuota, retryAfter: w + m.p.d - now}
	}
	m.log = append(m.log, now)
	return outcome{allowed: true}
}

// slidingRef keeps every admitted time; RetryAfter is found by trying every
// later microsecond.
type slidingRef struct {
	p   params
	log []int64
}

func (m *slidingRef) count(at int64) int64 {
	n := int64(0)
	for _, t := range m.log {
		if t > at-m.p.d && t <= at {
			n++
		}
	}
	return n
}

func (m *slidingRef) decide(now, _ int64) outcome {
	if m.count(now) < m.p.q {
		m.log = append(m.log, now)
		return outcome{allowed: true}
	}
	ra := int64(1)
	for m.count(now+ra) >= m.p.q {
		ra++
	}
	return outcome{reason: ReasonQuota, retryAfter: ra}
}

// tokenRef counts tokens as exact rationals.
type tokenRef struct {
	p      params
	tokens *big.Rat
	last   int64
}

func (m *tokenRef) decide(now, maxWait int64) outcome {
	b := new(big.Rat).SetInt64(m.p.b)
	if m.tokens == nil {
		m.tokens, m.last = new(big.Rat).Set(b), now
	}
	if now > m.last {
		add := big.NewRat((now-m.last)*m.p.q, m.p.d)
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
		need.Mul(need, big.NewRat(m.p.d, m.p.q)) // µs
		delay = ceilRat(need)
		if maxWait >= 0 && delay > maxWait {
			return outcome{reason: ReasonQuota, retryAfter: delay}
		}
	}
	m.tokens.Sub(m.tokens, one)
	return outcome{allowed: true, delay: delay}
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
	p   params
	tat int64
	set bool
}

func (m *gcraRef) decide(now, maxWait int64) outcome {
	if !m.set || m.tat < now {
		m.tat, m.set = now, true
	}
	l := (m.p.b - 1) * m.p.t
	wait := m.tat - l - now
	if wait > 0 && maxWait >= 0 && wait > maxWait {
		return outcome{reason: ReasonQuota, retryAfter: wait}
	}
	m.tat += m.p.t
	return outcome{allowed: true, delay: max(wait, 0)}
}

// leakyRef keeps the run time of every admitted call.
type leakyRef struct {
	p    params
	runs []int64
}

func (m *leakyRef) decide(now, maxWait int64) outcome {
	next := now
	if n := len(m.runs); n > 0 {
		next = max(now, m.runs[n-1]+m.p.t)
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
			nx = max(at, m.runs[n-1]+m.p.t)
		}
		return nx != at && ahead >= m.p.k
	}
	if full(now) {
		ra := int64(1)
		for full(now + ra) {
			ra++
		}
		return outcome{reason: ReasonQuota, retryAfter: ra}
	}
	if maxWait >= 0 && next-now > maxWait {
		return outcome{reason: ReasonDeadline, retryAfter: next - now}
	}
	m.runs = append(m.runs, next)
	return outcome{allowed: true, delay: next - now}
}

func newRef(p params) refModel {
	switch p.alg {
	case FixedWindow:
		return &fixedRef{p: p}
	case SlidingWindow:
		return &slidingRef{p: p}
	case TokenBucket:
		return &tokenRef{p: p}
	case GCRA:
		return &gcraRef{p: p}
	default:
		return &leakyRef{p: p}
	}
}

// randomParams returns small parameters so that traces hit every branch.
func randomParams(rng *rand.Rand, alg Algorithm) params {
	l := &Limit{Algorithm: alg, Quota: 1 + rng.Int64N(5), Duration: timeDur(1000 * (1 + rng.Int64N(40))),
		Burst: rng.Int64N(6), Bucket: rng.Int64N(4)}
	if alg == GCRA && rng.IntN(2) == 0 { // also the case where Q divides D
		l.Duration = 1000 * timeDur(l.Quota*(1+rng.Int64N(8)))
	}
	p, ok := newParams(l)
	if !ok {
		panic("bad params")
	}
	return p
}

var algorithms = []Algorithm{FixedWindow, SlidingWindow, TokenBucket, GCRA, LeakyBucket}

// TestAlgorithmsMatchReferenceModels runs random traces through every
// algorithm and its brute-force model, and checks, at each step, the
// decision, that Remaining is the number of further calls admitted at once,
// that RetryAfter is exact to the microsecond, and that a state is fresh
// again at its ttl.
func TestAlgorithmsMatchReferenceModels(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(alg.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(alg)))
			for trace := 0; trace < 300; trace++ {
				p := randomParams(rng, alg)
				s, ref := &subject{p: p}, newRef(p)
				now := int64(1_700_000_000_000_000) + rng.Int64N(1_000_000)
				for step := 0; step < 60; step++ {
					now += rng.Int64N(3 * p.t)
					maxWait := randomWait(rng, p)
					before := s.clone()
					got, want := s.decide(now, maxWait), ref.decide(now, maxWait)
					if got.allowed != want.allowed || got.delay != want.delay ||
						got.retryAfter != want.retryAfter || (!got.allowed && got.reason != want.reason) {
						t.Fatalf("trace %d step %d %+v now=%d maxWait=%d: got %+v, model %+v",
							trace, step, p, now, maxWait, got, want)
					}
					checkRemaining(t, s, now, got)
					if !got.allowed {
						checkRetryAfter(t, before, now, got)
					} else {
						checkTTL(t, s, now, got.ttl)
					}
				}
			}
		})
	}
}

type timeDur = time.Duration

func randomWait(rng *rand.Rand, p params) int64 {
	if p.alg == LeakyBucket && rng.IntN(3) == 0 {
		return -1
	}
	if rng.IntN(2) == 0 {
		return 0
	}
	return rng.Int64N(3 * p.t)
}

// immediateWait is the wait bound under which "admitted at once" is judged.
func immediateWait(p params) int64 {
	if p.alg == LeakyBucket {
		return -1 // remaining counts free places in the bucket
	}
	return 0
}

func checkRemaining(t *testing.T, s *subject, now int64, o outcome) {
	t.Helper()
	if !o.allowed {
		return
	}
	c, n := s.clone(), int64(0)
	for n <= o.remaining()+1 && c.decide(now, immediateWait(s.p)).allowed {
		n++
	}
	if n != o.remaining() {
		t.Fatalf("%+v now=%d: remaining %d, but %d more calls are admitted", s.p, now, o.remaining(), n)
	}
}

func checkRetryAfter(t *testing.T, before *subject, now int64, o outcome) {
	t.Helper()
	if o.retryAfter <= 0 {
		t.Fatalf("%+v: rejected with RetryAfter %d", before.p, o.retryAfter)
	}
	w := int64(0)
	if before.p.alg == LeakyBucket && o.reason == ReasonQuota {
		w = -1
	}
	if before.clone().decide(now+o.retryAfter-1, w).allowed {
		t.Fatalf("%+v now=%d: admitted before RetryAfter %d", before.p, now, o.retryAfter)
	}
	if !before.clone().decide(now+o.retryAfter, w).allowed {
		t.Fatalf("%+v now=%d: still rejected at RetryAfter %d", before.p, now, o.retryAfter)
	}
}

// checkTTL checks that at now+ttl the state decides like a fresh one.
func checkTTL(t *testing.T, s *subject, now, ttl int64) {
	t.Helper()
	at := now + ttl
	for _, w := range []int64{0, -1, s.p.t} {
		a, f := s.clone(), &subject{p: s.p}
		a.ok = true
		a.exp = maxInt64 // never forget: the state itself must be fresh
		for i := 0; i < 3; i++ {
			if x, y := a.decide(at, w), f.decide(at, w); x != y {
				t.Fatalf("%+v now=%d: state at ttl %d decides %+v, fresh decides %+v", s.p, now, ttl, x, y)
			}
		}
	}
}

// TestAlgorithmBounds checks the exact bounds of docs/spec.md on long random
// traces: fixed_window per aligned window, sliding_window per any interval
// of length d, token_bucket and gcra at most b + elapsed·rate in any
// interval.
func TestAlgorithmBounds(t *testing.T) {
	for _, alg := range []Algorithm{FixedWindow, SlidingWindow, TokenBucket, GCRA} {
		t.Run(alg.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(alg)))
			for trace := 0; trace < 40; trace++ {
				p := randomParams(rng, alg)
				s := &subject{p: p}
				now := rng.Int64N(1_000_000)
				var admitted []int64
				for step := 0; step < 400; step++ {
					now += rng.Int64N(p.t)
					if s.decide(now, 0).allowed {
						admitted = append(admitted, now)
					}
				}
				checkBound(t, p, admitted)
			}
		})
	}
}

func checkBound(t *testing.T, p params, ts []int64) {
	t.Helper()
	for i := range ts {
		for j := i; j < len(ts); j++ {
			n := int64(j - i + 1) // calls admitted in [ts[i], ts[j]]
			switch p.alg {
			case FixedWindow:
				if ts[i]-floorMod(ts[i], p.d) == ts[j]-floorMod(ts[j], p.d) && n > p.q {
					t.Fatalf("%+v: %d calls in one window", p, n)
				}
			case SlidingWindow:
				if ts[j]-ts[i] < p.d && n > p.q {
					t.Fatalf("%+v: %d calls within %dµs", p, n, ts[j]-ts[i])
				}
			default:
				// n ≤ b + elapsed·q/d, in integers.
				if n*p.d > p.b*p.d+(ts[j]-ts[i])*p.q {
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
		l := Limit{Algorithm: GCRA, Quota: q, Duration: 1000 * timeDur(q*(1+rng.Int64N(8))), Burst: rng.Int64N(6)}
		pg, _ := newParams(&l)
		l.Algorithm = TokenBucket
		pt, _ := newParams(&l)
		g, tb := &subject{p: pg}, &subject{p: pt}
		now := rng.Int64N(1 << 40)
		for step := 0; step < 100; step++ {
			now += rng.Int64N(2 * pg.t)
			w := int64(0)
			if rng.IntN(2) == 0 {
				w = rng.Int64N(2 * pg.t)
			}
			a, b := g.decide(now, w), tb.decide(now, w)
			if a.allowed != b.allowed || a.delay != b.delay || a.retryAfter != b.retryAfter || a.remaining() != b.remaining() {
				t.Fatalf("%+v step %d: gcra %+v, token_bucket %+v", pg, step, a, b)
			}
		}
	}
}

// TestCancelGivesBack checks that cancelling a reservation restores what
// the next caller sees.
func TestCancelGivesBack(t *testing.T) {
	for _, alg := range []Algorithm{TokenBucket, GCRA, LeakyBucket} {
		p, _ := newParams(&Limit{Algorithm: alg, Quota: 1, Duration: time.Millisecond, Burst: 1, Bucket: 2})
		s := &subject{p: p}
		now := int64(1_000_000)
		if o := s.decide(now, -1); !o.allowed || o.delay != 0 {
			t.Fatalf("%v: first call %+v", alg, o)
		}
		base := s.clone()
		if o := s.decide(now, -1); !o.allowed || o.delay != 1000 {
			t.Fatalf("%v: second call %+v", alg, o)
		}
		var ttl int64
		s.st, ttl = cancel(&p, s.st, now)
		s.exp = now + ttl
		if x, y := s.decide(now, -1), base.decide(now, -1); x != y {
			t.Fatalf("%v: after cancel %+v, without the reservation %+v", alg, x, y)
		}
	}
}

func TestSlidingWindowLogGrowsAndWraps(t *testing.T) {
	p, _ := newParams(&Limit{Algorithm: SlidingWindow, Quota: 37, Duration: 100})
	s := &subject{p: p}
	ref := &slidingRef{p: p}
	for now := int64(0); now < 5000; now += 1 {
		if a, b := s.decide(now, 0), ref.decide(now, 0); a.allowed != b.allowed || a.retryAfter != b.retryAfter {
			t.Fatalf("now %d: %+v vs model %+v", now, a, b)
		}
	}
	if s.log.n > 37 || len(s.log.buf) > 64 {
		t.Fatalf("log holds %d entries in %d slots", s.log.n, len(s.log.buf))
	}
}

// TestTakeGCRAMatchesGCRA checks the hot-path specialisation against gcra,
// in both of its modes (lock-free and serial, chosen at random per step).
func TestTakeGCRAMatchesGCRA(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trace := 0; trace < 200; trace++ {
		p := randomParams(rng, GCRA)
		var slot oneSlot
		s := &subject{p: p}
		now := int64(1_700_000_000_000_000)
		clk := fakeclock.New(time.UnixMicro(now))
		res := &rateRes{cfg: &config{clock: clk}}
		for step := 0; step < 50; step++ {
			d := rng.Int64N(2 * p.t)
			now += d
			clk.Advance(time.Duration(d) * time.Microsecond)
			serial := rng.IntN(2) == 0
			if serial {
				slot.serialLeft.Store(2)
			} else {
				slot.serialLeft.Store(0)
			}
			o := s.decide(now, 0)
			if ra := slot.takeGCRA(&p, res); (ra == 0) != o.allowed || ra != o.retryAfter {
				t.Fatalf("%+v step %d (serial %v): takeGCRA %d, gcra %+v", p, step, serial, ra, o)
			}
			if left := slot.serialLeft.Load(); serial && left != 1 || !serial && left != 0 {
				t.Fatalf("serial mode (%v) left %d decisions", serial, left)
			}
		}
	}
}

// TestTakeGCRATurnsSerialOnContention: a failed swap sends the slot into
// serial mode for serialSpan decisions, and it returns to lock-free after.
func TestTakeGCRATurnsSerialOnContention(t *testing.T) {
	p, _ := newParams(&Limit{Algorithm: GCRA, Quota: 1 << 30, Duration: time.Second})
	clk := fakeclock.New(time.UnixMicro(1_700_000_000_000_000))
	res := &rateRes{cfg: &config{clock: clk}}
	var slot oneSlot
	slot.word.Store(lockedWord) // a multi-limit decision holds the word
	done := make(chan int64)
	go func() { done <- slot.takeGCRA(&p, res) }()
	for slot.serialLeft.Load() == 0 {
		goruntime.Gosched()
	}
	slot.word.Store(0)
	if ra := <-done; ra != 0 {
		t.Fatalf("takeGCRA after the word was released: RetryAfter %d, want admitted", ra)
	}
	if left := slot.serialLeft.Load(); left != serialSpan-1 {
		t.Fatalf("serial decisions left %d, want %d", left, serialSpan-1)
	}
	for range serialSpan - 1 {
		if ra := slot.takeGCRA(&p, res); ra != 0 {
			t.Fatalf("RetryAfter %d, want admitted", ra)
		}
	}
	if left := slot.serialLeft.Load(); left != 0 {
		t.Fatalf("serial decisions left %d after the span, want 0", left)
	}
}
