package runtime

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// WriteRejection answers an HTTP request whose call failed with err. It is
// the one mapping from throttle errors to HTTP answers: generated wrappers of
// functions shaped func(http.ResponseWriter, *http.Request) call it, and so
// does runtime/httpthrottle, so both answer a rejection alike.
//
// A rejection (a *ThrottledError, possibly wrapped) is answered by the kind
// of policy that rejected the call, whatever the reason:
//
//   - concurrency (Policy "concurrency"; full queue, priority quota,
//     consumer quota or deadline): 503 Service Unavailable, as aio-throttle
//     answers load it sheds;
//   - every rate policy (fixed_window, sliding_window, token_bucket, gcra,
//     leaky_bucket; any reason): 429 Too Many Requests.
//
// Both carry X-Throttled-Reason with the Reason's String (for example
// "rejected due to consumer quota") and, when the rejection's RetryAfter is
// known (> 0), a Retry-After header in whole seconds, rounded up (1.2s is
// "2"). The body is the reason, on one line.
//
// Other errors carry no X-Throttled-Reason: a store that could not answer
// under fail=closed (ErrStoreUnavailable) is answered 503; a passed
// deadline (ErrTimeout, or the context's deadline while waiting) 504 Gateway
// Timeout; a request whose context was cancelled while it waited (the
// client went away, and nobody reads the answer) 503; anything else 500
// Internal Server Error.
//
// WriteRejection writes the status line and the body, so nothing must have
// been written to w before.
func WriteRejection(w http.ResponseWriter, err error) {
	var te *ThrottledError
	if errors.As(err, &te) {
		h := w.Header()
		if te.RetryAfter > 0 {
			h.Set("Retry-After", strconv.FormatInt(RetryAfterSeconds(te.RetryAfter), 10))
		}
		h.Set("X-Throttled-Reason", te.Reason.String())
		http.Error(w, te.Reason.String(), rejectionStatus(te))
		return
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrStoreUnavailable):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded): // ErrTimeout too
		status = http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		status = http.StatusServiceUnavailable
	}
	http.Error(w, http.StatusText(status), status)
}

// rejectionStatus is the status of a rejection: 503 for the concurrency
// policy, 429 for the rate policies. Only the policy decides it, never the
// reason: ReasonDeadline, for one, comes from both kinds.
func rejectionStatus(te *ThrottledError) int {
	if te.Policy == "concurrency" {
		return http.StatusServiceUnavailable
	}
	return http.StatusTooManyRequests
}

// RetryAfterSeconds is d in whole seconds, rounded up, as the Retry-After
// header wants it; 0 when d <= 0.
func RetryAfterSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
