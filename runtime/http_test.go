package runtime

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWriteRejection(t *testing.T) {
	for _, tc := range []struct {
		err        error
		status     int
		retryAfter string
		reason     string
	}{
		{&ThrottledError{Policy: "gcra", Reason: ReasonQuota, RetryAfter: 1500 * time.Millisecond}, 429, "2", "rejected due to quota"},
		{&ThrottledError{Policy: "fixed_window", Reason: ReasonQuota, RetryAfter: 3 * time.Second}, 429, "3", "rejected due to quota"},
		{&ThrottledError{Policy: "leaky_bucket", Reason: ReasonDeadline, RetryAfter: time.Microsecond}, 429, "1", "rejected due to deadline"},
		{&ThrottledError{Policy: "concurrency", Reason: ReasonFullQueue}, 503, "", "rejected due to full queue"},
		{&ThrottledError{Policy: "concurrency", Reason: ReasonConsumerQuota}, 503, "", "rejected due to consumer quota"},
		{fmt.Errorf("wrapped: %w", &ThrottledError{Policy: "concurrency", Reason: ReasonPriorityQuota}), 503, "", "rejected due to priority quota"},
		{fmt.Errorf("store: %w", ErrStoreUnavailable), 503, "", ""},
		{fmt.Errorf("call: %w", ErrTimeout), 504, "", ""},
		{errors.New("other"), 500, "", ""},
	} {
		rec := httptest.NewRecorder()
		WriteRejection(rec, tc.err)
		if rec.Code != tc.status || rec.Header().Get("Retry-After") != tc.retryAfter || rec.Header().Get("X-Throttled-Reason") != tc.reason {
			t.Errorf("%v: %d Retry-After %q reason %q; want %d %q %q", tc.err, rec.Code,
				rec.Header().Get("Retry-After"), rec.Header().Get("X-Throttled-Reason"), tc.status, tc.retryAfter, tc.reason)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{0: 0, -time.Second: 0, 1: 1, time.Second: 1, time.Second + 1: 2, 59*time.Second + time.Millisecond: 60} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func ExampleWriteRejection() {
	h := func(w http.ResponseWriter, r *http.Request) {
		err := error(&ThrottledError{Policy: "gcra", Reason: ReasonQuota, RetryAfter: 1200 * time.Millisecond})
		WriteRejection(w, err)
	}
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("X-Throttled-Reason"))
	// Output: 429 2 rejected due to quota
}
