package httpthrottle

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/httpreject"
)

// TestAnswerTable runs the table of spec §3/§4 (every Reason × every policy
// kind) through the middleware, as runtime's TestWriteRejectionTable runs it
// through runtime.WriteRejection (what generated handler wrappers call):
// both paths must give every rejection the same answer. The limiter is
// replaced by one that fails with the case's error, so that rejections no
// concurrency limiter builds (rate policies) are answered too.
func TestAnswerTable(t *testing.T) {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 1})
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a rejected request was served") })
	for _, c := range httpreject.Cases() {
		h := New(lim)(next).(*handler)
		h.acquire = func(context.Context, string, runtime.Priority) (runtime.Slot, error) { return runtime.Slot{}, c.Err }
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		httpreject.Check(t, rec, c)
	}
}
