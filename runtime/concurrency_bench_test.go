package runtime

import (
	"context"
	"testing"
)

func benchLimiter() *Concurrency {
	return NewConcurrency(ConcurrencySpec{Capacity: 1 << 20, Queue: 10,
		ConsumerQuotas: []Quota{{Fraction: 0.7}, {Name: "billing", Fraction: 0.3}},
		PriorityQuotas: []Quota{{Name: "normal", Fraction: 0.9}}})
}

// BenchmarkConcurrencyUncontended is what a generated wrapper with quotas
// does per call when nobody competes for the slot.
func BenchmarkConcurrencyUncontended(b *testing.B) {
	c := benchLimiter()
	ctx := WithPriority(context.Background(), PriorityNormal)
	b.ReportAllocs()
	for b.Loop() {
		s, err := c.Acquire(ctx, "tenant")
		if err != nil {
			b.Fatal(err)
		}
		s.Release()
	}
}

// BenchmarkConcurrencyNoQuotas is the plain bulkhead.
func BenchmarkConcurrencyNoQuotas(b *testing.B) {
	c := NewConcurrency(ConcurrencySpec{Capacity: 1 << 20})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := c.Acquire(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		s.Release()
	}
}

// BenchmarkConcurrencyParallel is acquire+release from every P at once.
func BenchmarkConcurrencyParallel(b *testing.B) {
	c := benchLimiter()
	ctx := WithPriority(context.Background(), PriorityNormal)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, err := c.Acquire(ctx, "tenant")
			if err != nil {
				b.Error(err)
				return
			}
			s.Release()
		}
	})
}
