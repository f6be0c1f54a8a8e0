package httpthrottle_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	entered  atomic.Int32 // requests that reached the handler
	inflight atomic.Int32
	maxSeen  atomic.Int32
	mu       sync.Mutex
	prios    []string
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.entered.Add(1)
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
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Throttled-Reason") != "rejected due to consumer quota" {
		t.Fatalf("billing: %d %q", resp.StatusCode, resp.Header.Get("X-Throttled-Reason"))
	}
	resp = get(t, srv.URL, map[string]string{"X-Request-Priority": "low"})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Throttled-Reason") != "rejected due to priority quota" {
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
	if !seen["low"] || !seen["normal"] || seen["none"] {
		t.Fatalf("priorities seen by the handler %v, want low and normal (a missing header), never none", g.prios)
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

// TestEveryConcurrencyReasonIs503 makes a real limiter reject a request for
// each of its reasons: the middleware answers all of them 503, as a
// generated handler wrapper does.
func TestEveryConcurrencyReasonIs503(t *testing.T) {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 3, Queue: 1,
		ConsumerQuotas: []runtime.Quota{{Name: "billing", Fraction: 0.34}},
		PriorityQuotas: []runtime.Quota{{Name: "low", Fraction: 0.34}}})
	g := newGate()
	h := httpthrottle.New(lim)(g)
	var wg sync.WaitGroup
	hold := func(consumer, priority string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Service-Name", consumer)
		r.Header.Set("X-Request-Priority", priority)
		wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), r) })
	}
	try := func(consumer, priority string, want runtime.Reason) {
		t.Helper()
		// the deadline for a wait in the queue
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
		r.Header.Set("X-Service-Name", consumer)
		r.Header.Set("X-Request-Priority", priority)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("X-Throttled-Reason") != want.String() {
			t.Errorf("%s/%s: %d %q, want 503 %q", consumer, priority, rec.Code, rec.Header().Get("X-Throttled-Reason"), want)
		}
	}
	hold("billing", "normal")
	hold("search", "low")
	waitFor(t, "two requests", func() bool { return lim.Stats().Running == 2 })
	try("billing", "normal", runtime.ReasonConsumerQuota)
	try("web", "low", runtime.ReasonPriorityQuota)
	hold("web", "high")
	waitFor(t, "three requests", func() bool { return lim.Stats().Running == 3 })
	try("web", "high", runtime.ReasonDeadline) // waits in the queue until its deadline
	hold("web", "high")
	waitFor(t, "a waiter", func() bool { return lim.Stats().Queued == 1 })
	try("web", "normal", runtime.ReasonFullQueue)
	close(g.release)
	wg.Wait()
}

// session sends requests to h, whose handler is the gate g, one at a time:
// each is either admitted (it reached the gate and holds its slot until
// finish opens the gate) or answered at once. A request that should be
// rejected but is admitted makes the test fail, never hang.
type session struct {
	t        *testing.T
	h        http.Handler
	g        *gate
	answers  chan *httptest.ResponseRecorder
	admitted int
}

func newSession(t *testing.T, h http.Handler, g *gate) *session {
	return &session{t: t, h: h, g: g, answers: make(chan *httptest.ResponseRecorder, 64)}
}

