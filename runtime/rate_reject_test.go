package runtime

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestRateRejectionsShared checks the rejection cache: a rejection identical
// to the previous one (same limit, key, reason and RetryAfter) is the same
// read-only *ThrottledError, and any difference yields a new one carrying
// the right fields.
func TestRateRejectionsShared(t *testing.T) {
	for _, alg := range []Algorithm{GCRA, TokenBucket, FixedWindow, SlidingWindow} {
		t.Run(alg.String(), func(t *testing.T) {
			clk := rateFakeClock(t)
			name := rateUnique(t)
			r := NewRate(name, RateSpec{Algorithm: alg, Quota: 1, Duration: time.Second})
			ctx := context.Background()
			for _, key := range []string{"", "a", "b"} {
				if err := r.Allow(ctx, key); err != nil {
					t.Fatalf("key %q: first call: %v", key, err)
				}
			}
			first := rateThrottled(t, r.Allow(ctx, "a"))
			if again := rateThrottled(t, r.Allow(ctx, "a")); again != first {
				t.Errorf("identical rejection at the same instant: a new error %p, want %p", again, first)
			}
			other := rateThrottled(t, r.Allow(ctx, "b"))
			if other == first || other.Key != "b" || first.Key != "a" {
				t.Errorf("key b: got %+v (first %+v), want its own rejection", *other, *first)
			}
			clk.Advance(time.Microsecond)
			later := rateThrottled(t, r.Allow(ctx, "b"))
			if later == other || later.RetryAfter != other.RetryAfter-time.Microsecond {
				t.Errorf("a microsecond later: %+v (before %+v), want a new rejection 1µs shorter", *later, *other)
			}
			if first.Key != "a" || first.RetryAfter != time.Second || first.Name != name || first.Policy != alg.String() {
				t.Errorf("the first rejection changed: %+v", *first)
			}
		})
	}
}

// TestRateRejectionsSharedConcurrently checks under -race that rejections
// shared by concurrent callers are only read.
func TestRateRejectionsSharedConcurrently(t *testing.T) {
	useRateConfig(t, WithStore(NewMemoryStore()))
	r := NewRate(rateUnique(t), RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour})
	ctx := context.Background()
	r.Allow(ctx, "")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				var te *ThrottledError
				if err := r.Allow(ctx, ""); !errors.As(err, &te) {
					t.Errorf("err = %v, want a rejection", err)
					return
				}
				if te.RetryAfter <= 0 || te.RetryAfter > time.Hour || te.Reason != ReasonQuota || te.Key != "" {
					t.Errorf("rejection %+v", *te)
					return
				}
			}
		}()
	}
	wg.Wait()
}
