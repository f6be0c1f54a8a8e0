// Package runtime is what throttlegen's generated wrappers call: the rate
// algorithms, the in-memory store, the concurrency limiter, retry, timeout
// and cache.
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
package runtime
