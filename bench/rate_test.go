package bench

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go/ratelimiter"
	"github.com/sethvargo/go-limiter/memorystore"
	"github.com/throttled/throttled/v2"
	"github.com/throttled/throttled/v2/store/memstore"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/memory"
	uber "go.uber.org/ratelimit"
	"golang.org/x/time/rate"

	"github.com/throttlegen/throttlegen/bench/wrapped"
	throttle "github.com/throttlegen/throttlegen/runtime"
)

// decider is one implementation of "may this call go ahead?" for one
// constant key, set up as generous (allowed) or exhausted (rejected).
type decider struct {
	name string
	// allowed and rejected build the decision function; nil when the peer
	// has no such path (uber's limiter paces, it never rejects).
	allowed, rejected func(b *testing.B) func() bool
}

// wideOpen is the rate the peers' allowed paths get: far above what a
// benchmark can use, so that no call waits or fails.
const wideOpen = 1_000_000_000

var constDeciders = []decider{
	{name: ours,
		allowed: func(b *testing.B) func() bool {
			useMemory()
			return func() bool { return wrapped.ConstThrottled(ctx) == nil }
		},
		rejected: func(b *testing.B) func() bool {
			useMemory()
			wrapped.TightThrottled(ctx)
			err := wrapped.TightThrottled(ctx)
			if !errors.Is(err, throttle.ErrThrottled) {
				b.Fatalf("second call of Tight: %v, want a rejection", err)
			}
			return func() bool { return wrapped.TightThrottled(ctx) == nil }
		}},
	{name: "xtime",
		allowed: func(b *testing.B) func() bool {
			l := rate.NewLimiter(wideOpen, wideOpen)
			return l.Allow
		},
		rejected: func(b *testing.B) func() bool {
			l := rate.NewLimiter(rate.Every(time.Hour), 1)
			l.Allow()
			return l.Allow
		}},
	{name: "uber",
		allowed: func(b *testing.B) func() bool {
			l := uber.New(wideOpen)
			return func() bool { l.Take(); return true }
		}},
	{name: "failsafe-smooth",
		allowed: func(b *testing.B) func() bool {
			return ratelimiter.NewSmooth[any](wideOpen, time.Second).TryAcquirePermit
		},
		rejected: func(b *testing.B) func() bool {
			l := ratelimiter.NewSmooth[any](1, time.Hour)
			l.TryAcquirePermit()
			return l.TryAcquirePermit
		}},
	{name: "failsafe-bursty",
		allowed: func(b *testing.B) func() bool {
			return ratelimiter.NewBursty[any](wideOpen*1000, time.Second).TryAcquirePermit
		},
		rejected: func(b *testing.B) func() bool {
			l := ratelimiter.NewBursty[any](1, time.Hour)
			l.TryAcquirePermit()
			return l.TryAcquirePermit
		}},
	{name: "sethvargo",
		allowed: func(b *testing.B) func() bool {
			return sethvargoTake(b, "k", wideOpen*1000, time.Hour)
		},
		rejected: func(b *testing.B) func() bool {
			take := sethvargoTake(b, "k", 1, time.Hour)
			take()
			return take
		}},
	{name: "throttled",
		allowed: func(b *testing.B) func() bool {
			return throttledTake(b, "k", throttled.PerSec(1000), 1_000_000_000)
		},
		rejected: func(b *testing.B) func() bool {
			take := throttledTake(b, "k", throttled.PerHour(1), 0)
			take()
			return take
		}},
	{name: "ulule",
		allowed: func(b *testing.B) func() bool {
			return luleTake(b, "k", wideOpen*1000, time.Second)
		},
		rejected: func(b *testing.B) func() bool {
			take := luleTake(b, "k", 1, time.Hour)
			take()
			return take
		}},
}

// sethvargoTake returns go-limiter's decision on key. Its refill formula
// (interval/tokens tokens per elapsed tick) gives a generous limit next to
// nothing at the first tick, so generous limits use a one-hour interval: the
// initial tokens last the whole benchmark.
func sethvargoTake(b *testing.B, key string, tokens uint64, interval time.Duration) func() bool {
	s, err := memorystore.New(&memorystore.Config{Tokens: tokens, Interval: interval})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(ctx) })
	return func() bool {
		_, _, _, ok, _ := s.Take(ctx, key)
		return ok
	}
}

