package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// TestProcessesCounted: stores (processes) counting a keyspace's processes
// count each other through their heartbeats, other keyspaces apart; the set
// holds one member per process and has a TTL; decisions carry no heartbeat
// of their own (one script per decision); and a keyspace nobody counts gets
// no process set.
func TestProcessesCounted(t *testing.T) {
	srv := redistest.Start(t)
	var stores []*redisstore.Store
	for range 3 {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { rdb.Close() })
		s := redisstore.New(rdb, testTimeout)
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	ctx := context.Background()
	l := &runtime.Limit{Name: "redisstore_test.Procs", Algorithm: runtime.GCRA, Quota: 1000, Duration: time.Second}
	decide := func(s *redisstore.Store, ks string) {
		if _, err := s.Decide(ctx, &runtime.Request{Keyspace: ks, Limits: []*runtime.Limit{l}, Keys: []string{""}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := stores[0].Processes("a"); n != 1 {
		t.Fatalf("before any heartbeat: %d processes, want 1", n)
	}
	stores[1].Processes("a")
	stores[2].Processes("b")
	decide(stores[2], "c")
	waitFor(t, "both processes of keyspace a to announce themselves", func() bool {
		n, err := redistest.Do(srv.Addr(), "ZCARD", redisstore.ProcessKey("a"))
		return err == nil && n == "2"
	})
	// Each store reads the count at its next heartbeat: the later one saw
	// both already. Its script has run (ZCARD says 2), but the store may not
	// have read the reply yet: wait for it.
	waitFor(t, "the later store of keyspace a to count 2 processes", func() bool {
		return max(stores[0].Processes("a"), stores[1].Processes("a")) == 2
	})
	if n := stores[2].Processes("b"); n != 1 {
		t.Fatalf("keyspace b: %d processes, want 1", n)
	}
	ttl, err := redistest.Do(srv.Addr(), "PTTL", redisstore.ProcessKey("a"))
	if ms, _ := strconv.Atoi(ttl); err != nil || ms <= 0 {
		t.Fatalf("the process set's TTL is %q, %v", ttl, err)
	}
	// Decisions make no extra round trip: 200 decisions, 200 scripts.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	sent := &sentCounter{}
	rdb.AddHook(sent)
	s := redisstore.New(rdb, testTimeout, redisstore.WithPipelining(false))
	defer s.Close()
	s.Processes("a")
	decide(s, "a")
	waitFor(t, "the new store's announcement", func() bool {
		n, err := redistest.Do(srv.Addr(), "ZCARD", redisstore.ProcessKey("a"))
		return err == nil && n == "3"
	})
	before := sent.n.Load()
	for range 200 {
		decide(s, "a")
	}
	if n := sent.n.Load() - before; n != 200 {
		t.Fatalf("200 decisions sent %d scripts", n)
	}
	if n, err := redistest.Do(srv.Addr(), "EXISTS", redisstore.ProcessKey("c")); err != nil || n != "0" {
		t.Fatalf("keyspace c, where nobody counts processes, has a process set: %q, %v", n, err)
	}
}

var failLocalRuns atomic.Int64

// TestFailLocalAcrossProcesses: two stores (processes) decide one fail=local
// limit of 10 per hour; when Redis dies, each admits its share, 5, and
// rejects the rest without waiting on the network.
//
// The store has testTimeout: its heartbeat, which reads the process count,
// must not time out on a busy machine (the next one comes 10 s later). The
// killed server still fails the first call well within it (go-redis gives
// up after its retries, under 2 s), and the breaker answers the rest.
func TestFailLocalAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	s := redisstore.New(rdb, testTimeout)
	defer s.Close()
	ordb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer ordb.Close()
	other := redisstore.New(ordb, testTimeout)
	defer other.Close()
	ctx := context.Background()
	// A name of its own per run: local shares outlive a test (go test -count).
	name := "redisstore_test.FailLocal#" + strconv.FormatInt(failLocalRuns.Add(1), 10)
	l := &runtime.Limit{Name: name, Algorithm: runtime.GCRA, Quota: 10, Duration: time.Hour, Burst: 10}
	other.Processes("local") // the other process has fail=local limits too
	waitFor(t, "the other process's announcement", func() bool {
		n, err := redistest.Do(srv.Addr(), "ZCARD", redisstore.ProcessKey("local"))
		return err == nil && n == "1"
	})
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("local"))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""))
	r := runtime.NewRate(l.Name, runtime.RateSpec{Algorithm: l.Algorithm, Quota: l.Quota, Duration: l.Duration, Burst: l.Burst,
		Keyed: true, Fail: runtime.FailLocal})
	if err := r.Allow(ctx, "warm"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "this process to count the other", func() bool { return s.Processes("local") == 2 })
	srv.Kill()
	admitted := 0
	for range 20 {
		err := r.Allow(ctx, "k")
		switch {
		case err == nil:
			admitted++
		case !errors.Is(err, runtime.ErrThrottled):
			t.Fatalf("fail=local: %v", err)
		}
	}
	if admitted != 5 {
		t.Fatalf("%d calls admitted locally, want 5 (half of 10 for 2 processes)", admitted)
	}
}
