package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// Configure every generated wrapper to decide through Redis.
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	store := redisstore.New(rdb, redisstore.WithTimeout(50*time.Millisecond))
	defer store.Close()
	runtime.Configure(runtime.WithStore(store), runtime.WithKeyspace("myapp"))
}

// A Redis Cluster: every limit key of a keyspace shares one hash tag, so a
// decision over several limits runs on one node.
func ExampleNew_cluster() {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{":7000", ":7001", ":7002"}})
	store := redisstore.New(rdb)
	defer store.Close()
	runtime.Configure(runtime.WithStore(store))
}

// Decide directly, as a runtime.Rate does for generated code.
func ExampleStore_Decide() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	store := redisstore.New(rdb)
	defer store.Close()
	req := &runtime.Request{
		Keyspace: "myapp",
		Limits: []*runtime.Limit{{Name: "example.com/users.GetUser", Algorithm: runtime.GCRA,
			Quota: 10, Duration: time.Second, Burst: 20}},
		Keys: []string{"tenant-42"},
	}
	d, err := store.Decide(context.Background(), req)
	switch {
	case errors.Is(err, runtime.ErrStoreUnavailable):
		fmt.Println("Redis did not answer; follow the fail policy")
	case err != nil:
		fmt.Println("bad request:", err)
	case d.Allowed:
		fmt.Println("go ahead; remaining", d.Remaining)
	default:
		fmt.Println("throttled; retry after", d.RetryAfter)
	}
}

// Remove a keyspace's limits, for instance between test runs.
func ExampleStore_Clear() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	store := redisstore.New(rdb)
	defer store.Close()
	if err := store.Clear(context.Background(), "myapp-test"); err != nil {
		fmt.Println(err)
	}
}
