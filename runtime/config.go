package runtime

import "sync/atomic"

// DefaultKeyspace is the keyspace used until Configure sets another.
const DefaultKeyspace = "throttle"

// config is immutable once published; Configure swaps it atomically.
type config struct {
	store     Store // nil means the default in-memory store
	keyspace  string
	hook      Hook
	clock     Clock
	limitsOff bool         // WithLimitsOff: rate and concurrency policies admit every call
	overrides *overrideSet // WithOverrides; nil: none
	gen       uint64       // bumped by every publication, so limiters can cache what they derive
}

var current atomic.Pointer[config]

func init() {
	current.Store(&config{keyspace: DefaultKeyspace, clock: SystemClock})
}

// loadConfig returns the configuration in force.
func loadConfig() *config { return current.Load() }

// Option changes the configuration; see Configure.
type Option func(*config)

// Configure changes how every wrapper and every limiter created from code
// decides: options are applied on top of the configuration in force, and the
// result is published atomically. It may be called at any time, also after
// wrappers have run; calls in flight finish with the configuration they
// started with, and every later decision uses the new one (limiters refresh
// what they derived from the old one, such as their in-memory tables, on
// their next call).
//
// The configuration is process-wide; SaveConfig brings back an earlier one.
// Configure is safe for concurrent use.
func Configure(opts ...Option) {
	for {
		old := current.Load()
		c := *old
		for _, o := range opts {
			o(&c)
		}
		c.gen = old.gen + 1
		if current.CompareAndSwap(old, &c) {
			if c.overrides != old.overrides {
				overridesChanged(&c)
			}
			return
		}
	}
}

// SaveConfig returns a function that restores the configuration in force
// now: store, keyspace, hook, clock and every other option, whatever
// Configure calls were made since. Restoring publishes that configuration
// again with the same effect on limiters as a Configure (they refresh what
// they derived), and may be done any number of times. Tests use it to leave
// the process as they found it:
//
//	t.Cleanup(runtime.SaveConfig())
//	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore()))
//
// Saves restored in the reverse order of their SaveConfig calls (as defer
// and t.Cleanup run them) bring back each earlier configuration in turn.
// SaveConfig and the function it returns are safe for concurrent use.
func SaveConfig() (restore func()) {
	saved := current.Load()
	return func() {
		for {
			cur := current.Load()
			c := *saved
			c.gen = cur.gen + 1
			if current.CompareAndSwap(cur, &c) {
				if c.overrides != cur.overrides {
					overridesChanged(&c)
				}
				return
			}
		}
	}
}

// WithStore makes wrappers decide shared limits in s. A nil s restores the
// default in-memory store.
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// WithKeyspace prefixes every key a store writes with ks. An empty ks
// restores DefaultKeyspace. Two keyspaces never share state, in memory or
// in a shared store.
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

// WithClock makes the runtime read time and sleep through clk: rate
// decisions made in memory, waits, max_wait, timeouts, retry back-offs and
// cache expiry. Tests pass a runtime/fakeclock.Clock for deterministic
// results. A nil clk restores SystemClock. Stores that decide elsewhere
// (runtime/redisstore) keep their own clock.
func WithClock(clk Clock) Option {
	return func(c *config) {
		if clk == nil {
			clk = SystemClock
		}
		c.clock = clk
	}
}

// WithLimitsOff, with off true, switches every rate and concurrency policy
// off, as mode=off would: each call goes ahead at once without a decision,
// so no state is read or written, no store is asked and the hook sees no
// event for those policies. Retry, timeout and cache work as before. With off
// false, limits decide again, with the state they had.
//
// It is meant for tests of code that calls wrappers, where limits are in the
// way:
//
//	t.Cleanup(runtime.SaveConfig())
//	runtime.Configure(runtime.WithLimitsOff(true))
func WithLimitsOff(off bool) Option { return func(c *config) { c.limitsOff = off } }
