package redisstore_test

import (
	"context"
	"testing"

	"github.com/throttlegen/throttlegen/runtime"
)

// BenchmarkGlobalAcquireRelease is an uncontended scope=global call: one
// script to take the lease and one to give it back.
func BenchmarkGlobalAcquireRelease(b *testing.B) {
	s, _ := newStore(b, slowOK)
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("bench"))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""))
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Name: "bench/global", Capacity: 1 << 20,
		ConsumerQuotas: []runtime.Quota{{Fraction: 0.5}}, Scope: runtime.ScopeGlobal})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		slot, err := lim.Acquire(ctx, "tenant")
		if err != nil {
			b.Fatal(err)
		}
		slot.Release()
	}
}
