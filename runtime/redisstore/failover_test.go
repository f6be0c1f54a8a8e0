package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// callSlack is what a call may take beyond the store's timeout and the
// batcher watchdog's eighth of it in the tests that bound calls during a
// fault: room for a loaded 2-core machine under -race (calls of a store
// with a 200 ms timeout were seen to take up to 660 ms there), below what a
// call left to the client would wait (its dial and read timeouts: 5 s and
// 3 s; with a 200 ms store timeout the bound is 2.225 s).
const callSlack = 2 * time.Second

// checkUpErrors fails the test unless every error s has counted (the calls
// of fail=open limiters' included) ran out of time, or was the answer of
// the breaker that such a timeout opened. It is for a moment Redis is up:
// on a loaded machine under -race a call may outlast a short store timeout,
// which opens the breaker for a while, but no call may fail otherwise. It
// returns the stats it checked.
func checkUpErrors(t *testing.T, s *redisstore.Store) redisstore.Stats {
	t.Helper()
	// A call counts its timeout or short circuit before it counts the
	// error, and Stats reads Errors first: a call counted in Errors here is
	// counted in Timeouts or ShortCircuits too, if it is one of them.
	st := s.Stats()
	if st.Errors > st.Timeouts+st.ShortCircuits {
		t.Fatalf("stats while Redis was up %+v: errors that are neither timeouts nor the breaker's answers", st)
	}
	if st.BreakerTrips > 0 || st.ShortCircuits > 0 {
		// The call whose timeout opened the breaker counts it just after.
		waitFor(t, "a timeout to have opened the breaker while Redis was up", func() bool { return s.Stats().Timeouts > 0 })
	}
	if st.Errors > 0 {
		t.Logf("while Redis was up: %d timeouts, %d calls answered by the breaker", st.Timeouts, st.ShortCircuits)
	}
	return st
}

// probeStore returns a store with testTimeout over a client of its own to
// the server at addr, both closed when the test ends: for the checks a test
// makes beside its load, which a busy machine must not make fail.
func probeStore(t *testing.T, addr string) *redisstore.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	s := redisstore.New(rdb, testTimeout)
	t.Cleanup(func() {
		s.Close()
		rdb.Close()
	})
	return s
}

// maxDuration keeps the longest duration it was given.
type maxDuration struct{ ns atomic.Int64 }

