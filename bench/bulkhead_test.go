package bench

import (
	"errors"
	"testing"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/bulkhead"

	"github.com/throttlegen/throttlegen/bench/wrapped"
	throttle "github.com/throttlegen/throttlegen/runtime"
)

var errFull = errors.New("bulkhead full")

// work is the peers' stand-in for the wrapped function.
//
//go:noinline
func work(tenant string) error { return nil }

// BenchmarkBulkhead is issue 5: an uncontended acquire and release around a
// call. throttlegen's wrapper also checks a consumer quota and a priority
// quota; failsafe-go's bulkhead has neither. "failsafe-permit" is the
// cheapest way to use it (TryAcquirePermit and ReleasePermit by hand),
// "failsafe" its executor.
func BenchmarkBulkhead(b *testing.B) {
	const capacity = 1_000_000
	pctx := throttle.WithPriority(ctx, throttle.PriorityNormal)
	impls := []struct {
		name string
		mk   func() func() error
	}{
		{ours, func() func() error {
			return func() error { return wrapped.BulkheadThrottled(pctx, "tenant") }
		}},
		{"failsafe-permit", func() func() error {
			bh := bulkhead.New[any](capacity)
			return func() error {
				if !bh.TryAcquirePermit() {
					return errFull
				}
				defer bh.ReleasePermit()
				return work("tenant")
			}
		}},
		{"failsafe", func() func() error {
			ex := failsafe.With[any](bulkhead.New[any](capacity))
			return func() error { return ex.Run(func() error { return work("tenant") }) }
		}},
	}
	for _, im := range impls {
		b.Run("uncontended/"+im.name, func(b *testing.B) {
			call := im.mk()
			if err := call(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
