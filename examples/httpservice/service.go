package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	throttle "github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/httpthrottle"
)

//go:generate go tool throttlegen

// The headers naming a request's consumer and priority (those
// runtime/httpthrottle reads by default). Clients write them: this example
// trusts them, as services of one mesh trust each other. A service open to
// clients it does not trust takes both from the authenticated caller
// instead (httpthrottle.WithConsumerFunc and WithPriorityFunc, or a
// middleware that sets runtime.WithPriority), else a client claims high
// priority and escapes consumer quotas by sending a new name each time.
const (
	ConsumerHeader = httpthrottle.DefaultConsumerHeader // X-Service-Name
	PriorityHeader = httpthrottle.DefaultPriorityHeader // X-Request-Priority
)

// Service is the example's HTTP service. Its handlers are safe for
// concurrent use.
type Service struct {
	// Work is how long a report takes to build.
	Work time.Duration
	// hold, when not nil, makes Report wait for it instead of Work (tests
	// use it to hold slots deterministically).
	hold chan struct{}
}

// Report builds an expensive report. Callers reach it through
// ReportThrottled (generated), which keeps the handler's shape and sheds
// load, aio-throttle style: at most 4 reports run at once and 4 wait (the
// newest first) up to 250ms; one consumer may hold at most half of the
// slots, low-priority requests a quarter. A shed request is answered 503
// with X-Throttled-Reason.
//
//throttle:concurrency capacity=4 queue=4 consumer=consumerOf(r) priority=priorityOf(r) consumer_quota=0.5 priority_quota=low:0.25 max_wait=250ms pool=reports
func (s *Service) Report(w http.ResponseWriter, r *http.Request) {
	if err := s.work(r.Context()); err != nil {
		return // the client went away
	}
	fmt.Fprintf(w, "report for %s\n", consumerOf(r))
}

// Hello is cheap (a fifth of a report's work): only the API-wide middleware
// guards it.
func (s *Service) Hello(w http.ResponseWriter, r *http.Request) {
	t := time.NewTimer(s.Work / 5)
	defer t.Stop()
	select {
	case <-t.C:
		fmt.Fprintf(w, "hello, %s\n", consumerOf(r))
	case <-r.Context().Done():
	}
}

// work takes s.Work, or until s.hold is closed; it returns early with the
// context's error when ctx ends.
func (s *Service) work(ctx context.Context) error {
	if s.hold != nil {
		select {
		case <-s.hold:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t := time.NewTimer(s.Work)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// consumerOf names the service calling: its X-Service-Name, lower-cased,
// or "anonymous".
func consumerOf(r *http.Request) string {
	if c := strings.ToLower(strings.TrimSpace(r.Header.Get(ConsumerHeader))); c != "" {
		return c
	}
	return "anonymous"
}

// priorityOf is the priority the API middleware put in the request's
// context (httpthrottle keeps one a trusted middleware set before it), else
// the request's X-Request-Priority: normal when absent or unknown, as the
// middleware decides it.
func priorityOf(r *http.Request) throttle.Priority {
	if p, ok := throttle.PriorityFrom(r.Context()); ok {
		return p
	}
	return throttle.ParsePriority(strings.TrimSpace(r.Header.Get(PriorityHeader)))
}

// apiLimit bounds the whole API, whatever the endpoint: 32 requests at once,
// 32 waiting; one consumer holds at most a quarter of the slots, low-priority
// requests half. The middleware answers every rejection 503, as the
// generated ReportThrottled does (runtime.WriteRejection: concurrency
// rejections are 503 whatever their reason, rate rejections 429).
var apiLimit = throttle.NewConcurrency(throttle.ConcurrencySpec{
	Name:           "github.com/throttlegen/throttlegen/examples/httpservice.api",
	Capacity:       32,
	Queue:          32,
	ConsumerQuotas: []throttle.Quota{{Fraction: 0.25}},
	PriorityQuotas: []throttle.Quota{{Name: "low", Fraction: 0.5}},
	MaxWait:        500 * time.Millisecond,
})

// newHandler returns the service's routes: the API under /api/ behind the
// API-wide middleware, and, unthrottled, /metrics (Prometheus, from reg)
// and /healthz.
func newHandler(s *Service, reg *prometheus.Registry) http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /api/report", s.ReportThrottled)
	api.HandleFunc("GET /api/hello", s.Hello)

	mux := http.NewServeMux()
	mux.Handle("/api/", httpthrottle.New(apiLimit)(api))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	return mux
}
