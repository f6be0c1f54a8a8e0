package runtime

import (
	"context"
	"testing"
	"time"
)

// Benchmarks of issue 12's paths against the constant one they stand next
// to, in one run: a per-call quota against a constant quota (const),
// cost=8 against cost=1, a limit with an override in force against the same
// limit without (const), and a keyed limit with an override for another key
// against the same keyed limit without (keyed). Compare the sub-benchmarks
// of one run as ratios.

func BenchmarkRateOperate(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, allow func() error) {
		b.ReportAllocs()
		for b.Loop() {
			if err := allow(); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, alg := range []Algorithm{GCRA, SlidingWindow} {
		b.Run(alg.String(), func(b *testing.B) {
			b.Run("const", func(b *testing.B) {
				r := benchRate(b, "operate.const", alg, 1<<40, time.Microsecond)
				run(b, func() error { return r.Allow(ctx, "") })
			})
			b.Run("percall", func(b *testing.B) {
				benchRate(b, "", alg, 1, time.Microsecond) // the configuration
				r := NewRate("bench.operate.percall."+alg.String(), RateSpec{Algorithm: alg, Duration: time.Microsecond, PerCall: PerCallQuota})
				run(b, func() error { return r.AllowCall(ctx, Call{Cost: 1, Quota: 1 << 40}) })
			})
			b.Run("cost1", func(b *testing.B) {
				r := benchRate(b, "operate.cost1", alg, 1<<40, time.Microsecond)
				run(b, func() error { return r.AllowCall(ctx, Call{Cost: 1}) })
			})
			b.Run("cost8", func(b *testing.B) {
				r := benchRate(b, "operate.cost8", alg, 1<<40, time.Microsecond)
				run(b, func() error { return r.AllowCall(ctx, Call{Cost: 8}) })
			})
			b.Run("override", func(b *testing.B) {
				r := benchRate(b, "operate.override", alg, 1<<40, time.Microsecond)
				s := &r.specs[0]
				Configure(WithOverrides(Overrides{&overrideSet{rate: map[limitID]*rateOverrides{
					{s.Name, alg}: {all: &rateOverride{has: ovQuota, Quota: 1 << 41}},
				}}}))
				b.Cleanup(func() { Configure(WithOverrides(Overrides{})) })
				run(b, func() error { return r.Allow(ctx, "") })
			})
			b.Run("keyed", func(b *testing.B) {
				r := benchRate(b, "operate.keyed", alg, 1<<40, time.Microsecond)
				run(b, func() error { return r.Allow(ctx, "other") })
			})
			b.Run("keyoverride", func(b *testing.B) {
				r := benchRate(b, "operate.keyoverride", alg, 1<<40, time.Microsecond)
				s := &r.specs[0]
				Configure(WithOverrides(Overrides{&overrideSet{rate: map[limitID]*rateOverrides{
					{s.Name, alg}: {keys: map[string]*rateOverride{"acme": {has: ovQuota, Quota: 1 << 41}}},
				}}}))
				b.Cleanup(func() { Configure(WithOverrides(Overrides{})) })
				run(b, func() error { return r.Allow(ctx, "other") })
			})
		})
	}
}
