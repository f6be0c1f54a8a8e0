package runtime

import "time"

// Event describes one decision of a limiter, as a Hook sees it.
type Event struct {
	Policy  string        // "gcra", "concurrency", "retry", "timeout", "cache", ...
	Name    string        // the limit's, pool's or function's identity
	Key     string        // the caller's key or consumer, "" when none
	Allowed bool          // whether the call went ahead
	Reason  Reason        // why it was rejected; 0 when allowed
	Wait    time.Duration // how long the call waited before the decision was final
	Err     error         // a store error, if the store could not answer
	Running int           // concurrency: calls running after the decision, when known
	Queued  int           // concurrency: calls waiting after the decision, when known
	// Shadow is true for a decision of a limit in mode=shadow that would
	// have rejected the call (Allowed is false): the call went ahead. A
	// concurrency limiter in mode=shadow also reports a call that would have
	// waited for a slot with Shadow true and Allowed true: it went ahead at
	// once, without a slot (see ConcurrencySpec.Mode).
	Shadow bool
}

// Hook observes decisions. It is called synchronously on the caller's
// goroutine, possibly from many goroutines at once, so it must be safe for
// concurrent use and quick. Without a hook (the default) nothing is built and
// nothing is called.
type Hook interface {
	OnDecision(Event)
}
