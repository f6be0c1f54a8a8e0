package runtime

import "sync/atomic"

// DefaultKeyspace is the keyspace used until Configure sets another.
const DefaultKeyspace = "throttle"

// config is immutable once published; Configure swaps it atomically.
type config struct {
	store    Store // nil means the default in-memory store
	keyspace string
	hook     Hook
	clock    Clock
	gen      uint64 // bumped by every Configure, so limiters can cache what they derive
}

var current atomic.Pointer[config]

func init() {
	current.Store(&config{keyspace: DefaultKeyspace, clock: SystemClock})
}

// loadConfig returns the configuration in force.
func loadConfig() *config { return current.Load() }

// Option changes the configuration; see Configure.
type Option func(*config)

// Configure changes how every wrapper decides: options are applied on top of
// the configuration in force, and the result is published atomically. It may
// be called at any time, also after wrappers have run; calls in flight finish
// with the configuration they started with.
func Configure(opts ...Option) {
	for {
		old := current.Load()
		c := *old
		for _, o := range opts {
			o(&c)
		}
		c.gen = old.gen + 1
		if current.CompareAndSwap(old, &c) {
			return
		}
	}
}

// WithStore makes wrappers decide shared limits in s. A nil s restores the
// default in-memory store.
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// WithKeyspace prefixes every key a store writes with ks. An empty ks
// restores DefaultKeyspace.
func WithKeyspace(ks string) Option {
	return func(c *config) {
		if ks == "" {
			ks = DefaultKeyspace
		}
		c.keyspace = ks
	}
}

// WithHook makes h see every decision. A nil h removes the hook.
func WithHook(h Hook) Option { return func(c *config) { c.hook = h } }

// WithClock makes the runtime read time and sleep through clk; tests use a
// fake clock for deterministic results. A nil clk restores SystemClock.
func WithClock(clk Clock) Option {
	return func(c *config) {
		if clk == nil {
			clk = SystemClock
		}
		c.clock = clk
	}
}