// send serves r and returns nil when it was admitted, else its answer.
func (s *session) send(r *http.Request) *httptest.ResponseRecorder {
	before := s.g.entered.Load()
	answer := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, r)
		answer <- rec
	}()
	for {
		select {
		case rec := <-answer:
			return rec
		default:
		}
		if s.g.entered.Load() > before {
			s.admitted++
			go func() { s.answers <- <-answer }()
			return nil
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// admit sends r and fails the test unless it is admitted.
func (s *session) admit(r *http.Request) {
	s.t.Helper()
	if rec := s.send(r); rec != nil {
		s.t.Fatalf("request rejected: %d %q", rec.Code, rec.Header().Get("X-Throttled-Reason"))
	}
}

// reject sends r and fails the test unless it is answered 503 for reason.
func (s *session) reject(r *http.Request, reason runtime.Reason) {
	s.t.Helper()
	rec := s.send(r)
	if rec == nil {
		s.t.Errorf("request admitted; want 503 %q", reason)
		return
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("X-Throttled-Reason") != reason.String() {
		s.t.Errorf("request answered %d %q; want 503 %q", rec.Code, rec.Header().Get("X-Throttled-Reason"), reason)
	}
}

// finish opens the gate and checks that every admitted request is served.
func (s *session) finish() {
	s.t.Helper()
	close(s.g.release)
	for range s.admitted {
		if rec := <-s.answers; rec.Code != http.StatusOK {
			s.t.Errorf("admitted request answered %d", rec.Code)
		}
	}
}

// TestRotatingNamesAttack reproduces the escape issue 15 measured: behind
// the default options a client that sends a new X-Service-Name on every
// request with X-Request-Priority: high takes every slot, and honest
// high-priority services are shed. Deriving the consumer and the priority
// from the authenticated caller closes it: the attacker gets its consumer
// quota, at normal priority, and the honest services are served.
func TestRotatingNamesAttack(t *testing.T) {
	// An authenticating middleware: the bearer token names the account.
	type accountKey struct{}
	tokens := map[string]string{"tok-billing": "billing", "tok-search": "search", "tok-mallory": "mallory"}
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			acct, ok := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			if !ok {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), accountKey{}, acct)))
		})
	}
	account := func(r *http.Request) string { return r.Context().Value(accountKey{}).(string) }
	plan := func(r *http.Request) runtime.Priority {
		if a := account(r); a == "billing" || a == "search" {
			return runtime.PriorityHigh
		}
		return runtime.PriorityNormal
	}

	attack := func(t *testing.T, opts ...httpthrottle.Option) (attacker, honest int) {
		// each consumer a quarter of the slots; normal priority half of them
		lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 4,
			ConsumerQuotas: []runtime.Quota{{Fraction: 0.25}},
			PriorityQuotas: []runtime.Quota{{Name: "normal", Fraction: 0.5}}})
		g := newGate()
		s := newSession(t, auth(httpthrottle.New(lim, opts...)(g)), g)
		defer s.finish()
		for i := range 8 {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer tok-mallory")
			r.Header.Set("X-Service-Name", fmt.Sprintf("svc-%d", i))
			r.Header.Set("X-Request-Priority", "high")
			if rec := s.send(r); rec == nil {
				attacker++
			} else if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("attacker rejected with %d, want 503", rec.Code)
			}
		}
		for _, svc := range []string{"billing", "search"} {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer tok-"+svc)
			r.Header.Set("X-Service-Name", svc)
			r.Header.Set("X-Request-Priority", "high")
			if s.send(r) == nil {
				honest++
			}
		}
		return attacker, honest
	}

	t.Run("headers trusted", func(t *testing.T) {
		attacker, honest := attack(t)
		if attacker != 4 || honest != 0 {
			t.Fatalf("attacker took %d slots, honest services %d; the escape no longer reproduces (want 4 and 0)", attacker, honest)
		}
	})
	t.Run("consumer and priority from authentication", func(t *testing.T) {
		attacker, honest := attack(t, httpthrottle.WithConsumerFunc(account), httpthrottle.WithPriorityFunc(plan))
		if attacker != 1 || honest != 2 {
			t.Fatalf("attacker took %d slots, honest services %d; want 1 (its consumer quota) and 2", attacker, honest)
		}
	})
	t.Run("headers off", func(t *testing.T) {
		// Without the headers every caller is one consumer at normal
		// priority: the attacker cannot take more than that consumer's
		// quarter, though honest callers share it.
		attacker, _ := attack(t, httpthrottle.WithConsumerHeader(""), httpthrottle.WithPriorityHeader(""))
		if attacker != 1 {
			t.Fatalf("attacker took %d slots with the headers off, want 1", attacker)
		}
	})
}

