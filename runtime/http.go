package runtime

import (
	"errors"
	"net/http"
	"strconv"
	"time"
)

// WriteRejection answers an HTTP request whose call was rejected with err:
// 503 Service Unavailable for a concurrency rejection, 429 Too Many Requests
// for any other, a Retry-After header (whole seconds, rounded up) when the
// rejection says when to retry, and X-Throttled-Reason with the reason's
// String. Other errors: 503 for a store that could not answer
// (ErrStoreUnavailable, fail=closed), 504 Gateway Timeout for ErrTimeout,
// 500 Internal Server Error for anything else.
//
// Generated wrappers of functions shaped func(http.ResponseWriter,
// *http.Request) call it; it writes the header and a one-line body, so
// nothing must have been written to w before.
func WriteRejection(w http.ResponseWriter, err error) {
	var te *ThrottledError
	if !errors.As(err, &te) {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, ErrStoreUnavailable):
			status = http.StatusServiceUnavailable
		case errors.Is(err, ErrTimeout):
			status = http.StatusGatewayTimeout
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	status := http.StatusTooManyRequests
	if te.Policy == "concurrency" {
		status = http.StatusServiceUnavailable
	}
	WriteRejectionStatus(w, te, status)
}

// WriteRejectionStatus is WriteRejection with the status code chosen by the
// caller (runtime/httpthrottle uses it).
func WriteRejectionStatus(w http.ResponseWriter, te *ThrottledError, status int) {
	h := w.Header()
	if te.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(RetryAfterSeconds(te.RetryAfter), 10))
	}
	h.Set("X-Throttled-Reason", te.Reason.String())
	http.Error(w, te.Reason.String(), status)
}

// RetryAfterSeconds is d in whole seconds, rounded up, as the Retry-After
// header wants it.
func RetryAfterSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
