package bench

import (
	"context"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/ratelimiter"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/failsafe-go/failsafe-go/timeout"

	"github.com/throttlegen/throttlegen/bench/wrapped"
)

// getUser is the peers' stand-in for wrapped.GetUser.
//
//go:noinline
func getUser(ctx context.Context, tenant, id string) (string, error) { return id, nil }

// BenchmarkCompose is issue 6: the success path of retry → rate limit →
// timeout around a context-first call. failsafe-go composes the same
// policies in the same order, and gets the caller's context per call with
// WithContext, as a context-first wrapper must.
func BenchmarkCompose(b *testing.B) {
	defer useDefault()
	impls := []struct {
		name string
		mk   func() func(ctx context.Context) (string, error)
	}{
		{ours, func() func(context.Context) (string, error) {
			useMemory()
			return func(ctx context.Context) (string, error) { return wrapped.GetUserThrottled(ctx, "t", "x") }
		}},
		{"failsafe", func() func(context.Context) (string, error) {
			ex := failsafe.With[string](
				retrypolicy.NewBuilder[string]().WithMaxAttempts(3).Build(),
				ratelimiter.NewSmooth[string](wideOpen, time.Second),
				timeout.New[string](time.Second))
			return func(ctx context.Context) (string, error) {
				return ex.WithContext(ctx).GetWithExecution(func(e failsafe.Execution[string]) (string, error) {
					return getUser(e.Context(), "t", "x")
				})
			}
		}},
	}
	for _, im := range impls {
		b.Run("success/"+im.name, func(b *testing.B) {
			call := im.mk()
			if _, err := call(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if v, err := call(ctx); err != nil || v != "x" {
					b.Fatalf("got %q, %v", v, err)
				}
			}
		})
	}
}
