package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// TestLeaseCluster takes, watches and releases leases of several pools on a
// three-master Redis Cluster: every script touches one slot, and a release
// published on one master wakes a watcher subscribed through another.
func TestLeaseCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	s := redisstore.New(rdb, slowOK)
	defer s.Close()
	ctx := context.Background()
	for _, pool := range []string{"a", "pool/b", "{c}", "a much longer pool name, with spaces"} {
		req := func(id string) *runtime.LeaseRequest {
			return &runtime.LeaseRequest{Keyspace: "lc", Pool: pool, ID: id, Consumer: "tenant{1}", Priority: "high",
				Capacity: 1, ConsumerMax: 1, PriorityMax: -1, TTL: 5 * time.Second}
		}
		if res, err := s.AcquireLease(ctx, req("1")); err != nil || res.Reason != 0 {
			t.Fatalf("pool %q: %v %v", pool, res, err)
		}
		if res, err := s.AcquireLease(ctx, req("2")); err != nil || res.Reason != runtime.ReasonConsumerQuota {
			t.Fatalf("pool %q: %v %v", pool, res, err)
		}
		if err := s.RenewLeases(ctx, []*runtime.LeaseRequest{req("1")}); err != nil {
			t.Fatalf("pool %q: renew: %v", pool, err)
		}
		released, stop, err := s.WatchLeases(ctx, "lc", pool)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseLease(ctx, req("1")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-released:
		case <-time.After(10 * time.Second):
			t.Fatalf("pool %q: release not seen", pool)
		}
		stop()
		if res, err := s.AcquireLease(ctx, req("3")); err != nil || res.Reason != 0 {
			t.Fatalf("pool %q after release: %v %v", pool, res, err)
		}
	}
}

// slowOK gives lease tests a generous timeout: the machine running them may
// be loaded, and these tests are about leases, not latency.
var slowOK = redisstore.WithTimeout(5 * time.Second)
