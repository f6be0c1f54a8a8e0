// Package promhook exports throttlegen's decisions as Prometheus metrics.
//
// A Hook is both a runtime.Hook and a prometheus.Collector:
//
//	h := promhook.New()
//	prometheus.MustRegister(h)
//	runtime.Configure(runtime.WithHook(h))
//
// # Metrics
//
// With the default namespace "throttle" (WithNamespace changes it):
//
//	metric                              type       labels
//	throttle_decisions_total            counter    policy, name, result
//	throttle_shadow_decisions_total     counter    policy, name, result
//	throttle_store_errors_total         counter    policy, name
//	throttle_wait_seconds               histogram  policy, name
//	throttle_concurrency_running        gauge      name
//	throttle_concurrency_queued         gauge      name
//	throttle_concurrency_capacity       gauge      name
//
// decisions_total counts every decision; shadow_decisions_total the
// decisions of limits in mode=shadow that enforcement would have made
// otherwise (see "Shadow mode" below); store_errors_total the decisions
// (and cache reads or writes) a store could not answer, whatever happened
// to the call; wait_seconds how long calls waited before their decision was
// final (a histogram, DefaultBuckets unless WithBuckets); the concurrency
// gauges are read from every named pool of the process
// (runtime.AllConcurrencyStats) when Prometheus scrapes.
//
// # Labels
//
//	label   value
//	policy  the directive's policy: fixed_window, sliding_window,
//	        token_bucket, gcra, leaky_bucket, concurrency, retry or cache
//	name    the limit's identity: its name=, else the function's full name
//	        (importpath.Func); a concurrency pool's pool= name
//	result  what was decided, one of the values below
//
// and the labels of WithConstLabels on every metric. The consumer or key of
// a call is never a label: it would make the number of series unbounded.
//
// The values of result, by policy:
//
//	result             policy              meaning
//	allowed            rate, concurrency   the call went ahead (with fail=open, also when
//	                                       the store could not answer: that decision
//	                                       counts in store_errors_total too)
//	quota              rate                rejected: the quota is used up
//	deadline           rate, concurrency   rejected: the wait would outlast max_wait, wait=
//	                                       or the context's deadline, or the context ended
//	                                       while the call waited its turn
//	cost               rate                rejected: a cost the limit can never admit
//	full_queue         concurrency         rejected: no free slot and no room to wait, or a
//	                                       low-priority call while others wait
//	priority_quota     concurrency         rejected: the call's priority used its share
//	consumer_quota     concurrency         rejected: the call's consumer used its share
//	canceled           concurrency         a waiter whose context ended (cancelled)
//	store_unavailable  rate                rejected: the store could not answer (fail=closed)
//	other_limit        rate                the call was rejected by another rate directive
//	                                       of the same function; this one consumed nothing
//	allowed            retry               another attempt is made
//	denied             retry               no further attempt: the retry budget is spent,
//	                                       or the backoff would outlast the context
//	hit                cache               a stored result was returned
//	miss               cache               no stored result: the function is called
//
// A rejection's result is its runtime.Reason's String without "rejected due
// to ", spaces made underscores, so a reason added to the runtime gets a
// label of the same form. result is never "error": a store error is counted
// in store_errors_total, beside the decision the fail policy made (a cache
// read or write the store could not answer counts there only, not as a hit
// or miss). A global concurrency pool whose lease renewal or release fails
// is reported by the runtime as an allowed decision with a store error, so
// it counts in both.
//
// # Shadow mode
//
// A limit deployed with mode=shadow lets every call go ahead, so
// decisions_total counts each of its calls as allowed (a rejection alert on
// decisions_total does not fire for a shadow rollout). What enforcing it
// would have done differently is counted, for the same policy and name, in
// shadow_decisions_total, the "would reject" series: its result is the
// rejection's value from the table above (quota, full_queue,
// consumer_quota, ...), or
//
//	result  policy       meaning
//	wait    concurrency  the call would have waited for a slot; it ran at once, without one
//
// So the calls a limit would reject are, per second,
// rate(throttle_shadow_decisions_total{result!="wait"}[5m]), and the share
// of calls that would be rejected divides that by the rate of
// throttle_decisions_total of the same policy and name.
//
// A Hook is safe for concurrent use.
package promhook

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/throttlegen/throttlegen/runtime"
)

// Hook records decisions into Prometheus metrics. Create it with New.
type Hook struct {
	decisions   *prometheus.CounterVec
	shadow      *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
	wait        *prometheus.HistogramVec
	running     *prometheus.Desc
	queued      *prometheus.Desc
	capacity    *prometheus.Desc
	stats       func() []runtime.ConcurrencyStats
}

type options struct {
	namespace   string
	buckets     []float64
	constLabels prometheus.Labels
}

// Option configures New.
type Option func(*options)

// WithNamespace prefixes metric names with ns instead of "throttle".
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithBuckets sets the wait-time histogram's buckets, in seconds.
func WithBuckets(b ...float64) Option { return func(o *options) { o.buckets = b } }

// WithConstLabels adds labels to every metric (for example the service).
func WithConstLabels(l prometheus.Labels) Option { return func(o *options) { o.constLabels = l } }

