package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// randomLimit draws a limit with small parameters, so that traces hit every
// branch (windows rolling over, buckets full and empty, queues full).
func randomLimit(r *rand.Rand, name string) *runtime.Limit {
	algs := runtime.Algorithms()
	alg := algs[r.IntN(len(algs))]
	a := ratemath.MustLookup(uint8(alg))
	l := &runtime.Limit{
		Name:      name,
		Algorithm: alg,
		Quota:     int64(1 + r.IntN(5)),
		Duration:  time.Duration(1+r.IntN(2000)) * time.Millisecond / 7, // not a whole µs multiple of quota
	}
	if r.IntN(2) == 0 && a.UsesBurst {
		l.Burst = int64(1 + r.IntN(6))
	}
	if a.UsesBucket {
		l.Bucket = int64(r.IntN(4))
	}
	return l
}

// TestDifferential runs random traces against the in-memory store and the
// Redis store, passing the same Request.Now to both, and requires identical
// decisions: single limits of every algorithm, several limits at once,
// wait bounds and cancels.
func TestDifferential(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			mem := runtime.NewMemoryStore()
			ks := fmt.Sprintf("diff%d", seed)
			nlim := 1
			if seed%3 == 0 {
				nlim = 2 + r.IntN(2)
			}
			limits := make([]*runtime.Limit, nlim)
			for i := range limits {
				limits[i] = randomLimit(r, fmt.Sprintf("ex.com/p.F%d", i))
			}
			keys := []string{"", "a", "b:{x}", "\n"}
			now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1e6)) * time.Microsecond)
			for step := 0; step < 300; step++ {
				now = now.Add(time.Duration(r.ExpFloat64()*float64(limits[0].Duration)/4) + time.Duration(r.IntN(3))*time.Microsecond)
				req := &runtime.Request{Keyspace: ks, Limits: make([]*runtime.Limit, nlim), Keys: make([]string, nlim), Now: now}
				for i := range req.Keys {
					req.Keys[i] = keys[r.IntN(len(keys))]
					req.Limits[i] = perCall(r, limits[i], seed)
				}
				if seed%2 == 0 { // costs: mostly 1, sometimes 0, up to the bound, or beyond
					req.Costs = make([]int64, nlim)
					for i, l := range req.Limits {
						p, _ := ratemath.Derive(uint8(l.Algorithm), l.Quota, l.Duration, l.Burst, l.Bucket)
						req.Costs[i] = []int64{1, 1, 1, 0, p.MaxCost, p.MaxCost + 1, 1 + r.Int64N(p.MaxCost)}[r.IntN(7)]
					}
				}
				switch r.IntN(4) {
				case 0:
					req.MaxWait = -1
				case 1:
					req.MaxWait = time.Duration(r.IntN(int(limits[0].Duration)))
				}
				if r.IntN(10) == 0 {
					if err := mem.Cancel(ctx, req); err != nil {
						t.Fatal(err)
					}
					if err := s.Cancel(ctx, req); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := mem.Decide(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Decide(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("step %d at %v, limits %s, keys %q, costs %v, maxWait %v:\nredis  %+v\nmemory %+v",
						step, now.UnixMicro(), describe(req.Limits), req.Keys, req.Costs, req.MaxWait, got, want)
				}
			}
		})
	}
}

// perCall returns the values of limit l in force for one call: for seeds
// divisible by 4, another quota (and burst) on about one call in three,
// where a change of them cannot make the two stores' forgetting of a state
// past its TTL matter (gcra, the windows: see docs/design.md); always a
// new *Limit, as per-call values bring.
func perCall(r *rand.Rand, l *runtime.Limit, seed uint64) *runtime.Limit {
	c := *l
	if seed%4 == 0 && r.IntN(3) == 0 && c.Algorithm != runtime.TokenBucket && c.Algorithm != runtime.LeakyBucket {
		c.Quota = int64(1 + r.IntN(5))
		if c.Burst > 0 {
			c.Burst = int64(1 + r.IntN(6))
		}
	}
	return &c
}

func describe(ls []*runtime.Limit) string {
	s := ""
	for _, l := range ls {
		s += fmt.Sprintf("[%v q=%d d=%v b=%d k=%d] ", l.Algorithm, l.Quota, l.Duration, l.Burst, l.Bucket)
	}
	return s
}

var _ = redisstore.New
