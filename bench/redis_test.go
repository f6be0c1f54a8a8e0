package bench

import (
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/throttled/throttled/v2"
	goredisstore "github.com/throttled/throttled/v2/store/goredisstore.v9"
	"github.com/ulule/limiter/v3"
	sredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/throttlegen/throttlegen/bench/wrapped"
	throttle "github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// redisImpls are the Redis-backed deciders of issue 4 and the raw floors (a
// PING and an EVALSHA of `return 1`), all on one constant key.
var redisImpls = []struct {
	name string
	mk   func(b *testing.B, rdb *redis.Client) func() bool
}{
	{ours, func(b *testing.B, rdb *redis.Client) func() bool {
		useRedis(b, redisstore.New(ctxClient(b, rdb)))
		return func() bool { return wrapped.ConstThrottled(ctx) == nil }
	}},
	{ours + "-nopipe", func(b *testing.B, rdb *redis.Client) func() bool {
		useRedis(b, redisstore.New(ctxClient(b, rdb), redisstore.WithPipelining(false)))
		return func() bool { return wrapped.ConstThrottled(ctx) == nil }
	}},
	{"redis_rate", func(b *testing.B, rdb *redis.Client) func() bool {
		l := redis_rate.NewLimiter(rdb)
		lim := redis_rate.Limit{Rate: 1000, Period: time.Second, Burst: 1_000_000_000}
		return func() bool { r, err := l.Allow(ctx, "k", lim); return err == nil && r.Allowed == 1 }
	}},
	{"ulule", func(b *testing.B, rdb *redis.Client) func() bool {
		st, err := sredis.NewStoreWithOptions(rdb, limiter.StoreOptions{Prefix: "ulule"})
		if err != nil {
			b.Fatal(err)
		}
		l := limiter.New(st, limiter.Rate{Period: time.Second, Limit: wideOpen * 1000})
		return func() bool { c, err := l.Get(ctx, "k"); return err == nil && !c.Reached }
	}},
	{"throttled", func(b *testing.B, rdb *redis.Client) func() bool {
		st, err := goredisstore.NewCtx(rdb, "throttled:")
		if err != nil {
			b.Fatal(err)
		}
		l, err := throttled.NewGCRARateLimiterCtx(st, throttled.RateQuota{MaxRate: throttled.PerSec(1000), MaxBurst: 1_000_000_000})
		if err != nil {
			b.Fatal(err)
		}
		l.SetMaxCASAttemptsLimit(1 << 30)
		return func() bool { limited, _, err := l.RateLimitCtx(ctx, "k", 1); return err == nil && !limited }
	}},
	{"ping", func(b *testing.B, rdb *redis.Client) func() bool {
		return func() bool { return rdb.Ping(ctx).Err() == nil }
	}},
	{"evalsha", func(b *testing.B, rdb *redis.Client) func() bool {
		sha, err := rdb.ScriptLoad(ctx, "return 1").Result()
		if err != nil {
			b.Fatal(err)
		}
		keys := []string{"k"}
		return func() bool { return rdb.EvalSha(ctx, sha, keys).Err() == nil }
	}},
}

// ctxClient returns a client of rdb's server with ContextTimeoutEnabled, the
// setting redisstore documents (its per-decision bound then holds on the
// caller's goroutine, so an idle store skips the hand-off to its batcher).
func ctxClient(b *testing.B, rdb *redis.Client) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr, ContextTimeoutEnabled: true})
	b.Cleanup(func() { c.Close() })
	return c
}

// useRedis makes the wrappers decide in s until b ends.
func useRedis(b *testing.B, s *redisstore.Store) {
	throttle.Configure(throttle.WithStore(s), throttle.WithKeyspace("bench"))
	b.Cleanup(func() {
		useDefault()
		s.Close()
	})
}

// BenchmarkRedis is issue 4: sequential latency of one decision, and
// decisions per second from 64 goroutines.
func BenchmarkRedis(b *testing.B) {
	defer useDefault()
	for _, im := range redisImpls {
		b.Run("seq/"+im.name, func(b *testing.B) {
			decide := im.mk(b, redisClient(b))
			if !decide() {
				b.Fatalf("%s: first decision failed", im.name)
			}
			b.ReportAllocs()
			for b.Loop() {
				if !decide() {
					b.Fatalf("%s: decision failed", im.name)
				}
			}
		})
	}
	for _, im := range redisImpls {
		b.Run("par64/"+im.name, func(b *testing.B) {
			decide := im.mk(b, redisClient(b))
			if !decide() {
				b.Fatalf("%s: first decision failed", im.name)
			}
			parallel64(b)
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !decide() {
						b.Errorf("%s: decision failed", im.name)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
		})
	}
}
