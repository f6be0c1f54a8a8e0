package httpthrottle_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/httpthrottle"
)

// gate is a handler that holds every request until released, recording the
// consumer header and the priority its context carries.
type gate struct {
	release  chan struct{}
	inflight atomic.Int32
	maxSeen  atomic.Int32
	mu       sync.Mutex
	prios    []string
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for {
		m := g.maxSeen.Load()
		if n <= m || g.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	p, ok := runtime.PriorityFrom(r.Context())
	g.mu.Lock()
	if ok {
		g.prios = append(g.prios, p.String())
	} else {
		g.prios = append(g.prios, "none")
	}
	g.mu.Unlock()
	<-g.release
	io.WriteString(w, "ok")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func get(t *testing.T, url string, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestConcurrentClients(t *testing.T) {
	const capacity, queue, clients = 3, 2, 12
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: capacity, Queue: queue})
	g := newGate()
	srv := httptest.NewServer(httpthrottle.New(lim)(g))
	defer srv.Close()

	var wg sync.WaitGroup
	codes := make(chan *http.Response, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- get(t, srv.URL, nil)
		}()
	}
	// capacity requests run, queue wait, the rest are shed with 503.
	rejected := 0
	for rejected < clients-capacity-queue {
		resp := <-codes
		if resp == nil {
			t.FailNow()
		}
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d before any request finished, want 503", resp.StatusCode)
		}
		if got := resp.Header.Get("X-Throttled-Reason"); got != "rejected due to full queue" {
			t.Fatalf("X-Throttled-Reason %q", got)
		}
		if resp.Header.Get("Retry-After") != "" {
			t.Fatal("Retry-After set though unknown")
		}
		rejected++
	}
	waitFor(t, "the queue to fill", func() bool { st := lim.Stats(); return st.Running == capacity && st.Queued == queue })
	close(g.release)
	wg.Wait()
	close(codes)
	ok := 0
	for resp := range codes {
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d after release", resp.StatusCode)
		}
		ok++
	}
	if ok != capacity+queue || g.maxSeen.Load() > capacity {
		t.Fatalf("%d served, max %d at once; want %d served, at most %d at once", ok, g.maxSeen.Load(), capacity+queue, capacity)
	}
}

func TestHeadersQuotasAndPriority(t *testing.T) {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 4,
		ConsumerQuotas: []runtime.Quota{{Name: "billing", Fraction: 0.25}},
		PriorityQuotas: []runtime.Quota{{Name: "low", Fraction: 0.25}}})
	g := newGate()
	srv := httptest.NewServer(httpthrottle.New(lim)(g))
	defer srv.Close()
	var wg sync.WaitGroup
	hold := func(h map[string]string) {
		wg.Add(1)
		go func() { defer wg.Done(); get(t, srv.URL, h) }()
	}
	hold(map[string]string{"X-Service-Name": "Billing"})
	hold(map[string]string{"X-Request-Priority": "LOW"})
	waitFor(t, "two requests", func() bool { return lim.Stats().Running == 2 })

	// "BILLING" is lower-cased to the consumer billing, which used its quota.
	resp := get(t, srv.URL, map[string]string{"X-Service-Name": " BILLING"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Throttled-Reason") != "rejected due to consumer quota" {
		t.Fatalf("billing: %d %q", resp.StatusCode, resp.Header.Get("X-Throttled-Reason"))
	}
	resp = get(t, srv.URL, map[string]string{"X-Request-Priority": "low"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Throttled-Reason") != "rejected due to priority quota" {
		t.Fatalf("low: %d %q", resp.StatusCode, resp.Header.Get("X-Throttled-Reason"))
	}
	close(g.release)
	wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	seen := map[string]bool{}
	for _, p := range g.prios {
		seen[p] = true
	}
	if !seen["low"] || !seen["none"] {
		t.Fatalf("priorities seen by the handler %v, want low and none", g.prios)
	}
}

func TestOptions(t *testing.T) {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 2,
		ConsumerQuotas: []runtime.Quota{{Fraction: 0.5}}})
	g := newGate()
	var consumerSeen atomic.Value
	mw := httpthrottle.New(lim,
		httpthrottle.WithConsumerHeader("X-Caller"),
		httpthrottle.WithPriorityHeader("X-Prio"),
		httpthrottle.WithDefaultConsumer("anon"),
		httpthrottle.WithQuotaStatus(http.StatusServiceUnavailable),
		httpthrottle.WithSkipPaths("/healthz"),
		httpthrottle.WithSkip(func(r *http.Request) bool { return r.Method == http.MethodOptions }),
	)
	mux := http.NewServeMux()
	mux.Handle("/", g)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		consumerSeen.Store(lim.Stats().Running)
	})
	srv := httptest.NewServer(mw(mux))
	defer srv.Close()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); get(t, srv.URL, map[string]string{"X-Prio": "high"}) }() // consumer anon
	waitFor(t, "one request", func() bool { return lim.Stats().Running == 1 })

	resp := get(t, srv.URL, nil) // anon again: over its half
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Throttled-Reason") != "rejected due to consumer quota" {
		t.Fatalf("anon: %d %q", resp.StatusCode, resp.Header.Get("X-Throttled-Reason"))
	}
	resp = get(t, srv.URL+"/healthz", nil) // skipped: not counted, not rejected
	if resp.StatusCode != http.StatusOK || consumerSeen.Load() != 1 {
		t.Fatalf("healthz: %d, running seen %v", resp.StatusCode, consumerSeen.Load())
	}
	close(g.release)
	wg.Wait()
	g.mu.Lock()
	if len(g.prios) != 1 || g.prios[0] != "high" {
		t.Fatalf("priorities %v, want [high] from X-Prio", g.prios)
	}
	g.mu.Unlock()
	if msg := func() (v any) {
		defer func() { v = recover() }()
		httpthrottle.New(lim, httpthrottle.WithQuotaStatus(500))
		return nil
	}(); msg == nil {
		t.Fatal("WithQuotaStatus(500) accepted")
	}
}

func TestPanicReleasesSlot(t *testing.T) {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 1})
	h := httpthrottle.New(lim)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if lim.Stats().Running != 0 {
		t.Fatal("slot kept after a panic")
	}
}

func TestCancelledWhileQueued(t *testing.T) {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 1, Queue: 1})
	g := newGate()
	h := httpthrottle.New(lim)(g)
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	waitFor(t, "the first request", func() bool { return lim.Stats().Running == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
		close(done)
	}()
	waitFor(t, "the second to queue", func() bool { return lim.Stats().Queued == 1 })
	cancel()
	<-done
	if rec.Code != http.StatusServiceUnavailable || lim.Stats().Queued != 0 {
		t.Fatalf("code %d, queued %d", rec.Code, lim.Stats().Queued)
	}
	close(g.release)
	waitFor(t, "the first to finish", func() bool { return lim.Stats().Running == 0 })
}