func throttledLimiter(b *testing.B, r throttled.Rate, burst int) *throttled.GCRARateLimiterCtx {
	st, err := memstore.NewCtx(0)
	if err != nil {
		b.Fatal(err)
	}
	l, err := throttled.NewGCRARateLimiterCtx(st, throttled.RateQuota{MaxRate: r, MaxBurst: burst})
	if err != nil {
		b.Fatal(err)
	}
	// Under contention throttled retries its compare-and-swap up to 10
	// times and then fails the call; let it retry as long as it needs.
	l.SetMaxCASAttemptsLimit(1 << 30)
	return l
}

func throttledTake(b *testing.B, key string, r throttled.Rate, burst int) func() bool {
	l := throttledLimiter(b, r, burst)
	return func() bool {
		limited, _, err := l.RateLimitCtx(ctx, key, 1)
		return !limited && err == nil
	}
}

func luleTake(b *testing.B, key string, n int64, period time.Duration) func() bool {
	l := limiter.New(memory.NewStore(), limiter.Rate{Period: period, Limit: n})
	return func() bool {
		c, err := l.Get(ctx, key)
		return err == nil && !c.Reached
	}
}

// BenchmarkRate is issue 3 on one constant key: allowed and rejected paths,
// sequential and from every P at once.
func BenchmarkRate(b *testing.B) {
	defer useDefault()
	for _, path := range []string{"allowed", "rejected"} {
		want := path == "allowed"
		for _, d := range constDeciders {
			mk := d.allowed
			if !want {
				mk = d.rejected
			}
			if mk == nil {
				continue
			}
			b.Run("const/"+path+"/seq/"+d.name, func(b *testing.B) {
				decide := mk(b)
				if decide() != want {
					b.Fatalf("%s: warm-up decision is not %s", d.name, path)
				}
				b.ReportAllocs()
				for b.Loop() {
					if decide() != want {
						b.Fatalf("%s: decision is not %s", d.name, path)
					}
				}
			})
			b.Run("const/"+path+"/par/"+d.name, func(b *testing.B) {
				decide := mk(b)
				if decide() != want {
					b.Fatalf("%s: warm-up decision is not %s", d.name, path)
				}
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if decide() != want {
							b.Errorf("%s: decision is not %s", d.name, path)
							return
						}
					}
				})
			})
		}
	}
}

// keys returns n distinct keys.
func keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = "user-" + strconv.Itoa(i)
	}
	return ks
}

// keyedDeciders decide per key; every one admits every call of the benchmark.
var keyedDeciders = []struct {
	name string
	mk   func(b *testing.B) func(key string) bool
}{
	{ours, func(b *testing.B) func(string) bool {
		useMemory()
		return func(k string) bool { return wrapped.KeyedThrottled(ctx, k) == nil }
	}},
	{"sethvargo", func(b *testing.B) func(string) bool {
		s, err := memorystore.New(&memorystore.Config{Tokens: wideOpen * 1000, Interval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close(ctx) })
		return func(k string) bool { _, _, _, ok, _ := s.Take(ctx, k); return ok }
	}},
	{"throttled", func(b *testing.B) func(string) bool {
		l := throttledLimiter(b, throttled.PerSec(1000), 1_000_000_000)
		return func(k string) bool { limited, _, err := l.RateLimitCtx(ctx, k, 1); return !limited && err == nil }
	}},
	{"ulule", func(b *testing.B) func(string) bool {
		l := limiter.New(memory.NewStore(), limiter.Rate{Period: time.Second, Limit: wideOpen * 1000})
		return func(k string) bool { c, err := l.Get(ctx, k); return err == nil && !c.Reached }
	}},
}

// BenchmarkRateKeys is issue 3 with 100,000 keys cycled, every key seen once
// before the clock starts.
func BenchmarkRateKeys(b *testing.B) {
	defer useDefault()
	ks := keys(100_000)
	for _, d := range keyedDeciders {
		b.Run("keys100k/seq/"+d.name, func(b *testing.B) {
			decide := d.mk(b)
			for _, k := range ks {
				decide(k)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if !decide(ks[i]) {
					b.Fatalf("%s rejected key %s", d.name, ks[i])
				}
				if i++; i == len(ks) {
					i = 0
				}
			}
		})
		b.Run("keys100k/par/"+d.name, func(b *testing.B) {
			decide := d.mk(b)
			for _, k := range ks {
				decide(k)
			}
			b.ReportAllocs()
			b.ResetTimer() // the keys' first calls are setup
			var next atomicCounter
			b.RunParallel(func(pb *testing.PB) {
				i := next.start(len(ks))
				for pb.Next() {
					if !decide(ks[i]) {
						b.Errorf("%s rejected key %s", d.name, ks[i])
						return
					}
					if i++; i == len(ks) {
						i = 0
					}
				}
			})
		})
	}
}
