package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/conformance"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// TestConformance runs the runtime's store traces against one redis-server,
// with the batcher on and off.
func TestConformance(t *testing.T) {
	for _, pipelined := range []bool{true, false} {
		name := map[bool]string{true: "pipelined", false: "direct"}[pipelined]
		t.Run(name, func(t *testing.T) {
			s, _ := newStore(t, redisstore.WithPipelining(pipelined))
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
	s := redisstore.New(rdb)
	defer s.Close()
	conformance.Run(t, func(*testing.T) runtime.Store { return s })
}
