package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// TestScriptsReloaded: after SCRIPT FLUSH (a restarted server), decisions of
// every algorithm alone, several limits and a cancel each replay their own
// script with EVAL once (which loads it) and decide; run one by one (each its own round trip)
// and at once (coalesced runs of several scripts in one pipeline).
func TestScriptsReloaded(t *testing.T) {
	s, srv := newStore(t, redisstore.WithPipelineWindow(2*time.Millisecond))
	ctx := context.Background()
	var reqs []*runtime.Request
	for _, a := range runtime.Algorithms() {
		l := &runtime.Limit{Name: "reload", Algorithm: a, Quota: 100, Duration: time.Hour, Bucket: 10}
		reqs = append(reqs, &runtime.Request{Keyspace: "reload", Limits: []*runtime.Limit{l}, Keys: []string{"k"}, MaxWait: -1})
	}
	reqs = append(reqs, &runtime.Request{Keyspace: "reload", Keys: []string{"k", "k"}, MaxWait: -1,
		Limits: []*runtime.Limit{reqs[0].Limits[0], reqs[3].Limits[0]}})
	for _, together := range []bool{false, true} {
		if _, err := redistest.Do(srv.Addr(), "SCRIPT", "FLUSH"); err != nil {
			t.Fatal(err)
		}
		before := s.Stats().ScriptLoads
		var wg sync.WaitGroup
		errs := make(chan error, len(reqs)+1)
		for _, req := range reqs {
			run := func() {
				defer wg.Done()
				d, err := s.Decide(ctx, req)
				if err == nil && !d.Allowed {
					t.Errorf("%v: rejected %+v", req.Limits, d)
				}
				errs <- err
			}
			wg.Add(1)
			if together {
				go run()
			} else {
				run()
			}
		}
		wg.Wait()
		if err := s.Cancel(ctx, reqs[3]); err != nil {
			t.Fatal(err)
		}
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		loads := s.Stats().ScriptLoads
		if loads == before {
			t.Errorf("together=%v: no script was replayed after SCRIPT FLUSH", together)
		}
		// The replays loaded every script under the name EVALSHA uses.
		for _, req := range reqs {
			if _, err := s.Decide(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		if again := s.Stats().ScriptLoads; again != loads {
			t.Errorf("together=%v: %d more replays after every script ran once", together, again-loads)
		}
	}
}

// TestAlgorithmScripts: each algorithm's Lua file is its one twin: its
// body (up to the commit mark) is in its own script, in no other
// algorithm's, and in the dispatcher, which wraps it in functions; an
// algorithm's own script defines no algorithm function.
func TestAlgorithmScripts(t *testing.T) {
	for _, a := range runtime.Algorithms() {
		src, err := os.ReadFile("lua/" + a.String() + ".lua")
		if err != nil {
			t.Fatal(err)
		}
		decide, _, _ := strings.Cut(string(src), "--[[") // up to the COMMIT or CANCEL mark
		if !strings.Contains(redisstore.Script(), decide) {
			t.Errorf("the dispatcher lacks the body of %v", a)
		}
		for _, b := range runtime.Algorithms() {
			if has := strings.Contains(redisstore.AlgorithmScript(b), decide); has != (a == b) {
				t.Errorf("script of %v: holds the body of %v: %v", b, a, has)
			}
			fn := "local function " + b.String() + "_decide("
			if strings.Contains(redisstore.AlgorithmScript(a), fn) {
				t.Errorf("script of %v defines %s", a, fn)
			}
			if !strings.Contains(redisstore.Script(), fn) {
				t.Errorf("dispatcher lacks %s", fn)
			}
		}
	}
	if redisstore.AlgorithmScript(0) != "" || redisstore.AlgorithmScript(runtime.Algorithm(len(runtime.Algorithms())+1)) != "" {
		t.Error("AlgorithmScript of an unknown algorithm is not empty")
	}
}

// An algorithm's own script reads the server's clock and defines no
// function of the algorithm (it is written flat); the dispatcher defines
// them all.
func ExampleAlgorithmScript() {
	src := redisstore.AlgorithmScript(runtime.GCRA)
	fmt.Println(strings.Contains(src, "redis.call('TIME')"))
	fmt.Println(strings.Contains(src, "local function gcra_decide("))
	fmt.Println(strings.Contains(redisstore.Script(), "local function gcra_decide("))
	// Output:
	// true
	// false
	// true
}
