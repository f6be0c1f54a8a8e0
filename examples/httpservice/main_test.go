package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// reports returns the current stats of the "reports" pool.
func reports(t *testing.T) throttle.ConcurrencyStats {
	t.Helper()
	for _, s := range throttle.AllConcurrencyStats() {
		if s.Name == "reports" {
			return s
		}
	}
	t.Fatal("no concurrency pool named reports")
	return throttle.ConcurrencyStats{}
}

// waitFor polls the pool until cond holds, and fails the test if it does
// not within 10s. Polling, not sleeping a fixed time: the test does not
// depend on how fast the machine is.
func waitFor(t *testing.T, cond func(throttle.ConcurrencyStats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s := reports(t); !cond(s); s = reports(t) {
		if time.Now().After(deadline) {
			t.Fatalf("reports pool still %+v after 10s, not in the state awaited", s)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitIdle waits until the pool has no call running or queued: the requests
// of an earlier test's load may still hold or wait for slots for a moment,
// as http.Server.Close does not wait for its handlers to return.
func waitIdle(t *testing.T) {
	t.Helper()
	waitFor(t, func(s throttle.ConcurrencyStats) bool { return s.Running == 0 && s.Queued == 0 })
}

func request(consumer, priority string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/report", nil)
	r.Header.Set(ConsumerHeader, consumer)
	if priority != "" {
		r.Header.Set(PriorityHeader, priority)
	}
	return r
}

// TestReportShedsInOrder drives the generated ReportThrottled directly,
// holding slots open, through each of aio-throttle's checks.
func TestReportShedsInOrder(t *testing.T) {
	waitIdle(t)
	hold := make(chan struct{})
	svc := &Service{hold: hold}
	var wg sync.WaitGroup
	held := make([]*httptest.ResponseRecorder, 0, 5)
	background := func(consumer, priority string) {
		rec := httptest.NewRecorder()
		held = append(held, rec)
		wg.Go(func() { svc.ReportThrottled(rec, request(consumer, priority)) })
	}
	now := func(consumer, priority string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		svc.ReportThrottled(rec, request(consumer, priority))
		return rec
	}
	expect := func(rec *httptest.ResponseRecorder, status int, reason throttle.Reason) {
		t.Helper()
		if rec.Code != status || rec.Header().Get("X-Throttled-Reason") != reason.String() {
			t.Errorf("got %d %q, want %d %q", rec.Code, rec.Header().Get("X-Throttled-Reason"), status, reason)
		}
	}

	background("a", "")
	background("a", "")
	waitFor(t, func(s throttle.ConcurrencyStats) bool { return s.Running == 2 })
	// consumer a holds half of the 4 slots: its quota
	expect(now("a", ""), http.StatusServiceUnavailable, throttle.ReasonConsumerQuota)

	background("b", "low")
	waitFor(t, func(s throttle.ConcurrencyStats) bool { return s.Running == 3 })
	// low-priority calls hold a quarter of the slots: their quota
	expect(now("c", "low"), http.StatusServiceUnavailable, throttle.ReasonPriorityQuota)

	background("d", "")
	waitFor(t, func(s throttle.ConcurrencyStats) bool { return s.Running == 4 })
	background("e", "high") // no free slot: waits
	waitFor(t, func(s throttle.ConcurrencyStats) bool { return s.Queued == 1 })
	// a low-priority call is rejected whenever someone waits
	expect(now("f", "low"), http.StatusServiceUnavailable, throttle.ReasonFullQueue)

	close(hold)
	wg.Wait()
	for i, rec := range held {
		if rec.Code != http.StatusOK {
			t.Errorf("held request %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if s := reports(t); s.Running != 0 || s.Queued != 0 {
		t.Errorf("slots not given back: %+v", s)
	}
}

// TestServiceUnderLoad starts the service on a free port, floods it with the
// default mix of callers and checks that load is shed with reasons, that the
// high-priority caller is served, and that the metrics tell the story.
func TestServiceUnderLoad(t *testing.T) {
	// A report takes long beside a request's own cost, even under -race on a
	// busy machine, so the reports pool is kept full and its queue used.
	srv, err := Start("127.0.0.1:0", &Service{Work: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	tallies, err := Load(ctx, srv.URL, DefaultMix, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	PrintTallies(&table, tallies)
	t.Logf("\n%s", table.String())

	shed := 0
	for _, tl := range tallies {
		for answer, n := range tl.Answers {
			status, reason, _ := strings.Cut(answer, " ")
			switch status {
			case "200":
			case "503": // every rejection here is a concurrency one: 503 on both paths
				if !strings.HasPrefix(reason, "rejected due to ") {
					t.Errorf("%s: %d answers %q without X-Throttled-Reason", tl.Consumer, n, status)
				}
				shed += n
			default:
				t.Errorf("%s: %d unexpected answers %q", tl.Consumer, n, answer)
			}
		}
		if tl.Sent == 0 {
			t.Errorf("%s sent nothing", tl.Consumer)
		}
	}
	if shed == 0 {
		t.Error("no request was shed with 503")
	}
	byConsumer := map[string]Tally{}
	for _, tl := range tallies {
		byConsumer[tl.Consumer] = tl
	}
	if web := byConsumer["web"]; web.Answers["200"] == 0 {
		t.Errorf("web (high priority) got no 200: %v", web.Answers)
	}
	if batch := byConsumer["batch"]; batch.Answers["503 "+throttle.ReasonFullQueue.String()] == 0 {
		t.Errorf("batch (low priority) was never shed for a full queue: %v", batch.Answers)
	}

	metrics := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`throttle_decisions_total{name="reports",policy="concurrency",result="allowed",service="httpservice"}`,
		`throttle_decisions_total{name="reports",policy="concurrency",result="full_queue",service="httpservice"}`,
		`throttle_concurrency_capacity{name="reports",service="httpservice"} 4`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if got := get(t, srv.URL+"/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(body)
}

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-demo", "-duration", "300ms", "-work", "10ms"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"consumer  priority  path", "batch", "throttle_decisions_total{"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestReportKeepsTrustedPriority: priorityOf takes the priority already in
// the request's context (set by the API middleware, or by a trusted one
// before it) over the X-Request-Priority header, as httpthrottle does.
func TestReportKeepsTrustedPriority(t *testing.T) {
	waitIdle(t)
	hold := make(chan struct{})
	svc := &Service{hold: hold}
	lowClaimingHigh := func(consumer string) *http.Request {
		r := request(consumer, "high")
		return r.WithContext(throttle.WithPriority(r.Context(), throttle.PriorityLow))
	}
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		svc.ReportThrottled(rec, lowClaimingHigh("a"))
		done <- rec.Code
	}()
	waitFor(t, func(s throttle.ConcurrencyStats) bool { return s.Running == 1 })
	// low-priority calls hold a quarter of the slots: the header does not
	// lift this one out of it
	second := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		svc.ReportThrottled(rec, lowClaimingHigh("b"))
		second <- rec
	}()
	var rec *httptest.ResponseRecorder
	for rec == nil {
		select {
		case rec = <-second:
		default:
			if reports(t).Running == 2 {
				t.Error("a low-priority request claiming high was admitted past the low quota")
				close(hold)
				<-done
				<-second
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("X-Throttled-Reason") != throttle.ReasonPriorityQuota.String() {
		t.Errorf("got %d %q, want 503 %q", rec.Code, rec.Header().Get("X-Throttled-Reason"), throttle.ReasonPriorityQuota)
	}
	close(hold)
	if code := <-done; code != http.StatusOK {
		t.Errorf("held request: %d", code)
	}
}
