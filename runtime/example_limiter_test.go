package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// A limit for code that cannot carry a directive: a worker calls a vendor
// for each job, at most twice an hour per tenant.
func ExampleNewRateLimiter() {
	defer runtime.SaveConfig()()
	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore())) // a fresh store, for the example

	vendor := runtime.NewRateLimiter("example.com/jobs.vendor",
		runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 2, Duration: time.Hour})

	ctx := context.Background()
	for _, tenant := range []string{"acme", "acme", "acme", "globex"} {
		err := vendor.Allow(ctx, tenant)
		var te *runtime.ThrottledError
		switch {
		case err == nil:
			fmt.Println(tenant, "runs")
		case errors.As(err, &te):
			fmt.Printf("%s waits: %s, retry in %v\n", tenant, te.Reason, te.RetryAfter.Round(time.Minute))
		default:
			fmt.Println(tenant, err)
		}
	}
	// Output:
	// acme runs
	// acme runs
	// acme waits: rejected due to quota, retry in 30m0s
	// globex runs
}

// printHook prints every decision it sees.
type printHook struct{}

func (printHook) OnDecision(e runtime.Event) {
	if e.Allowed {
		fmt.Println(e.Policy, e.Name, e.Key, "allowed")
		return
	}
	fmt.Println(e.Policy, e.Name, e.Key, e.Reason)
}

// Limits created from code are seen by the configured hook, as wrappers'
// are; so is a concurrency limiter created with NewConcurrency.
func ExampleNewRateLimiter_hook() {
	defer runtime.SaveConfig()()
	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore()), runtime.WithHook(printHook{}))

	exports := runtime.NewRateLimiter("example.com/exports",
		runtime.RateSpec{Algorithm: runtime.FixedWindow, Quota: 1, Duration: time.Hour})
	workers := runtime.NewConcurrency(runtime.ConcurrencySpec{Name: "example.com/exports.workers", Capacity: 4})

	ctx := context.Background()
	for range 2 {
		if exports.Allow(ctx, "acme") != nil {
			continue
		}
		_ = workers.Do(ctx, "acme", func(context.Context) error { return nil })
	}
	// Output:
	// fixed_window example.com/exports acme allowed
	// concurrency example.com/exports.workers acme allowed
	// fixed_window example.com/exports acme rejected due to quota
}
