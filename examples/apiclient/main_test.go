package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/internal/redistest"
	throttle "github.com/throttlegen/throttlegen/runtime"
)

// TestMain lets the Redis test run this binary as the apiclient program in
// child processes.
func TestMain(m *testing.M) {
	if os.Getenv("APICLIENT_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runs counts the in-memory tests run in this process (go test -count=N
// runs each N times).
var runs atomic.Int64

// fresh makes an in-memory test start afresh however often it runs: the
// quota in a memory store of its own (the configuration is restored after
// the test), and city names of a prefix of their own, returned, as the
// generated cache keeps the process's answers for 30s.
func fresh(t *testing.T, prefix string) string {
	t.Cleanup(throttle.SaveConfig())
	throttle.Configure(throttle.WithStore(throttle.NewMemoryStore()))
	return fmt.Sprintf("%s%d", prefix, runs.Add(1))
}

func TestInMemory(t *testing.T) {
	const lookups, cities = 60, 20
	c, err := parse([]string{"-lookups", "60", "-cities", "20", "-workers", "4", "-prefix", fresh(t, "city")}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	r, err := lookUp(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v vendor %+v", r, *r.vendor)
	if r.answered != lookups || r.failed != 0 {
		t.Errorf("answered %d, failed %d; want %d, 0", r.answered, r.failed, lookups)
	}
	// The cache makes one vendor call per city, and answers every other
	// lookup (concurrent misses for one city wait for the one call).
	if r.vendor.Served != cities || r.vendor.MaxPerCity != 1 {
		t.Errorf("vendor served %d calls, at most %d per city; want %d, 1", r.vendor.Served, r.vendor.MaxPerCity, cities)
	}
	if r.cacheHits+r.cacheMisses != lookups || r.cacheMisses < cities {
		t.Errorf("cache: %d hits, %d misses for %d lookups of %d cities", r.cacheHits, r.cacheMisses, lookups, cities)
	}
	// Each vendor call was admitted by the gcra limit; the four workers
	// asked faster than its burst of 5, so calls waited for their turn.
	if r.rateAllowed != r.vendor.Served+r.vendor.Refused {
		t.Errorf("gcra admitted %d calls; the vendor saw %d", r.rateAllowed, r.vendor.Served+r.vendor.Refused)
	}
	if r.rateWaited == 0 {
		t.Error("no call waited for its turn")
	}
}

// TestRetryOn checks the retry directive's on= list: the vendor's own 429
// (ErrVendorBusy) is retried, any other error is not.
func TestRetryOn(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		city := r.URL.Query().Get("city")
		mu.Lock()
		calls[city]++
		n := calls[city]
		mu.Unlock()
		switch {
		case strings.HasPrefix(city, "broken"):
			http.Error(w, "oops", http.StatusInternalServerError)
		case n <= 2:
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			fmt.Fprintf(w, `{"city":%q,"temp_c":21}`, city)
		}
	}))
	defer vendor.Close()
	ctx := context.Background()
	busy, broken := fresh(t, "busy"), fresh(t, "broken")

	r, err := lookUp(ctx, config{vendor: vendor.URL, prefix: busy, workers: 1, lookups: 3, cities: 3})
	if err != nil || r.answered != 3 {
		t.Fatalf("busy vendor: %d answered, err %v", r.answered, err)
	}
	r, err = lookUp(ctx, config{vendor: vendor.URL, prefix: broken, workers: 1, lookups: 1, cities: 1})
	if err == nil || !strings.Contains(err.Error(), "500") || errors.Is(err, ErrVendorBusy) {
		t.Fatalf("broken vendor: err %v, want the 500", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for city, n := range calls {
		want := 3 // two 429s, then an answer
		if strings.HasPrefix(city, broken) {
			want = 1 // not retried
		}
		if n != want {
			t.Errorf("%s: %d vendor calls, want %d", city, n, want)
		}
	}
}

func TestRunPrintsSummary(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-lookups", "12", "-cities", "6", "-prefix", fresh(t, "summary")}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"12 lookups by 4 workers", "12 answered, 0 failed", "cache: ", "weather-vendor quota (gcra 20/s, burst 5): 6 calls admitted", "vendor (its own limit 20/s, burst 10): served 6"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-workers", "0"}, {"-nope"}, {"extra"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestRedisTwoProcesses runs two apiclient processes against one vendor,
// sharing the gcra quota through a real redis-server: together they stay
// within the vendor's 20 calls per second, which two separate in-memory
// limits (40 per second) would not.
func TestRedisTwoProcesses(t *testing.T) {
	srv := redistest.Start(t)
	vendor := NewVendor(vendorRate, vendorBurst)
	hs := httptest.NewServer(vendor)
	defer hs.Close()

	const procs, cities = 2, 25
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, procs)
	errs := make([]error, procs)
	for i := range procs {
		// A generous -redis-timeout: on a loaded machine a slow answer must
		// not count as Redis down, which lets the call through uncounted.
		cmd := exec.Command(os.Args[0], "-redis", srv.Addr(), "-redis-timeout", "10s", "-vendor", hs.URL,
			"-lookups", "50", "-cities", "25", "-workers", "3")
		cmd.Env = append(os.Environ(), "APICLIENT_RUN_MAIN=1")
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		wg.Go(func() { errs[i] = cmd.Run() })
	}
	wg.Wait()
	for i := range procs {
		t.Logf("process %d:\n%s", i, outs[i].String())
		if errs[i] != nil {
			t.Errorf("process %d: %v", i, errs[i])
		}
	}
	v := vendor.Stats()
	t.Logf("vendor: %+v", v)
	// Without a shared cache each process calls once per city; with one
	// (a store that implements runtime.CacheStore) fewer calls are made.
	if v.Served < cities || v.Served > procs*cities {
		t.Errorf("vendor served %d calls for %d cities in %d processes", v.Served, cities, procs)
	}
	// The shared gcra limit admits at most burst + rate·elapsed calls. The
	// vendor sees arrivals, not admissions: calls the network bunched
	// together, and a first call that arrives late (a cold process dials
	// first) shortens the span it measures. Allow 10 calls for that, half a
	// second at the vendor's rate. Two separate limits (run without -redis)
	// sent 72 calls in 2.05 s here, the vendor refusing 22: 17 over.
	bound := 5 + int(20*v.Span.Seconds()) + 10
	if v.Served+v.Refused > bound {
		t.Errorf("vendor got %d calls in %v, more than the shared limit allows (%d): the quota was not shared",
			v.Served+v.Refused, v.Span.Round(time.Millisecond), bound)
	}
}
