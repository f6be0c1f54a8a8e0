package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// TestCluster runs decisions over one and several limits against a
// three-master Redis Cluster with WithSpreadKeys, requires the in-memory
// store's decisions (no keyed limit is decided both alone and with others),
// and checks that single-limit keys spread over the masters, that every key
// has a TTL, and that Clear empties one keyspace on every master and only it.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	s := redisstore.New(rdb, testTimeout, redisstore.WithSpreadKeys(true))
	defer s.Close()
	ctx := context.Background()
	mem := runtime.NewMemoryStore()

	r := rand.New(rand.NewPCG(7, 7))
	perTenant := &runtime.Limit{Name: "api.Get", Algorithm: runtime.GCRA, Quota: 5, Duration: time.Second, Burst: 3}
	global := &runtime.Limit{Name: "api.global", Algorithm: runtime.SlidingWindow, Quota: 20, Duration: time.Second}
	single := &runtime.Limit{Name: "api.List", Algorithm: runtime.TokenBucket, Quota: 5, Duration: time.Second}
	paced := &runtime.Limit{Name: "api.Paced", Algorithm: runtime.LeakyBucket, Quota: 10, Duration: time.Second, Bucket: 2}
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	for step := 0; step < 400; step++ {
		now = now.Add(time.Duration(r.IntN(40)) * time.Millisecond)
		tenant := fmt.Sprintf("tenant{%d}", r.IntN(50))
		var req *runtime.Request
		switch r.IntN(4) {
		case 0:
			req = &runtime.Request{Keyspace: "cl", Limits: []*runtime.Limit{single}, Keys: []string{tenant}, Now: now}
		case 3:
			// The global limit alone shares its state with the two-limit decisions.
			req = &runtime.Request{Keyspace: "cl", Limits: []*runtime.Limit{global}, Keys: []string{""}, Now: now}
		case 1:
			req = &runtime.Request{Keyspace: "cl", Limits: []*runtime.Limit{perTenant, global}, Keys: []string{tenant, ""}, Now: now}
		default:
			req = &runtime.Request{Keyspace: "cl", Limits: []*runtime.Limit{paced}, Keys: []string{tenant}, Now: now, MaxWait: -1}
		}
		want, err := mem.Decide(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Decide(ctx, req)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if got != want {
			t.Fatalf("step %d (%d limits, key %q): redis %+v, memory %+v", step, len(req.Limits), tenant, got, want)
		}
	}
	// Another keyspace, which Clear("cl") must leave alone.
	other := &runtime.Request{Keyspace: "cl2", Limits: []*runtime.Limit{perTenant}, Keys: []string{"x"}}
	if _, err := s.Decide(ctx, other); err != nil {
		t.Fatal(err)
	}

	for _, n := range c.Nodes {
		size, err := redistest.Do(n.Addr(), "DBSIZE")
		if err != nil || size == "0" {
			t.Errorf("master %s holds %s keys (%v); single-limit keys should spread", n.Addr(), size, err)
		}
		assertTTLs(t, n.Addr())
	}
	if err := s.Clear(ctx, "cl"); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range c.Nodes {
		size, _ := redistest.Do(n.Addr(), "DBSIZE")
		var k int
		fmt.Sscan(size, &k)
		total += k
	}
	if total != 1 {
		t.Fatalf("%d keys left after Clear, want only the other keyspace's one", total)
	}
}
