// Package promhook exports throttlegen's decisions as Prometheus metrics.
//
// A Hook is both a runtime.Hook and a prometheus.Collector:
//
//	h := promhook.New()
//	prometheus.MustRegister(h)
//	runtime.Configure(runtime.WithHook(h))
//
// It exports (with the default namespace "throttle"):
//
//   - throttle_decisions_total{policy, name, result}: every decision, result
//     being "allowed" or the reason of a rejection ("quota", "full_queue",
//     "priority_quota", "consumer_quota", "deadline"), or "canceled" for a
//     waiter whose context ended;
//   - throttle_store_errors_total{policy, name}: decisions a store could not
//     answer;
//   - throttle_wait_seconds{policy, name}: a histogram of how long calls
//     waited before their decision was final;
//   - throttle_concurrency_running{name}, throttle_concurrency_queued{name}
//     and throttle_concurrency_capacity{name}: gauges of every named
//     concurrency pool of the process, read when Prometheus scrapes.
//
// The consumer or key of a call is not a label: it would make the number of
// series unbounded. A Hook is safe for concurrent use.
package promhook

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/throttlegen/throttlegen/runtime"
)

// Hook records decisions into Prometheus metrics. Create it with New.
type Hook struct {
	decisions   *prometheus.CounterVec
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

var results = map[runtime.Reason]string{
	runtime.ReasonQuota:         "quota",
	runtime.ReasonFullQueue:     "full_queue",
	runtime.ReasonPriorityQuota: "priority_quota",
	runtime.ReasonConsumerQuota: "consumer_quota",
	runtime.ReasonDeadline:      "deadline",
}

// OnDecision implements runtime.Hook.
func (h *Hook) OnDecision(e runtime.Event) {
	result := "allowed"
	switch {
	case e.Allowed:
	case e.Reason != 0:
		if r, ok := results[e.Reason]; ok {
			result = r
		} else {
			result = e.Reason.String()
		}
	case e.Err != nil && !isStoreError(e):
		result = "canceled"
	default:
		result = "error"
	}
	h.decisions.WithLabelValues(e.Policy, e.Name, result).Inc()
	if isStoreError(e) {
		h.storeErrors.WithLabelValues(e.Policy, e.Name).Inc()
	}
	h.wait.WithLabelValues(e.Policy, e.Name).Observe(e.Wait.Seconds())
}

// isStoreError tells a store's error from a waiter's context ending, which
// the runtime also reports in Event.Err.
func isStoreError(e runtime.Event) bool {
	return e.Err != nil && !isContextErr(e.Err)
}

// Describe implements prometheus.Collector.
func (h *Hook) Describe(ch chan<- *prometheus.Desc) {
	h.decisions.Describe(ch)
	h.storeErrors.Describe(ch)
	h.wait.Describe(ch)
	ch <- h.running
	ch <- h.queued
	ch <- h.capacity
}

// Collect implements prometheus.Collector.
func (h *Hook) Collect(ch chan<- prometheus.Metric) {
	h.decisions.Collect(ch)
	h.storeErrors.Collect(ch)
	h.wait.Collect(ch)
	for _, s := range h.stats() {
		ch <- prometheus.MustNewConstMetric(h.running, prometheus.GaugeValue, float64(s.Running), s.Name)
		ch <- prometheus.MustNewConstMetric(h.queued, prometheus.GaugeValue, float64(s.Queued), s.Name)
		ch <- prometheus.MustNewConstMetric(h.capacity, prometheus.GaugeValue, float64(s.Capacity), s.Name)
	}
}
