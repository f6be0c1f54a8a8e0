package redisstore

import "time"

// Defaults of the options.
const (
	DefaultTimeout  = 100 * time.Millisecond
	DefaultMaxBatch = 256
)

// Option configures a Store; see New.
type Option func(*options)

type options struct {
	timeout    time.Duration
	pipelining bool
	window     time.Duration
	maxBatch   int
	pipelines  int
	spread     bool
}

func defaultOptions() options {
	return options{
		timeout:    DefaultTimeout,
		pipelining: true,
		maxBatch:   DefaultMaxBatch,
		pipelines:  1,
	}
}

// WithTimeout bounds each decision (default DefaultTimeout): a Decide or
// Cancel that gets no answer within d returns an error wrapping
// runtime.ErrStoreUnavailable, so a dead or stalled Redis never hangs a
// caller. The caller's context bounds it further. A decision that goes
// through a batcher is timed out by a watchdog that looks every d/8 (at
// least every millisecond), so it returns within d + d/8. d <= 0 restores
// the default.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			d = DefaultTimeout
		}
		o.timeout = d
	}
}

// WithPipelining turns the coalescing of concurrent decisions into shared
// pipelines on (the default) or off. Off, every decision is its own round
// trip on the caller's goroutine, bounded by WithTimeout through the
// context; with a client whose ContextTimeoutEnabled is off (go-redis then
// bounds socket reads by its own ReadTimeout only), the round trip runs on a
// goroutine of its own that the caller leaves when WithTimeout passes.
//
// On, with a client that has ContextTimeoutEnabled, a decision that finds
// the store idle (nothing queued for the batcher) makes its round trip on
// the caller's goroutine too, which saves the hand-off's latency; decisions
// that overlap go through the batcher.
func WithPipelining(on bool) Option { return func(o *options) { o.pipelining = on } }

// WithPipelineWindow makes the batcher wait up to d for more decisions before
// sending a pipeline that is not full (default 0: it sends whatever is queued
// at once, which already coalesces every decision that arrives while the
// previous pipeline is in flight, and adds no latency when idle).
func WithPipelineWindow(d time.Duration) Option {
	return func(o *options) { o.window = max(d, 0) }
}

// WithMaxBatch bounds how many decisions one pipeline carries (default
// DefaultMaxBatch). n < 1 means 1.
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = max(n, 1) } }

// WithPipelines sets how many pipelines may be in flight at once (default 1);
// each is sent by its own batcher goroutine. n < 1 means 1.
func WithPipelines(n int) Option { return func(o *options) { o.pipelines = max(n, 1) } }

// WithSpreadKeys makes a decision over one keyed limit hash to a Cluster slot
// by that limit's name and user key, so that per-user limits spread over the
// masters of a cluster (default off: every limit key of a keyspace shares
// one slot). The cost: a keyed limit (same name and policy) that some
// decisions use alone and others together with more limits keeps two
// states, one for each kind of decision. Turn it on only when no function
// shares a keyed limit, by name=, with a function carrying several rate
// directives.
func WithSpreadKeys(on bool) Option { return func(o *options) { o.spread = on } }
