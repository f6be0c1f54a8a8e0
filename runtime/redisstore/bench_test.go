package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// The benchmarks measure a decision against the floors of one round trip on
// the same server in the same run: a go-redis PING and an EVALSHA of
// "return 1". Sequential: one goroutine; Parallel64: 64 goroutines.
//
//	go test ./runtime/redisstore -run '^$' -bench . -benchmem

// benchServer starts a server and a client that honours contexts (the
// store's recommended setting; it changes nothing for the floors).
func benchServer(b *testing.B) (*redistest.Server, *redis.Client) {
	srv := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	b.Cleanup(func() { rdb.Close() })
	return srv, rdb
}

func benchReq(key string) *runtime.Request {
	return &runtime.Request{Keyspace: "bench", Keys: []string{key}, Limits: []*runtime.Limit{
		{Name: "bench.Get", Algorithm: runtime.GCRA, Quota: 1 << 30, Duration: time.Second}}}
}

func BenchmarkFloorPing(b *testing.B) {
	_, rdb := benchServer(b)
	ctx := context.Background()
	seqAndPar64(b, func() error { return rdb.Ping(ctx).Err() })
}

func BenchmarkFloorEvalSHA(b *testing.B) {
	_, rdb := benchServer(b)
	ctx := context.Background()
	sha, err := rdb.ScriptLoad(ctx, "return 1").Result()
	if err != nil {
		b.Fatal(err)
	}
	keys := []string{"bench:{x}"}
	seqAndPar64(b, func() error { return rdb.EvalSha(ctx, sha, keys).Err() })
}

// seqAndPar64 runs f as the sub-benchmarks Sequential (one goroutine) and
// Parallel64 (64 goroutines).
func seqAndPar64(b *testing.B, f func() error) {
	b.Run("Sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel64", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(64 / parallelDiv())
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := f(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// parallelDiv is GOMAXPROCS, so that SetParallelism(64/parallelDiv())
// runs 64 goroutines.
func parallelDiv() int { return max(1, testingProcs()) }

func BenchmarkDecide(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts []redisstore.Option
	}{
		{"Pipelined", nil},
		{"Direct", []redisstore.Option{redisstore.WithPipelining(false)}},
		{"Pipelines2", []redisstore.Option{redisstore.WithPipelines(2)}},
		{"Window50us", []redisstore.Option{redisstore.WithPipelineWindow(50 * time.Microsecond)}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			_, rdb := benchServer(b)
			s := redisstore.New(rdb, mode.opts...)
			defer s.Close()
			ctx := context.Background()
			b.Run("Sequential", func(b *testing.B) {
				req := benchReq("user-1")
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.Decide(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Parallel64", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(64 / parallelDiv())
				var id int64
				b.RunParallel(func(pb *testing.PB) {
					req := benchReq("user-" + strconv.FormatInt(atomicAdd(&id), 10))
					for pb.Next() {
						if _, err := s.Decide(ctx, req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("Parallel64HotKey", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(64 / parallelDiv())
				req := benchReq("hot")
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.Decide(ctx, req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// BenchmarkDecideRateAllow measures a decision the way generated code makes
// it: runtime.Rate.Allow on one unkeyed gcra limit with the store
// configured, sequential and from 64 goroutines. (Issue 4's targets are
// judged in bench/, sequentially interleaved with the EVALSHA floor.)
func BenchmarkDecideRateAllow(b *testing.B) {
	_, rdb := benchServer(b)
	s := redisstore.New(rdb)
	defer s.Close()
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("bench"))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""))
	r := runtime.NewRate("redisstore_test.BenchmarkDecideRateAllow", runtime.RateSpec{
		Algorithm: runtime.GCRA, Quota: 1000, Duration: time.Second, Burst: 1_000_000_000, Fail: runtime.FailClosed})
	ctx := context.Background()
	seqAndPar64(b, func() error { return r.Allow(ctx, "") })
}
