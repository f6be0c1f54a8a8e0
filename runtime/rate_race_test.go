package runtime

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hammer calls f from many goroutines and returns how many calls it admitted.
func hammer(goroutines, calls int, f func(g, i int) error) int64 {
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				if f(g, i) == nil {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return admitted.Load()
}

// TestRateConcurrentNeverExceeds runs many goroutines against each algorithm
// with the clock stopped: exactly the quota (or burst) is admitted, never
// more. Run it with -race.
func TestRateConcurrentNeverExceeds(t *testing.T) {
	cases := []struct {
		spec RateSpec
		want int64
	}{
		{RateSpec{Algorithm: FixedWindow, Quota: 100, Duration: time.Hour}, 100},
		{RateSpec{Algorithm: SlidingWindow, Quota: 100, Duration: time.Hour}, 100},
		{RateSpec{Algorithm: TokenBucket, Quota: 10, Burst: 100, Duration: time.Hour}, 100},
		{RateSpec{Algorithm: GCRA, Quota: 10, Burst: 100, Duration: time.Hour}, 100},
		{RateSpec{Algorithm: LeakyBucket, Quota: 10, Duration: time.Hour, Bucket: 0}, 1},
	}
	for _, c := range cases {
		t.Run(c.spec.Algorithm.String(), func(t *testing.T) {
			rateFakeClock(t)
			r := NewRate(t.Name(), c.spec)
			ctx := context.Background()
			if got := hammer(16, 50, func(int, int) error { return r.Allow(ctx, "") }); got != c.want {
				t.Fatalf("unkeyed: admitted %d, want %d", got, c.want)
			}
			keyed := func(g, i int) error { return r.Allow(ctx, "k"+strconv.Itoa(i%4)) }
			if got := hammer(16, 100, keyed); got != 4*c.want {
				t.Fatalf("4 keys: admitted %d, want %d", got, 4*c.want)
			}
		})
	}
}

// TestRateConcurrentAllOrNothing checks, under contention, that a function
// with two limits never lets one of them count a call the other rejected.
func TestRateConcurrentAllOrNothing(t *testing.T) {
	rateFakeClock(t)
	r := NewRate(t.Name(),
		RateSpec{Name: t.Name() + "/keyed", Algorithm: FixedWindow, Quota: 50, Duration: time.Hour, Keyed: true},
		RateSpec{Name: t.Name() + "/all", Algorithm: GCRA, Quota: 1, Burst: 120, Duration: time.Hour})
	ctx := context.Background()
	got := hammer(16, 100, func(g, i int) error { return r.AllowKeys(ctx, "k"+strconv.Itoa(g%2), "") })
	if got != 100 {
		t.Fatalf("admitted %d, want 2 keys × 50", got)
	}
	// /all counted 100 of its 120: 20 more calls on a third key pass.
	more := hammer(4, 10, func(g, i int) error { return r.AllowKeys(ctx, "other", "") })
	if more != 20 {
		t.Fatalf("afterwards admitted %d on the shared limit, want 20", more)
	}
}

// TestRateConcurrentMixedPaths shares one unkeyed gcra limit between a
// function with two limits (locked path) and a function with one (lock-free
// path): together they never exceed its burst.
func TestRateConcurrentMixedPaths(t *testing.T) {
	rateFakeClock(t)
	shared := RateSpec{Name: t.Name() + "/all", Algorithm: GCRA, Quota: 1, Burst: 120, Duration: time.Hour}
	multi := NewRate(t.Name()+".multi",
		RateSpec{Name: t.Name() + "/keyed", Algorithm: FixedWindow, Quota: 1000, Duration: time.Hour, Keyed: true}, shared)
	single := NewRate(t.Name()+".single", shared)
	ctx := context.Background()
	var a, b int64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		a = hammer(8, 100, func(g, i int) error { return multi.AllowKeys(ctx, "k"+strconv.Itoa(g), "") })
	}()
	go func() {
		defer wg.Done()
		b = hammer(8, 100, func(int, int) error { return single.Allow(ctx, "") })
	}()
	wg.Wait()
	if a+b != 120 {
		t.Fatalf("admitted %d + %d, want 120 in all", a, b)
	}
}