func (m *maxDuration) add(d time.Duration) {
	for {
		old := m.ns.Load()
		if int64(d) <= old || m.ns.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

func (m *maxDuration) get() time.Duration { return time.Duration(m.ns.Load()) }

// TestClusterFailover kills the master that serves a keyspace (every key of
// a keyspace shares one slot by default) in a three-master Redis Cluster
// with one replica per master, while goroutines decide through runtime.Rate
// limiters with fail=open and fail=closed over a redis.NewClusterClient with
// default options:
//
//   - fail=open calls always go ahead; fail=closed calls fail with
//     ErrStoreUnavailable until the failover, and no call, either way, waits
//     more than about the store's timeout: the kill costs the calls in flight
//     at most that, then the breaker answers at once while it is open (Stats
//     counts short circuits);
//   - once the cluster reports the failover done, decisions return to the
//     store, now the promoted replica, by themselves (a liveness bound, not a
//     timing threshold), and the hook has heard the store is available;
//   - limit state the replica had received before the kill survives it: a
//     limit exhausted before the kill still rejects afterwards. Redis
//     replicates asynchronously, so what the master wrote in its last moments
//     may be lost (a failover can forget admissions, never invent them); the
//     test waits for the replica to catch up with the exhausting writes before
//     the kill, which is what it can prove.
//
// While the master is up, a call may outlast the short timeout on a busy
// machine and open the breaker for a while: errors then are allowed if they
// are such timeouts or the breaker's answers (checkUpErrors). The limit
// exhausted before the kill is exhausted through a store of its own with
// testTimeout, and asked after the failover until the store answers (a
// rejection consumes nothing).
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a six-node cluster")
	}
	c := redistest.StartClusterWithReplicas(t, 3, 1)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	const timeout = 200 * time.Millisecond
	s := redisstore.New(rdb, redisstore.WithTimeout(timeout))
	defer s.Close()
	hook := &storeEvents{}
	const ks = "failover"
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace(ks), runtime.WithHook(hook))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""), runtime.WithHook(nil))

	spec := runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 1_000_000, Duration: time.Second, Fail: runtime.FailOpen}
	open := runtime.NewRate("redisstore_test.FailoverOpen", spec)
	spec.Fail = runtime.FailClosed
	closed := runtime.NewRate("redisstore_test.FailoverClosed", spec)
	closedKey := redisstore.Key(ks, &runtime.Limit{Name: "redisstore_test.FailoverClosed", Algorithm: runtime.GCRA}, "")
	ctx := context.Background()

	master := c.MasterOf(t, closedKey)
	replicas := c.ReplicasOf(t, master)
	if len(replicas) != 1 {
		t.Fatalf("master %s has replicas %v, want one", master.Addr(), replicas)
	}
	waitFor(t, "a decision through the store", func() bool { return closed.Allow(ctx, "") == nil })

	// A limit exhausted before the failover, asked through a store (the
	// limiter would answer from its rejection memory without asking) of its
	// own.
	kept := &runtime.Limit{Name: "redisstore_test.FailoverKept", Algorithm: runtime.GCRA, Quota: 3, Duration: time.Hour}
	keptReq := &runtime.Request{Keyspace: ks, Limits: []*runtime.Limit{kept}, Keys: []string{""}}
	prdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer prdb.Close()
	probe := redisstore.New(prdb, testTimeout)
	defer probe.Close()
	for admitted := 0; ; admitted++ {
		d, err := probe.Decide(ctx, keptReq)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			if admitted != 3 {
				t.Fatalf("the kept limit admitted %d calls, want 3", admitted)
			}
			break
		}
	}
	if m := c.MasterOf(t, redisstore.Key(ks, kept, "")); m != master {
		t.Fatalf("the keyspace's keys are served by %s and %s, want one master", master.Addr(), m.Addr())
	}
	c.WaitReplicated(t, master, 10*time.Second)

	const (
		up = iota
		down
		failedOver
	)
	var phase atomic.Int32
	var openErr, closedOther, closedUnavailable, fastDown, closedOKAfter atomic.Int64
	var lastErr atomic.Value
	var longest maxDuration
	stop := untilStopped(4, func() {
		p := phase.Load()
		t0 := time.Now()
		if err := open.Allow(ctx, ""); err != nil {
			openErr.Add(1)
			lastErr.Store(err)
		}
		t1 := time.Now()
		err := closed.Allow(ctx, "")
		t2 := time.Now()
		longest.add(t1.Sub(t0))
		longest.add(t2.Sub(t1))
		switch {
		case err == nil:
			if p == failedOver {
				closedOKAfter.Add(1)
			}
		case errors.Is(err, runtime.ErrStoreUnavailable):
			closedUnavailable.Add(1)
			if p == down && t2.Sub(t1) < timeout/2 {
				fastDown.Add(1)
			}
		default:
			closedOther.Add(1)
			lastErr.Store(err)
		}
		time.Sleep(time.Millisecond) // leave the machine's cores to the cluster
	})
	defer stop()

	time.Sleep(200 * time.Millisecond)
	closedUp := closedUnavailable.Load()
	upStats := checkUpErrors(t, s)
	phase.Store(down)
	killed := time.Now()
	master.Kill()
	waitFor(t, "fail=closed errors after the kill", func() bool { return closedUnavailable.Load() > closedUp+8 })
	waitFor(t, "the breaker answering calls at once", func() bool { return fastDown.Load() > 8 })
	downStats := s.Stats()
	promoted := c.WaitFailover(t, closedKey, master, 20*time.Second)
	phase.Store(failedOver)
	done := time.Now()
	t.Logf("failover reported done %v after the kill: stats %+v", done.Sub(killed), s.Stats())
	if promoted != replicas[0] {
		t.Fatalf("%s took over, not the replica %s", promoted.Addr(), replicas[0].Addr())
	}
	waitFor(t, "decisions through the promoted replica", func() bool { return closedOKAfter.Load() > 50 })
	t.Logf("decisions back %v after the failover was reported done", time.Since(done))
	stop()

	if openErr.Load() != 0 || closedOther.Load() != 0 {
		t.Fatalf("%d fail=open errors, %d fail=closed errors not ErrStoreUnavailable; last: %v",
			openErr.Load(), closedOther.Load(), lastErr.Load())
	}
	if d := longest.get(); d > timeout+timeout/8+callSlack {
		t.Errorf("a call took %v, want at most about the store's timeout %v", d, timeout)
	}
	if downStats.BreakerTrips == 0 || downStats.ShortCircuits == upStats.ShortCircuits {
		t.Errorf("stats after the kill %+v: want a breaker that answered calls itself", downStats)
	}
	// The decisions after the failover ran on the promoted replica: a
	// replica runs no script of its master's (it receives their effects).
	if n := scriptCalls(t, promoted.Addr()); n == 0 {
		t.Errorf("no script ran on the promoted replica %s", promoted.Addr())
	}
	// State the replica held before the kill survives the failover.
	var d runtime.Decision
	waitFor(t, "an answer for the limit exhausted before the failover", func() bool {
		var err error
		d, err = s.Decide(ctx, keptReq)
		if err != nil && !errors.Is(err, runtime.ErrStoreUnavailable) {
			t.Fatalf("the limit exhausted before the failover: %v", err)
		}
		return err == nil
	})
	if d.Allowed || d.RetryAfter <= 0 {
		t.Errorf("the limit exhausted before the failover answers %+v: want a rejection", d)
	}
	// The hook heard the store go and come back. (Not necessarily in the
	// order of the breaker's changes: while the breaker flaps, two changes
	// may reach the hook in the opposite order.)
	if s.Stats().BreakerOpen {
		t.Error("the breaker is open while decisions go through")
	}
	events, _, _ := hook.snapshot()
	var back bool
	for _, e := range events {
		back = back || e.Available
		if e.Misconfigured {
			t.Errorf("a failover reported as a misconfiguration: %v", e.Err)
		}
	}
	if len(events) == 0 || events[0].Available || !errors.Is(events[0].Err, runtime.ErrStoreUnavailable) || !back {
		t.Errorf("store events %+v: want unavailable first, and available", events)
	}
	t.Logf("longest call %v, %d store events, stats %+v", longest.get(), len(events), s.Stats())
}

// scriptCalls returns how many EVAL and EVALSHA commands the server at addr
// has run (INFO commandstats).
func scriptCalls(t *testing.T, addr string) int {
	t.Helper()
	info, err := redistest.Do(addr, "INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		for _, cmd := range []string{"cmdstat_eval:calls=", "cmdstat_evalsha:calls="} {
			if rest, ok := strings.CutPrefix(line, cmd); ok {
				n, _, _ := strings.Cut(rest, ",")
				k, err := strconv.Atoi(n)
				if err != nil {
					t.Fatalf("INFO commandstats line %q", line)
				}
				total += k
			}
		}
	}
	return total
}
