package bench

import (
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/throttlegen/throttlegen/bench/wrapped"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// BenchmarkRedisHot is issue 13: decisions per second from 64 goroutines on
// one key far over its limit, through Redis. throttlegen remembers the
// store's rejection and its RetryAfter (the hot-key rejection memory),
// redis_rate asks Redis every time.
func BenchmarkRedisHot(b *testing.B) {
	defer useDefault()
	impls := []struct {
		name string
		mk   func(b *testing.B) func() bool // reports whether the call was rejected
	}{
		{ours, func(b *testing.B) func() bool {
			useRedis(b, redisstore.New(ctxClient(b, redisClient(b))))
			return func() bool { return wrapped.TightThrottled(ctx) != nil }
		}},
		{"redis_rate", func(b *testing.B) func() bool {
			l := redis_rate.NewLimiter(redisClient(b))
			lim := redis_rate.Limit{Rate: 1, Period: time.Hour, Burst: 1}
			return func() bool { r, err := l.Allow(ctx, "hot", lim); return err == nil && r.Allowed == 0 }
		}},
	}
	for _, im := range impls {
		b.Run("hot64/"+im.name, func(b *testing.B) {
			rejected := im.mk(b)
			rejected() // the one call the hour admits
			if !rejected() {
				b.Fatalf("%s: the second call was not rejected", im.name)
			}
			parallel64(b)
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !rejected() {
						b.Errorf("%s: a call over the limit was not rejected", im.name)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
		})
	}
}
