package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// The multi-process test re-executes the test binary as helper processes;
// the environment says which server and limit to hammer.
const (
	helperAddrEnv = "REDISSTORE_HELPER_ADDR"
	helperAlgEnv  = "REDISSTORE_HELPER_ALG"
	helperPaceEnv = "REDISSTORE_HELPER_PACE" // set: print the delays of paced calls
)

// paceNow is the fixed time of every paced call, so that the delays the
// processes get are comparable.
var paceNow = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// paceLimit paces calls 1ms apart (leaky_bucket, or gcra with burst 1).
func paceLimit(alg runtime.Algorithm) *runtime.Limit {
	return &runtime.Limit{Name: "multi/pace", Algorithm: alg, Quota: 1000, Duration: time.Second, Burst: 1, Bucket: 100000}
}

func isHelperProcess() bool { return os.Getenv(helperAddrEnv) != "" }

// helperLimit is the limit the helper processes share: a burst of 150 and
// a refill too slow to matter during the test.
func helperLimit(alg runtime.Algorithm) *runtime.Limit {
	l := &runtime.Limit{Name: "multi/process", Algorithm: alg, Quota: 1, Duration: time.Hour, Burst: 150}
	if alg == runtime.SlidingWindow || alg == runtime.FixedWindow {
		l.Quota, l.Duration, l.Burst = 150, 1000*time.Hour, 0
	}
	return l
}

// helperProcess runs 16 goroutines of 40 decisions each on one limit and
// prints "admitted errors".
func helperProcess() {
	alg, _ := strconv.Atoi(os.Getenv(helperAlgEnv))
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(helperAddrEnv)})
	s := redisstore.New(rdb, redisstore.WithTimeout(5*time.Second))
	if os.Getenv(helperPaceEnv) != "" {
		pace(s, runtime.Algorithm(alg))
		s.Close()
		rdb.Close()
		return
	}
	req := &runtime.Request{Keyspace: "mp", Limits: []*runtime.Limit{helperLimit(runtime.Algorithm(alg))}, Keys: []string{"hot"}}
	var admitted, errs atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				d, err := s.Decide(context.Background(), req)
				switch {
				case err != nil:
					errs.Add(1)
				case d.Allowed:
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	s.Close()
	rdb.Close()
	fmt.Printf("%d %d\n", admitted.Load(), errs.Load())
}

// TestMultiProcess: four OS processes, 64 goroutines in all, hammer one limit
// 2560 times; exactly its burst of 150 is admitted.
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	_, srv := newStore(t)
	for _, alg := range []runtime.Algorithm{runtime.GCRA, runtime.TokenBucket, runtime.SlidingWindow, runtime.FixedWindow} {
		t.Run(alg.String(), func(t *testing.T) {
			const procs = 4
			outs := runHelpers(t, procs, helperAddrEnv+"="+srv.Addr(), helperAlgEnv+"="+strconv.Itoa(int(alg)))
			total := 0
			for p := 0; p < procs; p++ {
				var admitted, failed int
				if _, err := fmt.Sscan(strings.TrimSpace(string(outs[p])), &admitted, &failed); err != nil {
					t.Fatalf("helper %d printed %q: %v", p, outs[p], err)
				}
				if failed != 0 {
					t.Fatalf("helper %d: %d decisions failed", p, failed)
				}
				total += admitted
			}
			if total != 150 {
				t.Fatalf("%d processes admitted %d calls in all, want exactly 150", procs, total)
			}
		})
	}
}

// pace runs 16 goroutines of 10 paced calls each, all at paceNow with an
// unbounded wait, and prints each admitted call's delay in µs (or "error").
func pace(s *redisstore.Store, alg runtime.Algorithm) {
	req := &runtime.Request{Keyspace: "mp", Limits: []*runtime.Limit{paceLimit(alg)}, Keys: []string{"paced"},
		MaxWait: -1, Now: paceNow}
	var mu sync.Mutex
	var out []string
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				d, err := s.Decide(context.Background(), req)
				mu.Lock()
				if err != nil || !d.Allowed {
					out = append(out, "error")
				} else {
					out = append(out, strconv.FormatInt(d.Delay.Microseconds(), 10))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fmt.Println(strings.Join(out, " "))
}

// TestMultiProcessPacing: four processes reserve turns on one paced limit at
// one instant; together they get every turn 0, 1ms, 2ms, ... exactly once,
// the pacing a single process would see.
func TestMultiProcessPacing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	_, srv := newStore(t)
	for _, alg := range []runtime.Algorithm{runtime.LeakyBucket, runtime.GCRA} {
		t.Run(alg.String(), func(t *testing.T) {
			const procs = 4
			outs := runHelpers(t, procs, helperAddrEnv+"="+srv.Addr(),
				helperAlgEnv+"="+strconv.Itoa(int(alg)), helperPaceEnv+"=1")
			seen := map[int64]bool{}
			for p := 0; p < procs; p++ {
				for _, f := range strings.Fields(string(outs[p])) {
					us, err := strconv.ParseInt(f, 10, 64)
					if err != nil {
						t.Fatalf("helper %d: %q", p, f)
					}
					if us%1000 != 0 || seen[us] {
						t.Fatalf("delay %dµs is not a fresh 1ms turn", us)
					}
					seen[us] = true
				}
			}
			for i := int64(0); i < procs*160; i++ {
				if !seen[i*1000] {
					t.Fatalf("turn %dms was never given (%d turns in all)", i, len(seen))
				}
			}
		})
	}
}

// runHelpers runs procs copies of the test binary at once as helper
// processes with env added, and returns what each printed; it fails the test
// if any of them fails.
func runHelpers(t *testing.T, procs int, env ...string) [][]byte {
	t.Helper()
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for p := range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), env...)
			outs[p], errs[p] = cmd.Output()
		})
	}
	wg.Wait()
	for p, err := range errs {
		if err != nil {
			t.Fatalf("helper %d: %v: %s", p, err, outs[p])
		}
	}
	return outs
}
