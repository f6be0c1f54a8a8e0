package bench

import (
	"context"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/bench/wrapped"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// BenchmarkBreaker is issue 13: a decision of a fail=open gcra limit while
// the Redis store's breaker is open (the store cannot answer, and is not
// asked but by one probe per back-off) against the decision of the same
// limit in memory.
func BenchmarkBreaker(b *testing.B) {
	defer useDefault()
	// go-redis logs each failed dial of the probes on stderr, which would
	// split the benchmark's result line.
	redis.SetLogger(quietLogger{})
	b.Run("open/"+ours, func(b *testing.B) {
		rdb := redis.NewClient(&redis.Options{Addr: deadAddr(b), MaxRetries: -1})
		b.Cleanup(func() { rdb.Close() })
		s := redisstore.New(rdb)
		useRedis(b, s)
		if err := wrapped.OpenThrottled(ctx); err != nil || !s.Stats().BreakerOpen {
			b.Fatalf("first call: %v; stats %+v: want the breaker open", err, s.Stats())
		}
		b.ResetTimer()
		for range b.N {
			if err := wrapped.OpenThrottled(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if st := s.Stats(); !st.BreakerOpen || st.ShortCircuits < uint64(b.N)/2 {
			b.Fatalf("stats %+v: the breaker did not answer the calls", st)
		}
	})
	b.Run("open/memory", func(b *testing.B) {
		useMemory()
		for range b.N {
			if err := wrapped.OpenThrottled(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// quietLogger drops go-redis's log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}

// deadAddr returns a loopback address nothing listens on: connections to it
// are refused at once.
func deadAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
