// Package httpthrottle is net/http middleware that bounds how many requests
// a handler serves at once, with aio-throttle semantics: capacity and queue
// limits, per-consumer and per-priority quotas (see runtime.Concurrency).
//
// The consumer of a request is read from the X-Service-Name header,
// lower-cased ("unknown" when absent); its priority from X-Request-Priority
// (parsed by runtime.ParsePriority; a request without the header keeps the
// priority its context carries, else none). Both header names are
// configurable. The priority is put into the request's context
// (runtime.WithPriority), so every generated wrapper the handler calls sees
// it.
//
// A rejected request is answered 429 Too Many Requests when a consumer or
// priority quota rejected it (configurable to 503), and 503 Service
// Unavailable when load was shed (full queue, deadline), with
// X-Throttled-Reason and, when known, Retry-After.
//
// The middleware is safe for concurrent use; it holds no state besides the
// limiter's.
package httpthrottle

import (
	"errors"
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
	consumerHeader  string
	priorityHeader  string
	defaultConsumer string
	quotaStatus     int
	skipPaths       map[string]bool
	skip            func(*http.Request) bool
}

// Option configures New.
type Option func(*options)

// WithConsumerHeader reads the consumer from header name instead of
// X-Service-Name.
func WithConsumerHeader(name string) Option { return func(o *options) { o.consumerHeader = name } }

// WithPriorityHeader reads the priority from header name instead of
// X-Request-Priority.
func WithPriorityHeader(name string) Option { return func(o *options) { o.priorityHeader = name } }

// WithDefaultConsumer names the consumer of requests without the consumer
// header (default "unknown").
func WithDefaultConsumer(consumer string) Option {
	return func(o *options) { o.defaultConsumer = consumer }
}

// WithQuotaStatus sets the status of a response to a request rejected by a
// consumer or priority quota: http.StatusTooManyRequests (the default) or
// http.StatusServiceUnavailable.
func WithQuotaStatus(status int) Option { return func(o *options) { o.quotaStatus = status } }

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

// New returns middleware that serves each request holding a slot of lim.
// It panics when an option is invalid.
func New(lim *runtime.Concurrency, opts ...Option) func(http.Handler) http.Handler {
	o := options{
		consumerHeader:  DefaultConsumerHeader,
		priorityHeader:  DefaultPriorityHeader,
		defaultConsumer: DefaultConsumer,
		quotaStatus:     http.StatusTooManyRequests,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.quotaStatus != http.StatusTooManyRequests && o.quotaStatus != http.StatusServiceUnavailable {
		panic("httpthrottle: WithQuotaStatus wants 429 or 503")
	}
	return func(next http.Handler) http.Handler {
		return &handler{lim: lim, next: next, o: o}
	}
}

type handler struct {
	lim  *runtime.Concurrency
	next http.Handler
	o    options
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.o.skipPaths[r.URL.Path] || h.o.skip != nil && h.o.skip(r) {
		h.next.ServeHTTP(w, r)
		return
	}
	consumer := strings.ToLower(strings.TrimSpace(r.Header.Get(h.o.consumerHeader)))
	if consumer == "" {
		consumer = h.o.defaultConsumer
	}
	ctx := r.Context()
	var (
		slot runtime.Slot
		err  error
	)
	if v := r.Header.Get(h.o.priorityHeader); v != "" {
		p := runtime.ParsePriority(strings.TrimSpace(v))
		ctx = runtime.WithPriority(ctx, p)
		r = r.WithContext(ctx)
		slot, err = h.lim.AcquirePriority(ctx, consumer, p)
	} else {
		slot, err = h.lim.Acquire(ctx, consumer)
	}
	if err != nil {
		h.reject(w, err)
		return
	}
	defer slot.Release()
	h.next.ServeHTTP(w, r)
}

func (h *handler) reject(w http.ResponseWriter, err error) {
	var te *runtime.ThrottledError
	if !errors.As(err, &te) {
		// The client went away while waiting; nobody reads this answer.
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	status := http.StatusServiceUnavailable
	if te.Reason == runtime.ReasonConsumerQuota || te.Reason == runtime.ReasonPriorityQuota {
		status = h.o.quotaStatus
	}
	runtime.WriteRejectionStatus(w, te, status)
}
