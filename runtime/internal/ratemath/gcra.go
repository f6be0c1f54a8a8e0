package ratemath

// gcra's state: the theoretical arrival time (tat) of the next call.
func tatState(tat int64) State { return State{w0: tat} }
func (s State) tat() int64     { return s.w0 }

// gcra is the generic cell rate algorithm with emission interval
// t = ⌈d/q⌉ (Interval) and tolerance (b−1)·t: it keeps one number, the
// theoretical arrival time (tat) of the next call. A call of cost c takes
// c intervals. It admits what tokenBucket admits when q divides d, and
// never more.
func gcra(p *Params, st State, fresh bool, now, maxWait, cost int64) (State, Outcome) {
	if cost > p.MaxCost {
		return st, costRejection
	}
	tat := st.tat()
	if fresh {
		tat = now
	}
	next, over := GCRAStep(p, tat, now, cost)
	if maxWait >= 0 && over > maxWait {
		return st, Outcome{Reason: ReasonQuota, RetryAfter: over, TTL: max(st.tat()-now, 0)}
	}
	return tatState(next), Outcome{Allowed: true, Rem: max(p.BurstSpan-(next-now), 0), Per: p.Interval,
		Delay: max(over, 0), TTL: next - now}
}

// GCRAStep is gcra's arithmetic for one call of cost units (1 <= cost <=
// p.MaxCost) at now on the state tat: the tat to commit if it is admitted,
// and by how much it is over the burst (the Delay when > 0, or, rejected,
// the RetryAfter). A tat of 0 (fresh) or in the past counts from now. The
// memory store's lock-free hot path uses it directly.
func GCRAStep(p *Params, tat, now, cost int64) (next, over int64) {
	next = max(tat, now) + cost*p.Interval
	return next, next - now - p.BurstSpan
}

// gcraCancel gives back the cost emission intervals of a reservation, not
// below now.
func gcraCancel(p *Params, st State, now, cost int64) (State, int64) {
	st = tatState(max(st.tat()-cost*p.Interval, now))
	return st, st.tat() - now
}

// gcraFreshAt: a tat in the past decides as a fresh state.
func gcraFreshAt(_ *Params, st State) int64 { return st.tat() }
