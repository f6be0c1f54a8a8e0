// Package conformance checks that a runtime.Store decides rate limits
// exactly as the in-memory store does, on deterministic traces. Every Store
// implementation (runtime.MemoryStore, runtime/redisstore) runs it from its
// tests:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, func(t *testing.T) runtime.Store { return newStore(t) })
//	}
//
// # What a store must do to pass
//
//   - Honour Request.Now: every request of a trace sets it, and the store
//     must decide at that time (to the microsecond) instead of its own clock.
//     Cancel requests set it too.
//   - Decide every limit of a request atomically and all-or-nothing, with the
//     exact arithmetic of docs/design.md, and fill every Decision field:
//     Allowed; Remaining (the minimum over the limits when admitted, 0 when
//     rejected); Delay (the largest, when admitted); RetryAfter (the largest
//     of the rejecting limits); Rejected (the index of the rejecting limit
//     with the largest RetryAfter, the lowest such index on ties; -1 when
//     admitted); Reason (ReasonQuota if any limit rejected for its quota, else
//     ReasonDeadline; 0 when admitted).
//   - Keep state at least until its TTL has passed in trace time. Traces use
//     durations of a minute or more and never move backwards; a store may keep
//     state longer than its TTL (stale state decides like fresh state), but
//     must not forget it before, in trace time, even though real time moves
//     differently. The only state whose TTL can be shorter than a second is a
//     fixed window's near its end.
//   - Keep limits apart by keyspace, name, algorithm and key, whatever bytes
//     names and keys hold.
//
// Each subtest gets a fresh store from newStore and its own keyspace, so a
// store shared between subtests (one Redis server) also works. Run is safe to
// call from a test that uses t.Parallel.
package conformance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// base is the trace time origin: a whole hour, so windows align on it.
var base = time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)

// step is one request of a trace.
type step struct {
	at      time.Duration // since base
	limits  []int         // indexes into the trace's limits
	keys    []string
	maxWait time.Duration // -1: unbounded
	costs   []int64       // Request.Costs (nil: 1 each)
	cancel  bool          // Cancel instead of Decide
	want    *runtime.Decision
}

// trace is a named sequence of requests over a set of limits. Limits with
// the same Name and Algorithm are one limit whose values change between
// calls (per-call values, overrides): one state per key.
type trace struct {
	name   string
	limits []runtime.Limit
	steps  []step
}

