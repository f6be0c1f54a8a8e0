package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/conformance"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// TestConformance runs the runtime's store traces against one redis-server:
// with the batcher; with the batcher and a client that honours contexts (so
// idle decisions take the caller-side path); and with the batcher off.
func TestConformance(t *testing.T) {
	srv := redistest.Start(t)
	for _, mode := range []struct {
		name       string
		ctxTimeout bool
		opts       []redisstore.Option
	}{
		{"pipelined", false, nil},
		{"pipelined-ctx", true, nil},
		{"direct", false, []redisstore.Option{redisstore.WithPipelining(false)}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: mode.ctxTimeout})
			defer rdb.Close()
			s := redisstore.New(rdb, append([]redisstore.Option{testTimeout}, mode.opts...)...)
			defer s.Close()
			conformance.Run(t, func(*testing.T) runtime.Store { return s })
		})
	}
}

// TestConformanceCluster runs the same traces against a three-master Redis
// Cluster.
func TestConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	s := redisstore.New(rdb, testTimeout)
	defer s.Close()
	conformance.Run(t, func(*testing.T) runtime.Store { return s })
}

// TestConformanceSentinel runs the same traces through a Sentinel-managed
// master (redis.NewFailoverClient).
func TestConformanceSentinel(t *testing.T) {
	st := redistest.StartSentinel(t)
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: st.Name, SentinelAddrs: []string{st.Sentinel.Addr()}})
	defer rdb.Close()
	s := redisstore.New(rdb, testTimeout)
	defer s.Close()
	conformance.Run(t, func(*testing.T) runtime.Store { return s })
}
