package runtime

import (
	"context"
	"testing"
	"time"
)

// BenchmarkComposedSuccess is the success path of a wrapper with
// retry + timeout (context-first) + gcra, as generated.
func BenchmarkComposedSuccess(b *testing.B) {
	c := &composed{
		retry: NewRetry(RetrySpec{Name: "bench.Composed", Attempts: 3}),
		rate: NewRate("bench.Composed", RateSpec{Algorithm: GCRA, Quota: 1_000_000, Duration: time.Second,
			Burst: 1_000_000_000}),
		timeout: time.Second,
		fn:      func(ctx context.Context, tenant, id string) (string, error) { return id, nil },
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.call(ctx, "t", "x"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposedSuccessBudget adds a retry budget.
func BenchmarkComposedSuccessBudget(b *testing.B) {
	c := &composed{
		retry: NewRetry(RetrySpec{Name: "bench.ComposedBudget", Attempts: 3, Budget: 0.1}),
		rate: NewRate("bench.ComposedBudget", RateSpec{Algorithm: GCRA, Quota: 1_000_000, Duration: time.Second,
			Burst: 1_000_000_000}),
		timeout: time.Second,
		fn:      func(ctx context.Context, tenant, id string) (string, error) { return id, nil },
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.call(ctx, "t", "x"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposedCacheHit is a cache hit in front of the same policies.
func BenchmarkComposedCacheHit(b *testing.B) {
	c := &composed{
		cache: NewCache[composeKey, composeRes](CacheSpec{Name: "bench.CacheHit", TTL: time.Hour}),
		retry: NewRetry(RetrySpec{Name: "bench.CacheHit", Attempts: 3}),
		rate: NewRate("bench.CacheHit", RateSpec{Algorithm: GCRA, Quota: 1_000_000, Duration: time.Second,
			Burst: 1_000_000_000}),
		timeout: time.Second,
		fn:      func(ctx context.Context, tenant, id string) (string, error) { return id, nil },
	}
	ctx := context.Background()
	c.call(ctx, "t", "x")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.call(ctx, "t", "x"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWithTimeout(b *testing.B) {
	ctx := context.Background()
	b.Run("throttle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tctx := WithTimeout(ctx, time.Second)
			_ = TimeoutError(tctx, tctx.Err())
			tctx.Cancel()
		}
	})
	b.Run("throttle-Done", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tctx := WithTimeout(ctx, time.Second)
			_ = tctx.Done() // starts the timer
			tctx.Cancel()
		}
	})
	b.Run("context", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tctx, cancel := context.WithTimeout(ctx, time.Second)
			_ = tctx.Err()
			cancel()
		}
	})
}

func BenchmarkRunTimeout(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RunTimeout(ctx, time.Second, func() int { return 1 }); err != nil {
			b.Fatal(err)
		}
	}
}
