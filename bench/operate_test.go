package bench

import (
	"testing"

	"github.com/throttlegen/throttlegen/bench/wrapped"
	throttle "github.com/throttlegen/throttlegen/runtime"
)

// BenchmarkOperate is issue 12: the paths that let operators change limits
// while the program runs, each against the constant path it stands next to,
// in memory, through the generated wrappers:
//
//   - percall: Tier, a per-call quota of 1000, against Open's constant 1000;
//   - cost: Weighted with cost=8 against cost=1;
//   - override: Open with an override in force against Open without;
//   - shadow: Shadowed (mode=shadow) against Open (enforced); no target.
func BenchmarkOperate(b *testing.B) {
	defer useDefault()
	run := func(b *testing.B, call func() error) {
		useMemory()
		b.ReportAllocs()
		for b.Loop() {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
	}
	open := func() error { return wrapped.OpenThrottled(ctx) }
	b.Run("percall/"+ours, func(b *testing.B) { run(b, func() error { return wrapped.TierThrottled(ctx, 1000) }) })
	b.Run("percall/const", func(b *testing.B) { run(b, open) })
	b.Run("cost/"+ours, func(b *testing.B) { run(b, func() error { return wrapped.WeightedThrottled(ctx, 8) }) })
	b.Run("cost/cost1", func(b *testing.B) { run(b, func() error { return wrapped.WeightedThrottled(ctx, 1) }) })
	b.Run("override/"+ours, func(b *testing.B) {
		o, err := throttle.ParseOverrides("github.com/throttlegen/throttlegen/bench/wrapped.Open gcra quota=2000\n")
		if err != nil {
			b.Fatal(err)
		}
		throttle.Configure(throttle.WithOverrides(o))
		defer throttle.Configure(throttle.WithOverrides(throttle.Overrides{}))
		b.ReportAllocs()
		for b.Loop() {
			if err := open(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("override/none", func(b *testing.B) { run(b, open) })
	b.Run("shadow/"+ours, func(b *testing.B) { run(b, func() error { return wrapped.ShadowedThrottled(ctx) }) })
	b.Run("shadow/enforce", func(b *testing.B) { run(b, open) })
}
