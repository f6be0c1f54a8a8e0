package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/httpreject"
)

// TestWriteRejectionTable runs the table of spec §3/§4 (every Reason × every
// policy kind) through WriteRejection, the function generated handler
// wrappers call. runtime/httpthrottle runs the same table.
func TestWriteRejectionTable(t *testing.T) {
	cases := httpreject.Cases()
	if len(cases) < 6*5*2 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		runtime.WriteRejection(rec, c.Err)
		httpreject.Check(t, rec, c)
	}
}

func TestWriteRejectionOtherErrors(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
	}{
		{fmt.Errorf("store: %w", runtime.ErrStoreUnavailable), http.StatusServiceUnavailable},
		{fmt.Errorf("call: %w", runtime.ErrTimeout), http.StatusGatewayTimeout},
		{context.DeadlineExceeded, http.StatusGatewayTimeout},
		{context.Canceled, http.StatusServiceUnavailable},
		{errors.New("other"), http.StatusInternalServerError},
	} {
		rec := httptest.NewRecorder()
		runtime.WriteRejection(rec, tc.err)
		if rec.Code != tc.status || rec.Header().Get("X-Throttled-Reason") != "" || rec.Header().Get("Retry-After") != "" {
			t.Errorf("%v: %d, reason %q, Retry-After %q; want %d and neither header", tc.err, rec.Code,
				rec.Header().Get("X-Throttled-Reason"), rec.Header().Get("Retry-After"), tc.status)
		}
	}
}

// TestHandlerShapeWithLimiters drives real limiters through a handler
// written as the generator writes one (rate policies, then concurrency),
// so the answers come from rejections the runtime builds, not from the
// table's.
func TestHandlerShapeWithLimiters(t *testing.T) {
	fn := fmt.Sprintf("runtime_test.Handler%d", time.Now().UnixNano())
	rate := runtime.NewRate(fn, runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 1, Duration: time.Hour, Burst: 1, Keyed: true})
	pool := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 2, ConsumerQuotas: []runtime.Quota{{Fraction: 0.5}}})
	hold := make(chan struct{})
	handler := func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if err := rate.Allow(ctx, r.Header.Get("X-Tenant")); err != nil {
			runtime.WriteRejection(w, err)
			return
		}
		slot, err := pool.Acquire(ctx, r.Header.Get("X-Service-Name"))
		if err != nil {
			runtime.WriteRejection(w, err)
			return
		}
		defer slot.Release()
		<-hold
	}
	serve := func(tenant, consumer string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Tenant", tenant)
		r.Header.Set("X-Service-Name", consumer)
		rec := httptest.NewRecorder()
		handler(rec, r)
		return rec
	}
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve("a", "billing") }()
	for pool.Stats().Running != 1 {
		time.Sleep(time.Millisecond)
	}
	// billing holds its half of the slots: a consumer quota, answered 503.
	rec := serve("b", "billing")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("X-Throttled-Reason") != "rejected due to consumer quota" {
		t.Errorf("consumer quota: %d %q, want 503", rec.Code, rec.Header().Get("X-Throttled-Reason"))
	}
	// tenant b's second call of the hour: the gcra quota, answered 429
	// with the hour's wait in Retry-After.
	rec = serve("b", "search")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("X-Throttled-Reason") != "rejected due to quota" ||
		rec.Header().Get("Retry-After") == "" || rec.Header().Get("Retry-After") == "0" {
		t.Errorf("rate quota: %d %q Retry-After %q, want 429 with Retry-After", rec.Code,
			rec.Header().Get("X-Throttled-Reason"), rec.Header().Get("Retry-After"))
	}
	close(hold)
	if rec := <-done; rec.Code != http.StatusOK {
		t.Errorf("held request: %d", rec.Code)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{0: 0, -time.Second: 0, 1: 1, time.Second: 1, time.Second + 1: 2, 59*time.Second + time.Millisecond: 60} {
		if got := runtime.RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

// A generated handler wrapper answers a rejection with WriteRejection:
// 429 for a rate policy, 503 for concurrency, whatever the reason.
func ExampleWriteRejection() {
	for _, err := range []error{
		&runtime.ThrottledError{Policy: "gcra", Reason: runtime.ReasonQuota, RetryAfter: 1200 * time.Millisecond},
		&runtime.ThrottledError{Policy: "concurrency", Reason: runtime.ReasonConsumerQuota},
	} {
		rec := httptest.NewRecorder()
		runtime.WriteRejection(rec, err)
		fmt.Printf("%d Retry-After=%q X-Throttled-Reason=%q\n", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("X-Throttled-Reason"))
	}
	// Output:
	// 429 Retry-After="2" X-Throttled-Reason="rejected due to quota"
	// 503 Retry-After="" X-Throttled-Reason="rejected due to consumer quota"
}
