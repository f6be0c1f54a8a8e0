package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// Helper processes of the scope=global tests re-execute the test binary;
// init runs them before TestMain, so they need nothing from main_test.go.
const (
	leaseHelperEnv  = "REDISSTORE_LEASE_HELPER" // "holder" or "worker"
	leaseAddrEnv    = "REDISSTORE_LEASE_ADDR"
	leaseCapacity   = 4
	leaseConsumerQ  = 0.5 // 2 slots per consumer
	leaseTTL        = 5 * time.Second
	leasePool       = "lease/multiprocess"
	leaseKeyspace   = "lp"
	leaseCounterKey = "lp-counter" // outside the keyspace: the test's own bookkeeping
)

func leaseSpec(queue int) runtime.ConcurrencySpec {
	return runtime.ConcurrencySpec{Name: leasePool, Capacity: leaseCapacity, Queue: queue,
		ConsumerQuotas: []runtime.Quota{{Fraction: leaseConsumerQ}},
		Scope:          runtime.ScopeGlobal, LeaseTTL: leaseTTL}
}

func init() {
	switch os.Getenv(leaseHelperEnv) {
	case "holder":
		leaseHolder()
	case "worker":
		leaseWorker()
	default:
		return
	}
	os.Exit(0)
}

func helperStore() (*redisstore.Store, *redis.Client) {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(leaseAddrEnv)})
	s := redisstore.New(rdb, redisstore.WithTimeout(5*time.Second))
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace(leaseKeyspace))
	return s, rdb
}

// leaseHolder takes two slots (consumer "holder"), says so, and holds them
// until it is killed.
func leaseHolder() {
	helperStore()
	lim := runtime.NewConcurrency(leaseSpec(0))
	for range 2 {
		if _, err := lim.Acquire(context.Background(), "holder"); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	fmt.Println("held")
	select {}
}

// leaseWorker runs 8 goroutines of 10 calls each, waiting for slots; while
// it holds a slot, a call counts itself in Redis counters (all calls, and
// its consumer's) and reports a violation when a counter passes the limit.
// It prints "admitted rejected violations".
func leaseWorker() {
	s, rdb := helperStore()
	defer rdb.Close()
	defer s.Close()
	lim := runtime.NewConcurrency(leaseSpec(8))
	ctx := context.Background()
	var admitted, rejected, violations atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			consumer := "c" + strconv.Itoa(g)
			for range 10 {
				wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				slot, err := lim.Acquire(wctx, consumer)
				cancel()
				if err != nil {
					rejected.Add(1)
					continue
				}
				admitted.Add(1)
				if n := rdb.Incr(ctx, leaseCounterKey).Val(); n > leaseCapacity {
					violations.Add(1)
				}
				if n := rdb.Incr(ctx, leaseCounterKey+consumer).Val(); n > 2 {
					violations.Add(1)
				}
				time.Sleep(2 * time.Millisecond)
				rdb.Decr(ctx, leaseCounterKey+consumer)
				rdb.Decr(ctx, leaseCounterKey)
				slot.Release()
			}
		}()
	}
	wg.Wait()
	fmt.Println(admitted.Load(), rejected.Load(), violations.Load())
}

func leaseHelper(t *testing.T, mode, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), leaseHelperEnv+"="+mode, leaseAddrEnv+"="+addr)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestGlobalConcurrencyAcrossProcesses: a process holding two of four slots
// is SIGKILLed; until its leases expire the pool still counts them (a
// process may take only the two others), then they come back; three worker
// processes then compete for the pool and never exceed its capacity or
// their consumer quotas.
func TestGlobalConcurrencyAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	s, srv := newStore(t, slowOK)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	holder := leaseHelper(t, "holder", srv.Addr())
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "held" {
		holder.Process.Kill()
		holder.Wait()
		t.Fatalf("holder said %q", line)
	}
	if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	holder.Wait()

	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace(leaseKeyspace))
	defer runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace(""))
	lim := runtime.NewConcurrency(leaseSpec(8))
	ctx := context.Background()

	// The dead holder's leases still count: two slots left. (Its leases were
	// renewed less than a TTL ago, and this takes milliseconds.)
	a, err := lim.Acquire(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := lim.Acquire(ctx, "y")
	if err != nil {
		t.Fatal(err)
	}
	// With a and b, the pool is full: the dead holder's two leases still
	// count. (They were renewed at most a third of their TTL before the
	// kill; this runs milliseconds after it.)
	probe := &runtime.LeaseRequest{Keyspace: leaseKeyspace, Pool: leasePool, ID: "probe", Consumer: "probe",
		Priority: "none", Capacity: leaseCapacity, ConsumerMax: -1, PriorityMax: -1, TTL: time.Second}
	if res, err := s.AcquireLease(ctx, probe); err != nil || res.Reason != runtime.ReasonFullQueue {
		t.Fatalf("probe after the kill: %+v %v; want the pool full (capacity exceeded)", res, err)
	}
	// A third call waits until the holder's leases expire, woken at the
	// earliest expiry at the latest.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := lim.Acquire(wctx, "z")
	if err != nil {
		t.Fatalf("slots of the killed process never came back: %v", err)
	}
	d, err := lim.Acquire(wctx, "z")
	if err != nil {
		t.Fatal(err)
	}
	// Now the four live leases are this process's: a fifth call waits and
	// gives up at its deadline.
	sctx, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = lim.Acquire(sctx, "w")
	scancel()
	var te *runtime.ThrottledError
	if !errors.As(err, &te) || te.Reason != runtime.ReasonDeadline {
		t.Fatalf("fifth call: %v, want a deadline rejection", err)
	}
	for _, sl := range []runtime.Slot{a, b, c, d} {
		sl.Release()
	}
	if n := leasesHeld(t, rdb); n != 0 {
		t.Fatalf("%d leases left after releasing all", n)
	}

	const workers = 3
	outs := make([][]byte, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = leaseHelper(t, "worker", srv.Addr()).Output()
		}()
	}
	wg.Wait()
	total := 0
	for i := range workers {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v: %s", i, errs[i], outs[i])
		}
		var admitted, rejected, violations int
		if _, err := fmt.Sscan(strings.TrimSpace(string(outs[i])), &admitted, &rejected, &violations); err != nil {
			t.Fatalf("worker %d printed %q: %v", i, outs[i], err)
		}
		if violations != 0 {
			t.Errorf("worker %d saw capacity or quota exceeded %d times", i, violations)
		}
		total += admitted
	}
	if total == 0 {
		t.Fatal("no worker call was admitted")
	}
	t.Logf("workers admitted %d of %d calls", total, workers*80)
}

// leasesHeld counts the leases in the pool's set.
func leasesHeld(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	var n int64
	for _, k := range rdb.Keys(context.Background(), leaseKeyspace+":*:l").Val() {
		n += rdb.ZCard(context.Background(), k).Val()
	}
	return n
}
