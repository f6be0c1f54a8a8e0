package redisstore

import "sync/atomic"

// Stats counts what a Store did since it was created.
type Stats struct {
	Allowed     uint64 // decisions that admitted the call
	Rejected    uint64 // decisions that rejected it
	Cancels     uint64 // reservations given back
	Errors      uint64 // decisions and cancels the store could not answer
	Timeouts    uint64 // of Errors, those that ran out of time
	ScriptLoads uint64 // NOSCRIPT answers replayed with EVAL
	Pipelines   uint64 // round trips the batchers made
	Batched     uint64 // calls those round trips carried

	// Breaker (see WithTimeout): BreakerOpen says whether the store is
	// being left alone after a failure, BreakerTrips how often that began,
	// and ShortCircuits how many calls it answered without asking the store
	// (also counted in Errors).
	BreakerOpen   bool
	BreakerTrips  uint64
	ShortCircuits uint64
	// Misconfigured counts the errors retrying cannot fix (also counted in
	// Errors; see runtime.ErrStoreMisconfigured).
	Misconfigured uint64
}

type counters struct {
	allowed, rejected, cancels, errors, timeouts atomic.Uint64
	scriptLoads, pipelines, batched              atomic.Uint64
	misconfigured                                atomic.Uint64
}

// Stats returns a snapshot of the store's counters. Under fail=open, Errors
// counts the calls let through because the store could not answer; under
// fail=closed, those rejected with an error.
func (s *Store) Stats() Stats {
	c := &s.stats
	return Stats{
		Allowed: c.allowed.Load(), Rejected: c.rejected.Load(), Cancels: c.cancels.Load(),
		Errors: c.errors.Load(), Timeouts: c.timeouts.Load(), ScriptLoads: c.scriptLoads.Load(),
		Pipelines: c.pipelines.Load(), Batched: c.batched.Load(),
		BreakerOpen: s.brk.open(), BreakerTrips: s.brk.trips.Load(), ShortCircuits: s.brk.shorts.Load(),
		Misconfigured: c.misconfigured.Load(),
	}
}