// Run runs every trace against a store from newStore and, step by step,
// compares its decisions with the in-memory store's and with the golden
// decisions worked out by hand from docs/design.md.
func Run(t *testing.T, newStore func(t *testing.T) runtime.Store) {
	t.Helper()
	var traces []trace
	traces = append(traces, goldenTraces()...)
	traces = append(traces, randomTraces()...)
	traces = append(traces, multiTraces()...)
	traces = append(traces, keyTraces()...)
	traces = append(traces, waitTraces()...)
	traces = append(traces, costTraces()...)
	traces = append(traces, valueTraces()...)
	traces = append(traces, randomCostTraces()...)
	checkGolden(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i, tr := range traces {
		t.Run(tr.name, func(t *testing.T) {
			runTrace(t, newStore(t), tr, "conformance-"+run+"-"+strconv.Itoa(i))
		})
	}
}

func runTrace(t *testing.T, store runtime.Store, tr trace, keyspace string) {
	t.Helper()
	ctx := context.Background()
	ref := runtime.NewMemoryStore()
	limits := make([]*runtime.Limit, len(tr.limits))
	for i := range tr.limits {
		l := tr.limits[i]
		l.Name = keyspace + "/" + l.Name // names unique per run: stale state cannot leak in
		limits[i] = &l
	}
	for n, s := range tr.steps {
		req := &runtime.Request{Keyspace: keyspace, Keys: s.keys, MaxWait: s.maxWait, Now: base.Add(s.at), Costs: s.costs}
		for _, i := range s.limits {
			l := *limits[i] // a new *Limit per call, as per-call values bring: state is by identity
			req.Limits = append(req.Limits, &l)
		}
		desc := describe(n, req, s)
		if s.cancel {
			if err := store.Cancel(ctx, req); err != nil {
				t.Fatalf("%s: Cancel: %v", desc, err)
			}
			if err := ref.Cancel(ctx, req); err != nil {
				t.Fatalf("%s: reference Cancel: %v", desc, err)
			}
			continue
		}
		got, err := store.Decide(ctx, req)
		if err != nil {
			t.Fatalf("%s: Decide: %v", desc, err)
		}
		want, err := ref.Decide(ctx, req)
		if err != nil {
			t.Fatalf("%s: reference Decide: %v", desc, err)
		}
		if s.want != nil && want != *s.want {
			t.Fatalf("%s: the in-memory store decided %+v, golden %+v", desc, want, *s.want)
		}
		if got != want {
			t.Fatalf("%s: decided %+v, want %+v", desc, got, want)
		}
		checkInvariants(t, desc, req, got)
	}
}

func describe(n int, req *runtime.Request, s step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d at +%v", n, s.at)
	if s.cancel {
		b.WriteString(" cancel")
	}
	for i, l := range req.Limits {
		fmt.Fprintf(&b, " [%v %q q=%d d=%v b=%d k=%d key=%q]", l.Algorithm, l.Name, l.Quota, l.Duration, l.Burst, l.Bucket, req.Keys[i])
	}
	fmt.Fprintf(&b, " maxWait=%v costs=%v", s.maxWait, s.costs)
	return b.String()
}

func checkInvariants(t *testing.T, desc string, req *runtime.Request, d runtime.Decision) {
	t.Helper()
	switch {
	case d.Allowed && (d.Rejected != -1 || d.RetryAfter != 0 || d.Reason != 0 || d.Remaining < 0):
		t.Fatalf("%s: inconsistent admission %+v", desc, d)
	case d.Allowed && req.MaxWait >= 0 && d.Delay > req.MaxWait:
		t.Fatalf("%s: Delay %v beyond MaxWait", desc, d.Delay)
	case !d.Allowed && d.Reason == runtime.ReasonCost && (d.RetryAfter != 0 || d.Rejected < 0 ||
		d.Rejected >= len(req.Limits) || d.Delay != 0):
		t.Fatalf("%s: inconsistent cost rejection %+v", desc, d)
	case !d.Allowed && d.Reason != runtime.ReasonCost && (d.RetryAfter <= 0 || d.Rejected < 0 ||
		d.Rejected >= len(req.Limits) || d.Delay != 0):
		t.Fatalf("%s: inconsistent rejection %+v", desc, d)
	}
}

// algorithms are every algorithm of the runtime's table.
var algorithms = runtime.Algorithms()

// checkGolden fails t unless every algorithm of the runtime's table has a
// golden trace: a new algorithm comes with decisions worked out by hand.
func checkGolden(t *testing.T) {
	t.Helper()
	has := map[runtime.Algorithm]bool{}
	for _, tr := range goldenTraces() {
		for _, l := range tr.limits {
			has[l.Algorithm] = true
		}
	}
	for _, a := range algorithms {
		if !has[a] {
			t.Errorf("no golden trace of %v: add one to goldenTraces", a)
		}
	}
}

// randomLimit returns parameters with durations of a minute or more.
func randomLimit(rng *rand.Rand, alg runtime.Algorithm, name string) runtime.Limit {
	l := runtime.Limit{Name: name, Algorithm: alg, Quota: 1 + rng.Int64N(5),
		Duration: time.Minute * time.Duration(1+rng.IntN(3))}
	if rng.IntN(3) == 0 {
		l.Duration += time.Duration(rng.Int64N(int64(time.Second))) / time.Microsecond * time.Microsecond
	}
	a := ratemath.MustLookup(uint8(alg))
	if a.UsesBurst {
		l.Burst = rng.Int64N(6)
	}
	if a.UsesBucket {
		l.Bucket = rng.Int64N(4)
	}
	return l
}

// randomWait returns a MaxWait for alg: 0 mostly, sometimes a bound, and
// unbounded sometimes for an algorithm that paces (leaky_bucket).
func randomWait(rng *rand.Rand, alg runtime.Algorithm, d time.Duration) time.Duration {
	switch r := rng.IntN(4); {
	case ratemath.MustLookup(uint8(alg)).Paces && r == 0:
		return -1
	case r <= 1:
		return 0
	default:
		return time.Duration(rng.Int64N(int64(d/time.Microsecond))) * time.Microsecond
	}
}

// randomTraces: for every algorithm, traces of single-limit decisions at
// random times, with cancels after admissions that waited.
func randomTraces() []trace {
	var out []trace
	for _, alg := range algorithms {
		rng := rand.New(rand.NewPCG(42, uint64(alg)))
		for n := 0; n < 6; n++ {
			tr := trace{name: fmt.Sprintf("random/%v/%d", alg, n)}
			tr.limits = []runtime.Limit{randomLimit(rng, alg, "r")}
			d := tr.limits[0].Duration
			at := time.Duration(rng.Int64N(int64(time.Minute/time.Microsecond))) * time.Microsecond
			for i := 0; i < 40; i++ {
				at += time.Duration(rng.Int64N(int64(d/time.Microsecond)/2)) * time.Microsecond
				if rng.IntN(6) == 0 {
					at += d * 3 // long idle: state back to fresh
				}
				key := []string{"", "k"}[rng.IntN(2)]
				tr.steps = append(tr.steps, step{at: at, limits: []int{0}, keys: []string{key},
					maxWait: randomWait(rng, alg, d)})
				if rng.IntN(5) == 0 {
					tr.steps = append(tr.steps, step{at: at, limits: []int{0}, keys: []string{key}, cancel: true})
				}
			}
			out = append(out, tr)
		}
	}
	return out
}

// multiTraces: several limits per decision, all-or-nothing.
func multiTraces() []trace {
	return randomMulti(rand.New(rand.NewPCG(7, 7)), "multi", "m", 10, []string{"", "a", "b"}, false)
}

// randomMulti returns n random traces named name/i over 2 or 3 limits of
// random algorithms named prefix+index, keys drawn from keys, some steps
// cancelled; with costs, each limit's cost is drawn by randomCost (and every
// step decides every limit), else every cost is 1 and a third of the steps
// decide a subset, in another order.
func randomMulti(rng *rand.Rand, name, prefix string, n int, keys []string, costs bool) []trace {
	var out []trace
	for t := 0; t < n; t++ {
		tr := trace{name: fmt.Sprintf("%s/%d", name, t)}
		k := 2 + rng.IntN(2)
		for i := 0; i < k; i++ {
			tr.limits = append(tr.limits, randomLimit(rng, algorithms[rng.IntN(len(algorithms))], prefix+strconv.Itoa(i)))
		}
		var at time.Duration
		for i := 0; i < 40; i++ {
			at += time.Duration(rng.Int64N(int64(20*time.Second/time.Microsecond))) * time.Microsecond
			s := step{at: at, maxWait: []time.Duration{0, 0, 5 * time.Second, -1}[rng.IntN(4)]}
			for j := range tr.limits {
				s.limits = append(s.limits, j)
				s.keys = append(s.keys, keys[rng.IntN(len(keys))])
				if costs {
					l := tr.limits[j]
					p, _ := ratemath.Derive(uint8(l.Algorithm), l.Quota, l.Duration, l.Burst, l.Bucket)
					s.costs = append(s.costs, randomCost(rng, p.MaxCost))
				}
			}
			if !costs && rng.IntN(3) == 0 { // a subset, in another order
				s.limits, s.keys = s.limits[1:], s.keys[1:]
				s.limits[0], s.limits[len(s.limits)-1] = s.limits[len(s.limits)-1], s.limits[0]
			}
			tr.steps = append(tr.steps, s)
			if rng.IntN(4) == 0 {
				c := s
				c.cancel = true
				tr.steps = append(tr.steps, c)
			}
		}
		out = append(out, tr)
	}
	return out
}

// nastyKeys are keys (and names) that break naive key layouts.
var nastyKeys = []string{"", ":", "::", "a:b", "a", "b:c", "{", "}", "{a}", "}{", "a b", "\x00", "a\x00b",
	"\xff\xfe", "ключ", "🔑", "%s", "*", "?", "[a]", "\\", "\"", "\n", strings.Repeat("long", 300),
	strings.Repeat("{", 50), "throttle", "conformance"}

// keyTraces: one fixed_window per name, every nasty key: each key admits its
// quota and no more, independently of every other key and name.
func keyTraces() []trace {
	var out []trace
	tr := trace{name: "keys"}
	names := []string{"x", "x:", "a:b", "{x}", "a", "ключ"}
	for _, n := range names {
		tr.limits = append(tr.limits, runtime.Limit{Name: n, Algorithm: runtime.FixedWindow, Quota: 2, Duration: time.Hour})
	}
	for round := 0; round < 3; round++ {
		for li := range names {
			for _, k := range nastyKeys {
				s := step{at: time.Second, limits: []int{li}, keys: []string{k}}
				if round < 2 {
					s.want = &runtime.Decision{Allowed: true, Remaining: int64(1 - round), Rejected: -1}
				} else {
					s.want = &runtime.Decision{RetryAfter: time.Hour - time.Second, Reason: runtime.ReasonQuota}
				}
				tr.steps = append(tr.steps, s)
			}
		}
	}
	out = append(out, tr)
	// Names and keys that concatenate alike: "a" + "b:c" and "a:b" + "c".
	tr2 := trace{name: "keys/concatenation", limits: []runtime.Limit{
		{Name: "a", Algorithm: runtime.GCRA, Quota: 1, Duration: time.Hour},
		{Name: "a:b", Algorithm: runtime.GCRA, Quota: 1, Duration: time.Hour},
	}}
	ok := &runtime.Decision{Allowed: true, Rejected: -1}
	tr2.steps = []step{
		{at: 0, limits: []int{0}, keys: []string{"b:c"}, want: ok},
		{at: 0, limits: []int{1}, keys: []string{"c"}, want: ok},
		{at: 0, limits: []int{0}, keys: []string{"b"}, want: ok},
		{at: 0, limits: []int{1}, keys: []string{""}, want: ok},
		{at: 0, limits: []int{0, 1}, keys: []string{"b:c", "c"}, want: &runtime.Decision{Rejected: 0,
			RetryAfter: time.Hour, Reason: runtime.ReasonQuota}},
	}
	return append(out, tr2)
}

// waitTraces: reservations, their limits and Cancel.
func waitTraces() []trace {
	gcra := runtime.Limit{Name: "g", Algorithm: runtime.GCRA, Quota: 1, Duration: time.Minute}
	leaky := runtime.Limit{Name: "l", Algorithm: runtime.LeakyBucket, Quota: 2, Duration: time.Minute, Bucket: 2}
	token := runtime.Limit{Name: "t", Algorithm: runtime.TokenBucket, Quota: 3, Duration: time.Minute, Burst: 1}
	fixed := runtime.Limit{Name: "f", Algorithm: runtime.FixedWindow, Quota: 2, Duration: time.Minute}
	adm := func(rem int64, delay time.Duration) *runtime.Decision {
		return &runtime.Decision{Allowed: true, Remaining: rem, Delay: delay, Rejected: -1}
	}
	rej := func(i int, ra time.Duration, r runtime.Reason) *runtime.Decision {
		return &runtime.Decision{Rejected: i, RetryAfter: ra, Reason: r}
	}
	one := []int{0}
	k := []string{"w"}
	return []trace{
		{name: "wait/gcra", limits: []runtime.Limit{gcra}, steps: []step{
			{at: 0, limits: one, keys: k, want: adm(0, 0)},
			{at: 0, limits: one, keys: k, want: rej(0, time.Minute, runtime.ReasonQuota)},
			{at: 0, limits: one, keys: k, maxWait: time.Minute, want: adm(0, time.Minute)},
			{at: 0, limits: one, keys: k, maxWait: time.Minute, want: rej(0, 2*time.Minute, runtime.ReasonQuota)},
			{at: 10 * time.Second, limits: one, keys: k, cancel: true},
			{at: 10 * time.Second, limits: one, keys: k, maxWait: time.Minute, want: adm(0, 50*time.Second)},
			{at: 10 * time.Second, limits: one, keys: k, maxWait: -1, want: adm(0, 110*time.Second)},
		}},
		{name: "wait/leaky_bucket", limits: []runtime.Limit{leaky}, steps: []step{
			{at: 0, limits: one, keys: k, maxWait: -1, want: adm(2, 0)},
			{at: 0, limits: one, keys: k, maxWait: -1, want: adm(1, 30*time.Second)},
			{at: 0, limits: one, keys: k, maxWait: 30 * time.Second, want: rej(0, time.Minute, runtime.ReasonDeadline)},
			{at: 0, limits: one, keys: k, maxWait: -1, want: adm(0, time.Minute)},
			{at: 0, limits: one, keys: k, maxWait: -1, want: rej(0, 30*time.Second, runtime.ReasonQuota)},
			{at: 0, limits: one, keys: k, cancel: true},
			{at: time.Second, limits: one, keys: k, maxWait: -1, want: adm(0, 59*time.Second)},
		}},
		{name: "wait/token_bucket", limits: []runtime.Limit{token}, steps: []step{
			{at: 0, limits: one, keys: k, want: adm(0, 0)},
			{at: 0, limits: one, keys: k, maxWait: 20 * time.Second, want: adm(0, 20*time.Second)},
			{at: 5 * time.Second, limits: one, keys: k, maxWait: 20 * time.Second, want: rej(0, 35*time.Second, runtime.ReasonQuota)},
			{at: 5 * time.Second, limits: one, keys: k, cancel: true},
			{at: 5 * time.Second, limits: one, keys: k, maxWait: 20 * time.Second, want: adm(0, 15*time.Second)},
		}},
		{name: "wait/with-window", limits: []runtime.Limit{gcra, fixed}, steps: []step{
			{at: 0, limits: []int{0, 1}, keys: []string{"", ""}, want: adm(0, 0)},
			{at: 0, limits: []int{0, 1}, keys: []string{"", ""}, maxWait: time.Minute, want: adm(0, time.Minute)},
			{at: 0, limits: []int{0, 1}, keys: []string{"", ""}, maxWait: -1, want: rej(1, time.Minute, runtime.ReasonQuota)},
			{at: 0, limits: []int{0, 1}, keys: []string{"", ""}, cancel: true},
			{at: time.Minute, limits: []int{0, 1}, keys: []string{"", ""}, want: adm(0, 0)},
		}},
	}
}

// goldenTraces: hand-computed decisions, from docs/design.md.
func goldenTraces() []trace {
	adm := func(rem int64) *runtime.Decision {
		return &runtime.Decision{Allowed: true, Remaining: rem, Rejected: -1}
	}
	rej := func(ra time.Duration) *runtime.Decision {
		return &runtime.Decision{Rejected: 0, RetryAfter: ra, Reason: runtime.ReasonQuota}
	}
	one, k := []int{0}, []string{"g"}
	s := func(at time.Duration, want *runtime.Decision) step {
		return step{at: at, limits: one, keys: k, want: want}
	}
	const m = time.Minute
	return []trace{
		{name: "golden/fixed_window", limits: []runtime.Limit{{Name: "f", Algorithm: runtime.FixedWindow, Quota: 2, Duration: m}},
			steps: []step{s(50*time.Second, adm(1)), s(59*time.Second, adm(0)), s(59*time.Second, rej(time.Second)),
				s(m, adm(1)), s(m+time.Second, adm(0)), s(m+2*time.Second, rej(58*time.Second))}},
		{name: "golden/sliding_window", limits: []runtime.Limit{{Name: "s", Algorithm: runtime.SlidingWindow, Quota: 2, Duration: m}},
			steps: []step{s(50*time.Second, adm(1)), s(59*time.Second, adm(0)), s(m, rej(50*time.Second)),
				s(110*time.Second-time.Microsecond, rej(time.Microsecond)), s(110*time.Second, adm(0)),
				s(110*time.Second, rej(9*time.Second))}},
		{name: "golden/token_bucket", limits: []runtime.Limit{{Name: "t", Algorithm: runtime.TokenBucket, Quota: 2, Duration: m, Burst: 3}},
			steps: []step{s(0, adm(2)), s(0, adm(1)), s(0, adm(0)), s(10*time.Second, rej(20*time.Second)),
				s(30*time.Second, adm(0)), s(105*time.Second, adm(1)), s(105*time.Second, adm(0)), s(105*time.Second, rej(15*time.Second))}},
		{name: "golden/gcra", limits: []runtime.Limit{{Name: "g", Algorithm: runtime.GCRA, Quota: 2, Duration: m, Burst: 3}},
			steps: []step{s(0, adm(2)), s(0, adm(1)), s(0, adm(0)), s(10*time.Second, rej(20*time.Second)),
				s(30*time.Second, adm(0)), s(105*time.Second, adm(1)), s(105*time.Second, adm(0)), s(105*time.Second, rej(15*time.Second))}},
		{name: "golden/leaky_bucket", limits: []runtime.Limit{{Name: "l", Algorithm: runtime.LeakyBucket, Quota: 1, Duration: m, Bucket: 1}},
			steps: []step{s(0, adm(1)), s(0, &runtime.Decision{Rejected: 0, RetryAfter: m, Reason: runtime.ReasonDeadline}),
				{at: 0, limits: one, keys: k, maxWait: -1, want: &runtime.Decision{Allowed: true, Delay: m, Rejected: -1}},
				{at: 0, limits: one, keys: k, maxWait: -1, want: rej(m)},
				{at: m, limits: one, keys: k, maxWait: -1, want: &runtime.Decision{Allowed: true, Delay: m, Rejected: -1}},
				{at: 3 * m, limits: one, keys: k, want: adm(1)}}},
	}
}

// costTraces: hand-computed decisions of calls with costs (docs/design.md):
// every algorithm with costs 0, several units, a cost it can never admit
// (ReasonCost, RetryAfter 0, whatever the wait bound) and a cancel of a
// reservation of several units; and several limits with different costs,
// all-or-nothing.
func costTraces() []trace {
	adm := func(rem int64, delay time.Duration) *runtime.Decision {
		return &runtime.Decision{Allowed: true, Remaining: rem, Delay: delay, Rejected: -1}
	}
	rej := func(i int, ra time.Duration, r runtime.Reason) *runtime.Decision {
		return &runtime.Decision{Rejected: i, RetryAfter: ra, Reason: r}
	}
	never := func(i int) *runtime.Decision { return &runtime.Decision{Rejected: i, Reason: runtime.ReasonCost} }
	k := []string{"c"}
	c := func(at time.Duration, cost int64, maxWait time.Duration, want *runtime.Decision) step {
		return step{at: at, limits: []int{0}, keys: k, costs: []int64{cost}, maxWait: maxWait, want: want}
	}
	cancel := func(at time.Duration, cost int64) step {
		return step{at: at, limits: []int{0}, keys: k, costs: []int64{cost}, cancel: true}
	}
	const s, m = time.Second, time.Minute
	return []trace{
		{name: "cost/fixed_window", limits: []runtime.Limit{{Name: "f", Algorithm: runtime.FixedWindow, Quota: 5, Duration: m}},
			steps: []step{c(10*s, 3, 0, adm(2, 0)), c(20*s, 3, 0, rej(0, 40*s, runtime.ReasonQuota)), c(20*s, 2, 0, adm(0, 0)),
				c(20*s, 6, -1, never(0)), c(20*s, 0, 0, adm(0, 0)), c(m, 5, 0, adm(0, 0)), c(m, 1, 0, rej(0, m, runtime.ReasonQuota))}},
		{name: "cost/sliding_window", limits: []runtime.Limit{{Name: "s", Algorithm: runtime.SlidingWindow, Quota: 5, Duration: m}},
			steps: []step{c(0, 2, 0, adm(3, 0)), c(10*s, 3, 0, adm(0, 0)), c(20*s, 1, 0, rej(0, 40*s, runtime.ReasonQuota)),
				c(20*s, 3, 0, rej(0, 50*s, runtime.ReasonQuota)), c(20*s, 0, 0, adm(0, 0)), c(m, 2, 0, adm(0, 0)), c(m, 6, 0, never(0)),
				c(70*s-time.Microsecond, 1, 0, rej(0, time.Microsecond, runtime.ReasonQuota)), c(70*s, 3, 0, adm(0, 0)),
				c(70*s, 5, 0, rej(0, 60*s, runtime.ReasonQuota)), c(2*m, 5, 0, rej(0, 10*s, runtime.ReasonQuota)), c(130*s, 5, 0, adm(0, 0))}},
		{name: "cost/token_bucket", limits: []runtime.Limit{{Name: "t", Algorithm: runtime.TokenBucket, Quota: 2, Duration: m, Burst: 4}},
			steps: []step{c(0, 3, 0, adm(1, 0)), c(0, 2, 0, rej(0, 30*s, runtime.ReasonQuota)), c(0, 2, 30*s, adm(0, 30*s)),
				cancel(0, 2), c(15*s, 1, 0, adm(0, 0)), c(15*s, 5, -1, never(0)), c(15*s, 0, 0, adm(0, 0)),
				c(15*s, 4, -1, adm(0, 105*s))}},
		{name: "cost/gcra", limits: []runtime.Limit{{Name: "g", Algorithm: runtime.GCRA, Quota: 2, Duration: m, Burst: 4}},
			steps: []step{c(0, 3, 0, adm(1, 0)), c(0, 2, 0, rej(0, 30*s, runtime.ReasonQuota)), c(0, 2, 30*s, adm(0, 30*s)),
				cancel(0, 2), c(15*s, 1, 0, adm(0, 0)), c(15*s, 5, -1, never(0)), c(15*s, 0, 0, adm(0, 0)),
				c(15*s, 4, -1, adm(0, 105*s))}},
		{name: "cost/leaky_bucket", limits: []runtime.Limit{{Name: "l", Algorithm: runtime.LeakyBucket, Quota: 1, Duration: m, Bucket: 2}},
			steps: []step{c(0, 2, -1, adm(1, 0)), c(0, 2, -1, rej(0, m, runtime.ReasonQuota)), c(0, 1, -1, adm(0, 2*m)),
				c(0, 4, -1, never(0)), c(0, 3, -1, rej(0, 3*m, runtime.ReasonQuota)), cancel(30*s, 1),
				c(30*s, 1, 0, rej(0, 90*s, runtime.ReasonDeadline)), c(30*s, 0, 0, adm(0, 0)), c(3*m, 3, -1, adm(0, 0)),
				cancel(3*m, 3), c(3*m, 2, -1, adm(0, m))}},
		{name: "cost/multi", limits: []runtime.Limit{
			{Name: "f", Algorithm: runtime.FixedWindow, Quota: 3, Duration: m},
			{Name: "g", Algorithm: runtime.GCRA, Quota: 1, Duration: m, Burst: 2}},
			steps: []step{
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{2, 1}, want: adm(1, 0)},
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{1, 2}, want: rej(1, m, runtime.ReasonQuota)},
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{2, 0}, want: rej(0, m, runtime.ReasonQuota)},
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{1, 0}, want: adm(0, 0)},
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{0, 3}, want: never(1)},
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{4, 3}, maxWait: -1, want: never(0)},
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{0, 0}, want: adm(0, 0)},
				{at: 0, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{1, 1}, maxWait: m, want: rej(0, m, runtime.ReasonQuota)},
				{at: 0, limits: []int{1, 0}, keys: []string{"a", "a"}, costs: []int64{1, 0}, maxWait: m, want: adm(0, 0)},
				{at: 0, limits: []int{1, 0}, keys: []string{"a", "a"}, costs: []int64{1, 0}, cancel: true},
				{at: m, limits: []int{0, 1}, keys: []string{"a", "a"}, costs: []int64{3, 1}, want: adm(0, 0)},
			}},
	}
}

