package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

func TestProbeServerCost(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	s := redisstore.New(rdb)
	defer s.Close()
	ctx := context.Background()
	for _, alg := range []runtime.Algorithm{1, 2, 3, 4, 5} {
		redistest.Do(srv.Addr(), "CONFIG", "RESETSTAT")
		req := &runtime.Request{Keyspace: "p", Keys: []string{"k"}, Limits: []*runtime.Limit{{Name: "n", Algorithm: alg, Quota: 1 << 20, Duration: time.Second, Bucket: 1 << 20}}}
		for i := 0; i < 20000; i++ {
			s.Decide(ctx, req)
		}
		out, _ := redistest.Do(srv.Addr(), "INFO", "commandstats")
		for _, l := range strings.Split(out, "\r\n") { if strings.HasPrefix(l, "cmdstat_evalsha") { t.Logf("%v: %s", alg, l) } }
	}
	sha, _ := rdb.ScriptLoad(ctx, "return 1").Result()
	redistest.Do(srv.Addr(), "CONFIG", "RESETSTAT")
	for i := 0; i < 20000; i++ {
		rdb.EvalSha(ctx, sha, []string{"x"})
	}
	out, _ := redistest.Do(srv.Addr(), "INFO", "commandstats")
	for _, l := range strings.Split(out, "\r\n") { if strings.HasPrefix(l, "cmdstat_evalsha") { t.Logf("return1: %s", l) } }
}
