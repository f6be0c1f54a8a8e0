package wrapped

import (
	"context"
	"errors"
	"testing"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// TestWrappersThrottle checks that the benchmarked wrappers do decide: a
// benchmark of a wrapper that skipped its limiter would measure nothing.
func TestWrappersThrottle(t *testing.T) {
	throttle.Configure(throttle.WithStore(throttle.NewMemoryStore()))
	defer throttle.Configure(throttle.WithStore(nil))
	ctx := context.Background()
	if err := TightThrottled(ctx); err != nil {
		t.Fatalf("first call: %v", err)
	}
	err := TightThrottled(ctx)
	var te *throttle.ThrottledError
	if !errors.As(err, &te) || te.Policy != "gcra" || te.RetryAfter <= 0 {
		t.Fatalf("second call: %v, want a gcra rejection with RetryAfter > 0", err)
	}
	if err := IdleThrottled(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		IdleThrottled(ctx, "b")
	}
	if err := IdleThrottled(ctx, "b"); !errors.Is(err, throttle.ErrThrottled) {
		t.Fatalf("11th call of one key: %v, want ErrThrottled", err)
	}
	if err := IdleThrottled(ctx, "a"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if v, err := GetUserThrottled(ctx, "t", "x"); v != "x" || err != nil {
		t.Fatalf("GetUserThrottled = %q, %v", v, err)
	}
	if err := BulkheadThrottled(throttle.WithPriority(ctx, throttle.PriorityNormal), "tenant"); err != nil {
		t.Fatal(err)
	}
}
