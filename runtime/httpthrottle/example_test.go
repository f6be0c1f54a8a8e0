package httpthrottle_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/httpthrottle"
)

func Example() {
	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{
		Name:           "example.com/api",
		Capacity:       100,
		Queue:          200,
		ConsumerQuotas: []runtime.Quota{{Fraction: 0.7}},
		PriorityQuotas: []runtime.Quota{{Name: "normal", Fraction: 0.9}},
	})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := runtime.PriorityFrom(r.Context())
		fmt.Fprintln(w, "served at priority", p)
	})
	h := httpthrottle.New(lim, httpthrottle.WithSkipPaths("/healthz"))(api)

	req := httptest.NewRequest("GET", "/users", nil)
	req.Header.Set("X-Service-Name", "Billing")
	req.Header.Set("X-Request-Priority", "high")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output: 200 served at priority high
}
