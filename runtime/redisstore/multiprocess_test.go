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
)

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
			outs := make([][]byte, procs)
			errs := make([]error, procs)
			var wg sync.WaitGroup
			for p := 0; p < procs; p++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cmd := exec.Command(os.Args[0], "-test.run=^$")
					cmd.Env = append(os.Environ(), helperAddrEnv+"="+srv.Addr(), helperAlgEnv+"="+strconv.Itoa(int(alg)))
					outs[p], errs[p] = cmd.Output()
				}()
			}
			wg.Wait()
			total := 0
			for p := 0; p < procs; p++ {
				if errs[p] != nil {
					t.Fatalf("helper %d: %v: %s", p, errs[p], outs[p])
				}
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
