package bench

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	throttle "github.com/throttlegen/throttlegen/runtime"

	"github.com/throttlegen/throttlegen/bench/internal/redisserver"
)

// The implementation names that end benchmark names.
const ours = "throttlegen"

var ctx = context.Background()

// The one redis-server shared by the Redis benchmarks, started on first use
// and stopped by TestMain.
var (
	redisOnce   sync.Once
	redisServer *redisserver.Server
	redisErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if redisServer != nil {
		redisServer.Stop()
	}
	os.Exit(code)
}

// requireRedis is the environment variable (set by CI) that turns a missing
// redis-server into a failure instead of a skip.
const requireRedis = "THROTTLEGEN_REQUIRE_REDIS"

// redisClient returns a client of the shared redis-server, with its database
// flushed, or skips b when redis-server is not installed (fails it under
// THROTTLEGEN_REQUIRE_REDIS=1).
func redisClient(b *testing.B) *redis.Client {
	b.Helper()
	redisOnce.Do(func() { redisServer, redisErr = redisserver.Start() })
	if errors.Is(redisErr, redisserver.ErrNotInstalled) {
		if os.Getenv(requireRedis) == "1" {
			b.Fatalf("%v and %s=1", redisErr, requireRedis)
		}
		b.Skipf("skipping Redis benchmarks (install redis-server to run them): %v", redisErr)
	}
	if redisErr != nil {
		b.Fatal(redisErr)
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisServer.Addr()})
	b.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	return rdb
}

// useMemory makes the wrappers decide in a fresh in-memory store.
func useMemory() *throttle.MemoryStore {
	s := throttle.NewMemoryStore()
	throttle.Configure(throttle.WithStore(s), throttle.WithKeyspace(""), throttle.WithHook(nil), throttle.WithClock(nil))
	return s
}

// useDefault restores the default configuration (the shared in-memory store).
func useDefault() {
	throttle.Configure(throttle.WithStore(nil), throttle.WithKeyspace(""), throttle.WithHook(nil), throttle.WithClock(nil))
}

// parallel64 makes b.RunParallel run 64 goroutines (at least).
func parallel64(b *testing.B) {
	p := runtime.GOMAXPROCS(0)
	b.SetParallelism((64 + p - 1) / p)
}
