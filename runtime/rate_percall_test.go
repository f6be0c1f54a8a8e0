package runtime

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPerCallQuota: one limit state per key, judged with the quota of the
// call at hand (as redis_rate does): a tenant's tier is its quota.
func TestPerCallQuota(t *testing.T) {
	for _, store := range []struct {
		name string
		opt  func(*testing.T) Option
	}{
		{"memory", func(*testing.T) Option { return WithStore(NewMemoryStore()) }},
		{"store", func(t *testing.T) Option {
			return WithStore(&clockStore{mem: NewMemoryStore(), now: loadConfig().clock.Now})
		}},
	} {
		t.Run(store.name, func(t *testing.T) {
			rateFakeClock(t)
			useRateConfig(t, store.opt(t))
			r := NewRate(t.Name(), RateSpec{Algorithm: FixedWindow, Duration: time.Hour, PerCall: PerCallQuota, Keyed: true})
			ctx := context.Background()
			admitted := map[string]int{}
			for range 5 {
				for _, c := range []Call{{Key: "gold", Cost: 1, Quota: 3}, {Key: "free", Cost: 1, Quota: 1}} {
					if err := r.AllowCall(ctx, c); err == nil {
						admitted[c.Key]++
					} else if te := rateThrottled(t, err); te.Key != c.Key {
						t.Fatalf("rejection %+v for key %q", te, c.Key)
					}
				}
			}
			if admitted["gold"] != 3 || admitted["free"] != 1 {
				t.Fatalf("admitted %v, want gold 3, free 1", admitted)
			}
			// The state is the key's: a higher quota on a later call admits
			// what it leaves room for.
			for i := range 3 {
				err := r.AllowCall(ctx, Call{Key: "free", Cost: 1, Quota: 3})
				if (err == nil) != (i < 2) {
					t.Fatalf("free with quota 3, call %d: %v", i, err)
				}
			}
		})
	}
}

// TestPerCallBurst: a per-call burst with a constant quota.
func TestPerCallBurst(t *testing.T) {
	rateFakeClock(t)
	r := NewRate(t.Name(), RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, PerCall: PerCallBurst, Keyed: true})
	ctx := context.Background()
	for _, b := range []int64{1, 4} {
		key := string(rune('a' + b))
		n := 0
		for range 10 {
			if r.AllowCall(ctx, Call{Key: key, Cost: 1, Burst: b}) == nil {
				n++
			}
		}
		if int64(n) != b {
			t.Fatalf("burst %d admitted %d", b, n)
		}
	}
}

// TestInvalidPerCallValues: a per-call value below 1 or a negative cost
// fails the call with an error that is not a rejection, and consumes
// nothing.
func TestInvalidPerCallValues(t *testing.T) {
	rateFakeClock(t)
	r := NewRate(t.Name(), RateSpec{Algorithm: LeakyBucket, Quota: 1, Duration: time.Hour,
		PerCall: PerCallQuota | PerCallBucket, Keyed: true})
	ctx := context.Background()
	for _, c := range []Call{
		{Key: "k", Cost: 1, Quota: 0, Bucket: 1},
		{Key: "k", Cost: 1, Quota: -5, Bucket: 1},
		{Key: "k", Cost: 1, Quota: 1, Bucket: 0},
	} {
		err := r.AllowCall(ctx, c)
		if !errors.Is(err, ErrInvalidValue) || errors.Is(err, ErrThrottled) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	err := r.AllowCall(ctx, Call{Key: "k", Cost: -1, Quota: 1, Bucket: 1})
	if !errors.Is(err, ErrInvalidCost) || errors.Is(err, ErrThrottled) {
		t.Fatalf("negative cost: %v", err)
	}
	if err := r.AllowCall(ctx, Call{Key: "k", Cost: 1, Quota: 1, Bucket: 1}); err != nil {
		t.Fatalf("first valid call: %v", err)
	}
}

// TestPerCallAllocations: per-call values seen before, and a cost, allocate
// nothing when admitted in memory.
func TestPerCallAllocations(t *testing.T) {
	useRateConfig(t, WithStore(NewMemoryStore()))
	ctx := context.Background()
	r := NewRate(t.Name(), RateSpec{Algorithm: GCRA, Duration: time.Second, PerCall: PerCallQuota, Keyed: true})
	tiers := []int64{1 << 40, 1 << 41, 1 << 42}
	i := 0
	if n := testing.AllocsPerRun(300, func() {
		i++
		if err := r.AllowCall(ctx, Call{Key: "k", Cost: 1, Quota: tiers[i%len(tiers)]}); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per admitted call with per-call quotas", n)
	}
	c := NewRate(t.Name()+"/cost", RateSpec{Algorithm: GCRA, Quota: 1 << 40, Duration: time.Second})
	if n := testing.AllocsPerRun(100, func() { _ = c.AllowCall(ctx, Call{Cost: 3}) }); n != 0 {
		t.Fatalf("%v allocations per admitted call with a cost", n)
	}
}

// TestPerCallValuesReachTheStore: the store is asked with the call's values
// and cost, on the limit's identity.
func TestPerCallValuesReachTheStore(t *testing.T) {
	st := &rateRecordingStore{mem: NewMemoryStore()}
	useRateConfig(t, WithStore(st))
	r := NewRate(t.Name(), RateSpec{Algorithm: TokenBucket, Duration: time.Minute, PerCall: PerCallQuota | PerCallBurst, Keyed: true})
	if err := r.AllowCall(context.Background(), Call{Key: "acme", Cost: 7, Quota: 50, Burst: 9}); err != nil {
		t.Fatal(err)
	}
	req := st.reqs[len(st.reqs)-1]
	l := req.Limits[0]
	if l.Name != t.Name() || l.Algorithm != TokenBucket || l.Quota != 50 || l.Burst != 9 || l.Duration != time.Minute ||
		len(req.Costs) != 1 || req.Costs[0] != 7 || req.Keys[0] != "acme" {
		t.Fatalf("request %+v, limit %+v", req, *l)
	}
}
