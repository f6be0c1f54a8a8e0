// Package httpreject holds the table of HTTP answers to rejections that
// spec §3 and §4 fix: rate rejections are answered 429 Too Many Requests and
// concurrency rejections, whatever their reason, 503 Service Unavailable;
// both carry X-Throttled-Reason and, when the rejection knows it, Retry-After
// in whole seconds, rounded up.
//
// Both paths that answer rejections run the same table, so they cannot drift
// apart: runtime.WriteRejection (what generated handler wrappers call) and
// the runtime/httpthrottle middleware.
package httpreject

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// RatePolicies are the rate policies of spec §2 (the runtime's algorithms),
// whose rejections are answered 429.
var RatePolicies = func() []string {
	var ps []string
	for _, a := range runtime.Algorithms() {
		ps = append(ps, a.String())
	}
	return ps
}()

// Case is one rejection and the answer it must get.
type Case struct {
	Name       string
	Err        error
	Status     int
	RetryAfter string // the Retry-After header; "" for none
	Reason     string // the X-Throttled-Reason header
}

// Reasons returns every runtime.Reason: the values from 1 up to the first
// whose String is the fallback "Reason(N)", so a reason added to the runtime
// joins the table by itself.
func Reasons() []runtime.Reason {
	var rs []runtime.Reason
	for r := runtime.Reason(1); !strings.HasPrefix(r.String(), "Reason("); r++ {
		rs = append(rs, r)
	}
	return rs
}

// Cases returns every Reason × policy kind (each rate policy, and
// concurrency), each without a RetryAfter, with one of 1.2s (sent as "2"),
// and wrapped (as the retry policy returns its last error).
func Cases() []Case {
	var cases []Case
	policies := append(append([]string(nil), RatePolicies...), "concurrency")
	for _, p := range policies {
		status := http.StatusTooManyRequests
		if p == "concurrency" {
			status = http.StatusServiceUnavailable
		}
		for _, r := range Reasons() {
			for _, ra := range []struct {
				d      time.Duration
				header string
			}{{0, ""}, {1200 * time.Millisecond, "2"}, {3 * time.Second, "3"}} {
				te := &runtime.ThrottledError{Policy: p, Name: "example.com/f", Key: "k", Reason: r, RetryAfter: ra.d}
				name := fmt.Sprintf("%s/%s/retry-after=%v", p, strings.ReplaceAll(r.String(), " ", "_"), ra.d)
				cases = append(cases,
					Case{Name: name, Err: te, Status: status, RetryAfter: ra.header, Reason: r.String()},
					Case{Name: name + "/wrapped", Err: fmt.Errorf("after 3 attempts: %w", te), Status: status, RetryAfter: ra.header, Reason: r.String()})
			}
		}
	}
	return cases
}

// Check reports, on t, how rec's answer differs from c's.
func Check(t testing.TB, rec *httptest.ResponseRecorder, c Case) {
	t.Helper()
	h := rec.Header()
	if rec.Code != c.Status || h.Get("Retry-After") != c.RetryAfter || h.Get("X-Throttled-Reason") != c.Reason {
		t.Errorf("%s: answered %d, Retry-After %q, X-Throttled-Reason %q; want %d, %q, %q",
			c.Name, rec.Code, h.Get("Retry-After"), h.Get("X-Throttled-Reason"), c.Status, c.RetryAfter, c.Reason)
	}
	if body := strings.TrimSpace(rec.Body.String()); body != c.Reason {
		t.Errorf("%s: body %q, want the reason %q", c.Name, body, c.Reason)
	}
}