// TestMissingPriorityIsNormal: a request without the priority header is
// normal priority (as in aio-throttle), bound by a normal quota, and its
// handler sees normal in the context; so is a request whose header is
// turned off.
func TestMissingPriorityIsNormal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []httpthrottle.Option
		header string
	}{
		{"no header", nil, ""},
		{"unknown value", nil, "urgent"},
		{"header turned off", []httpthrottle.Option{httpthrottle.WithPriorityHeader("")}, "high"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 4,
				PriorityQuotas: []runtime.Quota{{Name: "normal", Fraction: 0.25}}})
			g := newGate()
			s := newSession(t, httpthrottle.New(lim, tc.opts...)(g), g)
			req := func() *http.Request {
				r := httptest.NewRequest("GET", "/", nil)
				if tc.header != "" {
					r.Header.Set("X-Request-Priority", tc.header)
				}
				return r
			}
			s.admit(req())
			s.reject(req(), runtime.ReasonPriorityQuota) // the normal quota
			s.finish()
			if g.prios[0] != "normal" {
				t.Errorf("handler saw priority %s, want normal", g.prios[0])
			}
		})
	}
}

// TestContextPriorityWins: a priority set in the context by a trusted
// middleware is kept, whatever the header says and whatever
// WithPriorityFunc would return.
func TestContextPriorityWins(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []httpthrottle.Option
	}{
		{"header", nil},
		{"priority func", []httpthrottle.Option{httpthrottle.WithPriorityFunc(func(*http.Request) runtime.Priority {
			t.Error("WithPriorityFunc called though the context carries a priority")
			return runtime.PriorityHigh
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 4,
				PriorityQuotas: []runtime.Quota{{Name: "low", Fraction: 0.25}}})
			g := newGate()
			trusted := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(w, r.WithContext(runtime.WithPriority(r.Context(), runtime.PriorityLow)))
				})
			}
			s := newSession(t, trusted(httpthrottle.New(lim, tc.opts...)(g)), g)
			req := func() *http.Request {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("X-Request-Priority", "high")
				return r
			}
			s.admit(req())
			s.reject(req(), runtime.ReasonPriorityQuota) // the low quota: the header did not raise it
			s.finish()
			if g.prios[0] != "low" {
				t.Errorf("handler saw priority %s, want low", g.prios[0])
			}
		})
	}
}

// TestConsumerHeaderOffAndFunc: with the consumer header off, names sent by
// the client are ignored (every request is the default consumer); with
// WithConsumerFunc, the function's result is the consumer, and "" means the
// default.
func TestConsumerHeaderOffAndFunc(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []httpthrottle.Option
	}{
		{"header off", []httpthrottle.Option{httpthrottle.WithConsumerHeader("")}},
		{"func", []httpthrottle.Option{httpthrottle.WithConsumerFunc(func(r *http.Request) string { return r.URL.Query().Get("user") })}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 4,
				ConsumerQuotas: []runtime.Quota{{Name: "anon", Fraction: 0.25}, {Name: "carol", Fraction: 0.25}}})
			g := newGate()
			s := newSession(t, httpthrottle.New(lim, append(tc.opts, httpthrottle.WithDefaultConsumer("anon"))...)(g), g)
			defer s.finish()
			req := func(target, name string) *http.Request {
				r := httptest.NewRequest("GET", target, nil)
				r.Header.Set("X-Service-Name", name)
				return r
			}
			s.admit(req("/", "a"))
			s.reject(req("/", "b"), runtime.ReasonConsumerQuota) // a new name: still anon
			if tc.name == "func" {
				s.admit(req("/?user=carol", "a"))
				s.reject(req("/?user=carol", "b"), runtime.ReasonConsumerQuota)
			}
		})
	}
}
