// Package httpthrottle is net/http middleware that bounds how many requests
// a handler serves at once, with aio-throttle semantics: capacity and queue
// limits, per-consumer and per-priority quotas (see runtime.Concurrency).
//
// # Consumer and priority
//
// Each request is admitted as one consumer at one priority:
//
//   - consumer: by default the X-Service-Name header, trimmed and
//     lower-cased; "unknown" (WithDefaultConsumer) when it is absent or
//     turned off. WithConsumerFunc replaces the header by a function of the
//     request.
//   - priority: a priority already in the request's context
//     (runtime.WithPriority, set by a trusted middleware that runs before
//     this one) is used as is, and never replaced by a header. Otherwise, by
//     default, the X-Request-Priority header, parsed by
//     runtime.ParsePriority; a request without it is normal priority, as in
//     aio-throttle (never "none", the class of calls that carry no
//     priority). WithPriorityFunc replaces the header by a function of the
//     request.
//
// The priority is put into the request's context, so every generated
// wrapper the handler calls sees it (a concurrency directive without
// priority= uses the context's priority), and an httpthrottle middleware
// nested inside this one keeps it.
//
// # Trust boundary
//
// Both headers are written by the client. By default the middleware trusts
// them, as aio-throttle does between services of one mesh. Exposed to
// clients that are not trusted, they are an escape hatch: a client raises
// its own priority with X-Request-Priority: high (escaping the quota of its
// true priority, and pushing normal and low requests out), and escapes
// consumer quotas by sending a different X-Service-Name on each request
// (every name is a new consumer with a full quota); together, they let one
// client take every slot from honest high-priority clients. In front of
// such clients, take both from something the client cannot forge:
//
//	httpthrottle.New(lim,
//		httpthrottle.WithConsumerFunc(func(r *http.Request) string { return auth.Account(r.Context()) }),
//		httpthrottle.WithPriorityFunc(func(r *http.Request) runtime.Priority { return auth.Plan(r.Context()).Priority }),
//	)
//
// or turn a header off (WithConsumerHeader(""), WithPriorityHeader("")):
// every request is then the default consumer, or normal priority; or set
// the priority in the context from an authenticating middleware that runs
// first (runtime.WithPriority): no header replaces it.
//
// # Answers
//
// A rejected request is answered by runtime.WriteRejection, exactly as a
// generated handler wrapper answers it: 503 Service Unavailable for every
// concurrency rejection (full queue, priority quota, consumer quota,
// deadline), with X-Throttled-Reason and, when known, Retry-After; 503
// too when the client went away while queued (nobody reads that answer).
//
// The middleware is safe for concurrent use; it holds no state besides the
// limiter's.
package httpthrottle

import (
	"context"
	"net/http"
	"strings"

	"github.com/throttlegen/throttlegen/runtime"
)

// Default header names and consumer.
const (
	DefaultConsumerHeader = "X-Service-Name"
	DefaultPriorityHeader = "X-Request-Priority"
	DefaultConsumer       = "unknown"
)

type options struct {
	consumerHeader  string // "" when turned off
	priorityHeader  string // "" when turned off
	consumerFunc    func(*http.Request) string
	priorityFunc    func(*http.Request) runtime.Priority
	defaultConsumer string
	skipPaths       map[string]bool
	skip            func(*http.Request) bool
}

// Option configures New.
type Option func(*options)

// WithConsumerHeader reads the consumer from header name instead of
// X-Service-Name. An empty name turns the header off: without
// WithConsumerFunc, every request is then the default consumer.
func WithConsumerHeader(name string) Option { return func(o *options) { o.consumerHeader = name } }

// WithPriorityHeader reads the priority from header name instead of
// X-Request-Priority. An empty name turns the header off: without
// WithPriorityFunc, a request is then normal priority unless its context
// carries one.
func WithPriorityHeader(name string) Option { return func(o *options) { o.priorityHeader = name } }

// WithConsumerFunc derives each request's consumer from the request (for
// example from its authenticated identity) instead of the consumer header,
// which is then not read. An empty result means the default consumer. The
// result is used as is (not lower-cased). consumer is called once per
// throttled request, on the request's goroutine.
func WithConsumerFunc(consumer func(*http.Request) string) Option {
	return func(o *options) { o.consumerFunc = consumer }
}

// WithPriorityFunc derives each request's priority from the request (for
// example from its authenticated identity) instead of the priority header,
// which is then not read. It is not called for a request whose context
// already carries a priority (runtime.WithPriority): that one is kept.
func WithPriorityFunc(priority func(*http.Request) runtime.Priority) Option {
	return func(o *options) { o.priorityFunc = priority }
}

// WithDefaultConsumer names the consumer of requests without one (no
// consumer header, or WithConsumerFunc returned ""); default "unknown".
func WithDefaultConsumer(consumer string) Option {
	return func(o *options) { o.defaultConsumer = consumer }
}

// WithSkipPaths serves requests for these exact URL paths (health checks,
// metrics) without throttling them.
func WithSkipPaths(paths ...string) Option {
	return func(o *options) {
		if o.skipPaths == nil {
			o.skipPaths = map[string]bool{}
		}
		for _, p := range paths {
			o.skipPaths[p] = true
		}
	}
}

// WithSkip serves requests for which skip returns true without throttling
// them.
func WithSkip(skip func(*http.Request) bool) Option { return func(o *options) { o.skip = skip } }

// New returns middleware that serves each request holding a slot of lim,
// and answers a rejected request with runtime.WriteRejection.
func New(lim *runtime.Concurrency, opts ...Option) func(http.Handler) http.Handler {
	o := options{
		consumerHeader:  DefaultConsumerHeader,
		priorityHeader:  DefaultPriorityHeader,
		defaultConsumer: DefaultConsumer,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return func(next http.Handler) http.Handler {
		return &handler{next: next, o: o, acquire: lim.AcquirePriority}
	}
}

type handler struct {
	next    http.Handler
	o       options
	acquire func(ctx context.Context, consumer string, p runtime.Priority) (runtime.Slot, error)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.o.skipPaths[r.URL.Path] || h.o.skip != nil && h.o.skip(r) {
		h.next.ServeHTTP(w, r)
		return
	}
	consumer := h.consumer(r)
	p, ok := runtime.PriorityFrom(r.Context())
	if !ok {
		p = h.priority(r)
		r = r.WithContext(runtime.WithPriority(r.Context(), p))
	}
	slot, err := h.acquire(r.Context(), consumer, p)
	if err != nil {
		runtime.WriteRejection(w, err)
		return
	}
	defer slot.Release()
	h.next.ServeHTTP(w, r)
}

// consumer is r's consumer: from the function, else the header, else the
// default.
func (h *handler) consumer(r *http.Request) string {
	var c string
	switch {
	case h.o.consumerFunc != nil:
		c = h.o.consumerFunc(r)
	case h.o.consumerHeader != "":
		c = strings.ToLower(strings.TrimSpace(r.Header.Get(h.o.consumerHeader)))
	}
	if c == "" {
		return h.o.defaultConsumer
	}
	return c
}

// priority is the priority of r, whose context carries none: from the
// function, else the header, else normal.
func (h *handler) priority(r *http.Request) runtime.Priority {
	switch {
	case h.o.priorityFunc != nil:
		return h.o.priorityFunc(r)
	case h.o.priorityHeader != "":
		return runtime.ParsePriority(strings.TrimSpace(r.Header.Get(h.o.priorityHeader)))
	}
	return runtime.PriorityNormal
}
