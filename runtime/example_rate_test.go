package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// The limiter generated code builds for
//
//	//throttle:gcra quota=2 duration=1h key=tenant
//	func GetUser(ctx context.Context, tenant, id string) (*User, error)
//
// and what its wrapper does on each call.
func ExampleNewRate() {
	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore())) // the default, made explicit

	limiter := runtime.NewRate("example.com/users.GetUser",
		runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 2, Duration: time.Hour, Keyed: true})

	ctx := context.Background()
	for i, tenant := range []string{"acme", "acme", "acme", "globex"} {
		err := limiter.Allow(ctx, tenant)
		var te *runtime.ThrottledError
		switch {
		case err == nil:
			fmt.Println(i, tenant, "admitted")
		case errors.As(err, &te):
			fmt.Println(i, tenant, te.Policy, te.Reason, te.RetryAfter > 0)
		}
	}
	// Output:
	// 0 acme admitted
	// 1 acme admitted
	// 2 acme gcra rejected due to quota true
	// 3 globex admitted
}

// A function with several rate directives is admitted only when all of them
// admit it; a rejected call consumes from none.
func ExampleRate_AllowKeys() {
	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore()))

	limiter := runtime.NewRate("example.com/users.Search",
		runtime.RateSpec{Name: "search-per-user", Algorithm: runtime.SlidingWindow, Quota: 1, Duration: time.Hour, Keyed: true},
		runtime.RateSpec{Name: "search-total", Algorithm: runtime.FixedWindow, Quota: 100, Duration: 24 * time.Hour})

	ctx := context.Background()
	fmt.Println(limiter.AllowKeys(ctx, "alice", ""))
	err := limiter.AllowKeys(ctx, "alice", "")
	fmt.Println(errors.Is(err, runtime.ErrThrottled), err.(*runtime.ThrottledError).Name)
	// Output:
	// <nil>
	// true search-per-user
}