// valueTraces: hand-computed decisions of one limit whose values change
// between calls (same name and algorithm): one state per key, each call
// judged with its own values.
func valueTraces() []trace {
	adm := func(rem int64) *runtime.Decision {
		return &runtime.Decision{Allowed: true, Remaining: rem, Rejected: -1}
	}
	rej := func(ra time.Duration) *runtime.Decision {
		return &runtime.Decision{Rejected: 0, RetryAfter: ra, Reason: runtime.ReasonQuota}
	}
	k := []string{"v"}
	v := func(at time.Duration, variant int, cost int64, want *runtime.Decision) step {
		return step{at: at, limits: []int{variant}, keys: k, costs: []int64{cost}, want: want}
	}
	const s, m = time.Second, time.Minute
	return []trace{
		{name: "values/gcra", limits: []runtime.Limit{
			{Name: "g", Algorithm: runtime.GCRA, Quota: 1, Duration: m, Burst: 1},
			{Name: "g", Algorithm: runtime.GCRA, Quota: 2, Duration: m, Burst: 4}},
			steps: []step{v(0, 0, 1, adm(0)), v(0, 1, 1, adm(1)), v(0, 0, 1, rej(90*s)), v(30*s, 1, 1, adm(1)),
				v(30*s, 1, 2, rej(30*s))}},
		{name: "values/fixed_window", limits: []runtime.Limit{
			{Name: "w", Algorithm: runtime.FixedWindow, Quota: 2, Duration: m},
			{Name: "w", Algorithm: runtime.FixedWindow, Quota: 5, Duration: m},
			{Name: "w", Algorithm: runtime.FixedWindow, Quota: 1, Duration: m}},
			steps: []step{v(0, 0, 2, adm(0)), v(s, 0, 1, rej(59*s)), v(s, 1, 2, adm(1)), v(2*s, 2, 1, rej(58*s)),
				v(2*s, 1, 1, adm(0)), v(m, 2, 1, adm(0))}},
		{name: "values/sliding_window", limits: []runtime.Limit{
			{Name: "s", Algorithm: runtime.SlidingWindow, Quota: 3, Duration: m},
			{Name: "s", Algorithm: runtime.SlidingWindow, Quota: 1, Duration: m}},
			steps: []step{v(0, 0, 1, adm(2)), v(10*s, 1, 1, rej(50*s)), v(10*s, 0, 2, adm(0)), v(m, 1, 1, rej(10*s)),
				v(70*s, 1, 1, adm(0)), v(70*s, 0, 1, adm(1))}},
		{name: "values/leaky_bucket", limits: []runtime.Limit{
			{Name: "l", Algorithm: runtime.LeakyBucket, Quota: 1, Duration: m, Bucket: 0},
			{Name: "l", Algorithm: runtime.LeakyBucket, Quota: 1, Duration: m, Bucket: 3}},
			steps: []step{
				{at: 0, limits: []int{0}, keys: k, maxWait: -1, want: adm(0)},
				{at: 0, limits: []int{0}, keys: k, maxWait: -1, want: rej(m)},
				{at: 0, limits: []int{1}, keys: k, maxWait: -1, costs: []int64{2}, want: &runtime.Decision{Allowed: true, Remaining: 1, Delay: m, Rejected: -1}},
				{at: 0, limits: []int{0}, keys: k, maxWait: -1, want: rej(3 * m)},
			}},
		{name: "values/token_bucket", limits: []runtime.Limit{
			{Name: "t", Algorithm: runtime.TokenBucket, Quota: 1, Duration: m, Burst: 1},
			{Name: "t", Algorithm: runtime.TokenBucket, Quota: 2, Duration: m, Burst: 3}},
			steps: []step{v(0, 1, 2, adm(1)), v(0, 0, 1, adm(0)), v(0, 1, 1, rej(30*s)), v(15*s, 1, 1, rej(15*s)),
				v(15*s, 0, 1, rej(45*s))}},
	}
}