// DefaultBuckets are the wait-time buckets: 100µs to about 26s.
var DefaultBuckets = prometheus.ExponentialBuckets(0.0001, 4, 10)

// New returns a Hook; register it with a prometheus.Registerer and pass it to
// runtime.Configure(runtime.WithHook(h)).
func New(opts ...Option) *Hook {
	o := options{namespace: "throttle", buckets: DefaultBuckets}
	for _, opt := range opts {
		opt(&o)
	}
	return &Hook{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: o.namespace, Name: "decisions_total", ConstLabels: o.constLabels,
			Help: "Decisions of throttle limiters, by policy, limit name and result (allowed or the reason of a rejection).",
		}, []string{"policy", "name", "result"}),
		shadow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: o.namespace, Name: "shadow_decisions_total", ConstLabels: o.constLabels,
			Help: "Decisions of throttle limiters in shadow mode that enforcement would have made otherwise: the reason of the rejection it would have made, or wait.",
		}, []string{"policy", "name", "result"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: o.namespace, Name: "store_errors_total", ConstLabels: o.constLabels,
			Help: "Decisions a throttle store could not answer.",
		}, []string{"policy", "name"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: o.namespace, Name: "wait_seconds", ConstLabels: o.constLabels, Buckets: o.buckets,
			Help: "How long calls waited before their throttle decision was final.",
		}, []string{"policy", "name"}),
		running: prometheus.NewDesc(prometheus.BuildFQName(o.namespace, "concurrency", "running"),
			"Calls holding a slot of a concurrency pool in this process.", []string{"name"}, o.constLabels),
		queued: prometheus.NewDesc(prometheus.BuildFQName(o.namespace, "concurrency", "queued"),
			"Calls of this process waiting for a slot of a concurrency pool.", []string{"name"}, o.constLabels),
		capacity: prometheus.NewDesc(prometheus.BuildFQName(o.namespace, "concurrency", "capacity"),
			"Slots of a concurrency pool.", []string{"name"}, o.constLabels),
		stats: runtime.AllConcurrencyStats,
	}
}

// OnDecision implements runtime.Hook.
func (h *Hook) OnDecision(e runtime.Event) {
	storeErr := isStoreError(e)
	if storeErr {
		h.storeErrors.WithLabelValues(e.Policy, e.Name).Inc()
		if e.Policy == "cache" {
			return // a cache read or write the store could not answer: not a lookup
		}
	}
	if e.Shadow {
		h.shadow.WithLabelValues(e.Policy, e.Name, shadowResult(e)).Inc()
		e.Allowed = true // the call went ahead
	}
	h.decisions.WithLabelValues(e.Policy, e.Name, result(e)).Inc()
	h.wait.WithLabelValues(e.Policy, e.Name).Observe(e.Wait.Seconds())
}

// result is the result label of e (see the package doc).
func result(e runtime.Event) string {
	switch e.Policy {
	case "cache":
		if e.Allowed {
			return "hit"
		}
		return "miss"
	case "retry":
		if e.Allowed {
			return "allowed"
		}
		return "denied"
	}
	switch {
	case e.Allowed:
		return "allowed"
	case e.Reason != 0:
		return reasonLabel(e.Reason)
	case e.Err != nil && isContextErr(e.Err):
		return "canceled"
	case e.Err != nil:
		return "store_unavailable"
	default:
		return "other_limit"
	}
}

// shadowResult is the result label of e, a shadow decision, in
// shadow_decisions_total: what enforcement would have decided.
func shadowResult(e runtime.Event) string {
	if e.Allowed {
		return "wait"
	}
	return result(e)
}

// reasonLabel is r's String without "rejected due to ", spaces made
// underscores: "rejected due to full queue" is full_queue.
func reasonLabel(r runtime.Reason) string {
	return strings.ReplaceAll(strings.TrimPrefix(r.String(), "rejected due to "), " ", "_")
}

// isStoreError tells a store's error from a waiter's context ending, which
// the runtime also reports in Event.Err.
func isStoreError(e runtime.Event) bool {
	return e.Err != nil && !isContextErr(e.Err)
}

// Describe implements prometheus.Collector.
func (h *Hook) Describe(ch chan<- *prometheus.Desc) {
	h.decisions.Describe(ch)
	h.shadow.Describe(ch)
	h.storeErrors.Describe(ch)
	h.wait.Describe(ch)
	ch <- h.running
	ch <- h.queued
	ch <- h.capacity
}

// Collect implements prometheus.Collector.
func (h *Hook) Collect(ch chan<- prometheus.Metric) {
	h.decisions.Collect(ch)
	h.shadow.Collect(ch)
	h.storeErrors.Collect(ch)
	h.wait.Collect(ch)
	for _, s := range h.stats() {
		ch <- prometheus.MustNewConstMetric(h.running, prometheus.GaugeValue, float64(s.Running), s.Name)
		ch <- prometheus.MustNewConstMetric(h.queued, prometheus.GaugeValue, float64(s.Queued), s.Name)
		ch <- prometheus.MustNewConstMetric(h.capacity, prometheus.GaugeValue, float64(s.Capacity), s.Name)
	}
}
