// Package runtime is what throttlegen's generated wrappers call, and what a
// program uses to configure them, observe them, and create limits from code:
// the rate algorithms, the in-memory store, the concurrency limiter, retry,
// timeout and cache.
//
// Its API has three audiences, documented in three parts below: users of
// throttlegen, implementers of a Store, and the code throttlegen generates.
// Identifiers of the last part say "For use by generated code only" in their
// documentation; hand-written code does not need them.
//
// # Model
//
// A wrapper generated for an annotated function owns one limiter per policy,
// created once when its package is initialised. A call of the wrapper asks
// those limiters, in the order cache → retry → rate policies → concurrency →
// timeout, and then calls the function. Rejections are *ThrottledError values
// that satisfy errors.Is(err, ErrThrottled).
//
// Rate decisions are made by a Store. Without Configure, wrappers use an
// in-memory store and the keyspace "throttle"; Configure may be called at any
// time and wrappers read the configuration at call time.
//
// This package imports only the standard library, so generated code compiles
// anywhere. Everything in it is safe for concurrent use by many goroutines
// unless a comment says otherwise.
//
// # For users
//
// Configuration, chosen at start-up and process-wide: [Configure] with
// [WithStore] (a shared store such as
// [github.com/throttlegen/throttlegen/runtime/redisstore], or
// [NewMemoryStore], the default, bounded by [WithMaxKeys]), [WithKeyspace],
// [WithHook], [WithClock] and [WithLimitsOff].
//
// Errors: every rejection satisfies errors.Is(err, [ErrThrottled]) and is a
// [*ThrottledError] whose [Reason] says why; [ErrTimeout] (timeout policies),
// [ErrStoreUnavailable] (fail=closed; with [ErrStoreMisconfigured] when
// retrying cannot fix the store's error), [*RetryError] (the last error of a
// retried call) and [ErrAbandoned] (a cached call that panicked).
//
// Changing limits while the program runs: an [Overrides] set, parsed by
// [ParseOverrides] or read by [LoadOverrides] (a program started with
// THROTTLEGEN_OVERRIDES=path loads that file before its first decision),
// replaces the values of limits by their identity when put in force with
// [WithOverrides]; [ReloadOverrides] and [WatchOverrides] reload a file and
// keep the set in force when the new one is bad. A limit's [Mode] (mode=)
// enforces it, runs it in shadow (decided and reported as [Event.Shadow],
// never rejecting) or switches it off. Calls that fail for their own values
// wrap [ErrInvalidCost] (a negative cost=) or [ErrInvalidValue] (a per-call
// quota, burst or bucket below 1); a cost no limit could ever admit is a
// rejection for [ReasonCost].
//
// Priorities travel in the context: [WithPriority], [PriorityFrom],
// [ParsePriority]; concurrency limiters use them.
//
// Observing: a [Hook] sees every decision as an [Event]
// ([github.com/throttlegen/throttlegen/runtime/promhook] exports them as
// Prometheus metrics), and a hook that is also a [StoreHook] sees each
// change of a store's health as a [StoreEvent]; [AllConcurrencyStats]
// reports every named pool.
//
// Changing limits while the program runs: [ParseOverrides] and
// [LoadOverrides] read an override text (one line per limit, by its
// identity; errors as [*OverrideError]), [WithOverrides] puts it in force
// from the next decision (limits keep their state), [ReloadOverrides] and
// [WatchOverrides] reload a file and keep the set in force when the new file
// is bad, and a program started with THROTTLEGEN_OVERRIDES=path
// ([OverridesEnv]) loads that file before its first decision. [Mode]
// (mode=) deploys a limit in shadow ([ModeShadow]: decided and reported,
// never enforced) or switches it off ([ModeOff]).
//
// Limits from code, for calls that cannot carry a directive: [NewRateLimiter]
// returns a [*Rate] whose [Rate.Allow] decides a call, and [NewConcurrency]
// a [*Concurrency] with [Concurrency.Acquire] and [Slot.Release], or
// [Concurrency.Do]. They are decided by the same machinery as generated
// wrappers: the configured store, keyspace, hook and clock apply, a limit
// created from code and a directive naming the same limit (name= and policy,
// or pool=) share one limit, and [WriteRejection] answers an HTTP request as
// generated handlers do.
//
// Testing code that uses throttlegen: [SaveConfig] returns a function that
// restores the configuration in force, so a test isolates its configuration
// with
//
//	t.Cleanup(runtime.SaveConfig())
//	runtime.Configure(runtime.WithStore(runtime.NewMemoryStore()))
//
// (in a fresh store, or a fresh keyspace, every rate limit starts afresh);
// it switches rate and concurrency limits off with [WithLimitsOff]; and it
// drives time with the fake clock of
// [github.com/throttlegen/throttlegen/runtime/fakeclock], passed to
// [WithClock]. The configuration is process-wide: tests that change it must
// not run in parallel with tests that depend on another.
//
// # For store implementers
//
// A [Store] decides rate limits, possibly for many processes: [Store.Decide]
// takes a [*Request] over one or more [*Limit] values (each an [Algorithm]
// with its parameters) and returns a [Decision], all-or-nothing; [Store.Cancel]
// gives back a reservation. A store that also implements [LeaseStore]
// ([LeaseRequest], [LeaseResult]) enforces scope=global concurrency pools, and
// one that implements [CacheStore] keeps store=shared cache results. A store
// that knows without asking anyone that it cannot answer (a breaker open)
// implements [AvailabilityReporter], and reports changes of its health once
// each with [ReportStoreEvent].
// [MemoryStore] is the reference implementation; the exact arithmetic of each
// algorithm is in docs/design.md, and this repository's
// runtime/internal/conformance suite checks a Store against MemoryStore on
// deterministic traces.
//
// # For generated code
//
// Generated wrappers create their limiters at package initialisation with
// [NewRate] (one [RateSpec] per rate directive, with its [Mode] and which
// values are [PerCall]; [Rate.AllowKeys] decides several at once, and
// [Rate.AllowCall] and [Rate.AllowCalls] a call with a cost or per-call
// values, one [Call] per directive), [NewConcurrency], [NewRetry], [NewCache], and call
// [WithTimeout], [TimeoutError], [RunTimeout] and [WriteRejection]. They
// refer to [SupportPackageIsVersion1], so that code generated for another
// runtime contract fails to compile instead of misbehaving.
//
// Identifiers marked "For use by generated code only" are not covered by the
// compatibility promise of the other two parts: they change with the
// generator, in any release, and such a change bumps the
// SupportPackageIsVersion constant. Hand-written code uses the user part
// instead ([NewRateLimiter] rather than [NewRate]).
package runtime