// randomCostTraces: for every algorithm, random calls with random costs
// (0, within the limit's bound, above it), random values among variants of
// one limit (quota, burst, bucket, and duration where a store's forgetting
// of a state past its TTL cannot matter), waits and cancels of the same
// costs; and multi-limit calls with different costs.
func randomCostTraces() []trace {
	var out []trace
	for _, alg := range algorithms {
		rng := rand.New(rand.NewPCG(99, uint64(alg)))
		a := ratemath.MustLookup(uint8(alg))
		for n := 0; n < 6; n++ {
			tr := trace{name: fmt.Sprintf("random-cost/%v/%d", alg, n)}
			first := randomLimit(rng, alg, "rc")
			tr.limits = []runtime.Limit{first}
			for v := 0; v < 2 && n%2 == 1; v++ {
				l := randomLimit(rng, alg, "rc")
				if !robustDuration(alg) {
					l.Duration = first.Duration
				}
				if !robustRate(alg) {
					l.Quota, l.Burst = first.Quota, first.Burst
				}
				tr.limits = append(tr.limits, l)
			}
			var at time.Duration
			for i := 0; i < 50; i++ {
				vi := rng.IntN(len(tr.limits))
				d := tr.limits[vi].Duration
				at += time.Duration(rng.Int64N(int64(d/time.Microsecond)/3)) * time.Microsecond
				if rng.IntN(8) == 0 {
					at += d * 4
				}
				key := []string{"", "k"}[rng.IntN(2)]
				p, _ := ratemath.Derive(uint8(alg), tr.limits[vi].Quota, d, tr.limits[vi].Burst, tr.limits[vi].Bucket)
				cost := randomCost(rng, p.MaxCost)
				s := step{at: at, limits: []int{vi}, keys: []string{key}, costs: []int64{cost},
					maxWait: randomWait(rng, alg, d)}
				tr.steps = append(tr.steps, s)
				if a.Reserves && rng.IntN(4) == 0 {
					c := s
					c.cancel = true
					tr.steps = append(tr.steps, c)
				}
			}
			out = append(out, tr)
		}
	}
	return append(out, randomMulti(rand.New(rand.NewPCG(5, 5)), "random-cost/multi", "mc", 8, []string{"", "a"}, true)...)
}

// randomCost returns 1 mostly, else 0, a cost up to bound, or bound+1.
func randomCost(rng *rand.Rand, bound int64) int64 {
	switch r := rng.IntN(10); {
	case r < 4:
		return 1
	case r == 4:
		return 0
	case r == 5:
		return bound + 1
	default:
		return 1 + rng.Int64N(bound)
	}
}

// robustDuration and robustRate tell which values of a limit may change
// between calls in the random traces. A store may keep a state past its
// TTL (Redis until the key expires; the memory store's word states until
// swept) or forget it then; a past-TTL state decides like a fresh one with
// the values that wrote it, but not always with others: a window's
// duration, leaky_bucket's interval (quota and duration) and
// token_bucket's rate and capacity decide on an expired state otherwise.
// See docs/design.md ("Values that change").
func robustDuration(alg runtime.Algorithm) bool { return alg == runtime.GCRA }

func robustRate(alg runtime.Algorithm) bool {
	return alg != runtime.LeakyBucket && alg != runtime.TokenBucket
}
