package runtime_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/throttlegen/throttlegen/runtime"
)

// A limiter used directly, without generated wrappers: at most 2 calls at
// once, no consumer above half of that.
func ExampleConcurrency_Do() {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{
		Name:           "example.com/reports",
		Capacity:       2,
		ConsumerQuotas: []runtime.Quota{{Fraction: 0.5}},
	})
	ctx := context.Background()
	err := lim.Do(ctx, "billing", func(ctx context.Context) error {
		// billing holds its one slot: a second billing call is rejected.
		return lim.Do(ctx, "billing", func(context.Context) error { return nil })
	})
	var te *runtime.ThrottledError
	if errors.As(err, &te) {
		fmt.Println(te.Reason)
	}
	// Output: rejected due to consumer quota
}

// Acquire and Release bracket a call, as generated wrappers do; the
// priority travels in the context.
func ExampleConcurrency_Acquire() {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{
		Capacity:       10,
		Queue:          5,
		PriorityQuotas: []runtime.Quota{{Name: "low", Fraction: 0.3}},
	})
	ctx := runtime.WithPriority(context.Background(), runtime.PriorityLow)
	slot, err := lim.Acquire(ctx, "batch")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer slot.Release()
	fmt.Println(lim.Stats().Running, "running")
	// Output: 1 running
}
