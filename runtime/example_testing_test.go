package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// Tests drive time with a fake clock: limits, waits, timeouts, retry
// back-offs and cache expiry all read it. In a test:
//
//	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
//	t.Cleanup(runtime.SaveConfig())
//	runtime.Configure(runtime.WithClock(clk), runtime.WithStore(runtime.NewMemoryStore()))
func ExampleWithClock() {
	defer runtime.SaveConfig()()
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	runtime.Configure(runtime.WithClock(clk), runtime.WithStore(runtime.NewMemoryStore()))

	lim := runtime.NewRateLimiter("example.com/reports",
		runtime.RateSpec{Algorithm: runtime.TokenBucket, Quota: 1, Duration: time.Minute})
	ctx := context.Background()
	fmt.Println(lim.Allow(ctx, ""))
	fmt.Println(lim.Allow(ctx, ""))
	clk.Advance(time.Minute)
	fmt.Println(lim.Allow(ctx, ""))
	// Output:
	// <nil>
	// throttle: token_bucket example.com/reports: rejected due to quota, retry after 1m0s
	// <nil>
}

// Tests of code that calls wrappers switch limits off so that they never
// get in the way; in a test:
//
//	t.Cleanup(runtime.SaveConfig())
//	runtime.Configure(runtime.WithLimitsOff(true))
func ExampleWithLimitsOff() {
	defer runtime.SaveConfig()()
	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore()))
	lim := runtime.NewRateLimiter("example.com/search",
		runtime.RateSpec{Algorithm: runtime.FixedWindow, Quota: 1, Duration: time.Hour})
	ctx := context.Background()

	limitsOn := runtime.SaveConfig()
	runtime.Configure(runtime.WithLimitsOff(true))
	for range 3 {
		fmt.Println("off:", lim.Allow(ctx, "") == nil)
	}
	limitsOn()
	for range 2 {
		fmt.Println("on:", lim.Allow(ctx, "") == nil)
	}
	// Output:
	// off: true
	// off: true
	// off: true
	// on: true
	// on: false
}

// SaveConfig returns a function that restores the configuration in force
// when it was called: store, keyspace, hook and clock. Tests hand it to
// t.Cleanup, so that each test leaves the configuration as it found it:
//
//	t.Cleanup(runtime.SaveConfig())
//	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore()), runtime.WithHook(h))
func ExampleSaveConfig() {
	lim := runtime.NewRateLimiter("example.com/profile",
		runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 100, Duration: time.Second})
	ctx := context.Background()

	restore := runtime.SaveConfig()
	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore()), runtime.WithHook(printHook{}))
	_ = lim.Allow(ctx, "ada") // seen by the hook
	restore()
	_ = lim.Allow(ctx, "grace") // no hook any more
	// Output:
	// gcra example.com/profile ada allowed
}
