package runtime

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// Benchmarks of the hot paths on the default in-memory store and the system
// clock. Run with -benchmem: the allowed paths make no allocation, a
// rejection at most one (the *ThrottledError; identical rejections in one
// microsecond share it).

var benchAlgorithms = []Algorithm{GCRA, TokenBucket, FixedWindow, SlidingWindow}

func benchRate(b *testing.B, name string, alg Algorithm, quota int64, d time.Duration) *Rate {
	b.Helper()
	Configure(WithStore(nil), WithKeyspace(""), WithHook(nil), WithClock(nil))
	return NewRate("bench."+name+"."+alg.String()+"."+strconv.FormatInt(quota, 10),
		RateSpec{Algorithm: alg, Quota: quota, Duration: d})
}

func BenchmarkRateAllowed(b *testing.B) {
	for _, alg := range benchAlgorithms {
		b.Run(alg.String(), func(b *testing.B) {
			r := benchRate(b, "allowed", alg, 1<<40, time.Microsecond)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Allow(ctx, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRateRejected(b *testing.B) {
	for _, alg := range benchAlgorithms {
		b.Run(alg.String(), func(b *testing.B) {
			r := benchRate(b, "rejected", alg, 1, time.Hour)
			ctx := context.Background()
			r.Allow(ctx, "")
			b.ReportAllocs()
			for b.Loop() {
				if r.Allow(ctx, "") == nil {
					b.Fatal("admitted")
				}
			}
		})
	}
}

func BenchmarkRateAllowedParallel(b *testing.B) {
	for _, alg := range benchAlgorithms {
		b.Run(alg.String(), func(b *testing.B) {
			r := benchRate(b, "allowedpar", alg, 1<<40, time.Microsecond)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := r.Allow(ctx, ""); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkRateRejectedParallel(b *testing.B) {
	r := benchRate(b, "rejectedpar", GCRA, 1, time.Hour)
	ctx := context.Background()
	r.Allow(ctx, "")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r.Allow(ctx, "") == nil {
				b.Fatal("admitted")
			}
		}
	})
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i)
	}
	return keys
}

// cycleKeys decides every key once before the clock starts, then cycles
// through keys, one decision per iteration.
func cycleKeys(b *testing.B, r *Rate, keys []string) {
	ctx := context.Background()
	for _, k := range keys {
		r.Allow(ctx, k)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := r.Allow(ctx, keys[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(keys) {
			i = 0
		}
	}
}

// BenchmarkRateKeys100k cycles through 100,000 keys.
func BenchmarkRateKeys100k(b *testing.B) {
	keys := benchKeys(100_000)
	for _, alg := range []Algorithm{GCRA, TokenBucket} {
		b.Run(alg.String(), func(b *testing.B) {
			cycleKeys(b, benchRate(b, "keys", alg, 1<<40, time.Microsecond), keys)
		})
	}
}

func BenchmarkRateKeys100kParallel(b *testing.B) {
	keys := benchKeys(100_000)
	r := benchRate(b, "keyspar", GCRA, 1<<40, time.Microsecond)
	ctx := context.Background()
	for _, k := range keys {
		r.Allow(ctx, k)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := r.Allow(ctx, keys[i]); err != nil {
				b.Fatal(err)
			}
			if i++; i == len(keys) {
				i = 0
			}
		}
	})
}

// BenchmarkRateMultiLimit decides two limits per call.
func BenchmarkRateMultiLimit(b *testing.B) {
	Configure(WithStore(nil), WithKeyspace(""), WithHook(nil), WithClock(nil))
	r := NewRate("bench.multi",
		RateSpec{Name: "bench.multi/a", Algorithm: GCRA, Quota: 1 << 40, Duration: time.Microsecond},
		RateSpec{Name: "bench.multi/b", Algorithm: FixedWindow, Quota: 1 << 40, Duration: time.Second})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.AllowKeys(ctx, "", "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryBytesPerIdleKey reports the heap one million keys retain
// in a gcra limit, per key.
func BenchmarkMemoryBytesPerIdleKey(b *testing.B) {
	const n = 1_000_000
	keys := benchKeys(n)
	l := &Limit{Name: "bytes", Algorithm: GCRA, Quota: 10, Duration: time.Hour}
	p := mustParams(l)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := NewMemoryStore()
		tab := s.table("bench", l)
		for _, k := range keys {
			tab.decideOne(&p, k, 1, 0, 1)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/key")
		runtime.KeepAlive(s)
	}
}
