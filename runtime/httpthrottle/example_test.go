package httpthrottle_test

import (
	"context"
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

// Behind an authenticating middleware, take the consumer and the priority
// from the authenticated account instead of the headers the client writes:
// renaming itself or claiming "high" gains a client nothing.
func ExampleWithConsumerFunc() {
	type accountKey struct{}
	// authenticate stands for a real authentication middleware.
	authenticate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer secret-of-billing" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), accountKey{}, "billing")))
		})
	}
	account := func(r *http.Request) string { return r.Context().Value(accountKey{}).(string) }
	plan := func(r *http.Request) runtime.Priority {
		if account(r) == "billing" {
			return runtime.PriorityHigh
		}
		return runtime.PriorityNormal
	}

	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Capacity: 10, ConsumerQuotas: []runtime.Quota{{Fraction: 0.5}}})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := runtime.PriorityFrom(r.Context())
		fmt.Fprintf(w, "%s served at priority %s\n", account(r), p)
	})
	h := authenticate(httpthrottle.New(lim,
		httpthrottle.WithConsumerFunc(account),
		httpthrottle.WithPriorityFunc(plan),
	)(api))

	req := httptest.NewRequest("GET", "/reports", nil)
	req.Header.Set("Authorization", "Bearer secret-of-billing")
	req.Header.Set("X-Service-Name", "someone-else") // ignored
	req.Header.Set("X-Request-Priority", "low")      // ignored
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output: 200 billing served at priority high
}
