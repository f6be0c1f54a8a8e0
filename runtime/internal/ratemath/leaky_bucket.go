package ratemath

// leaky_bucket's state: the time the latest admitted unit runs (its turn).
func turnState(lastTurn int64) State { return State{w0: lastTurn} }
func (s State) lastTurn() int64      { return s.w0 }

// leakyBucket paces units t = ⌈d/q⌉ (Interval) apart: a call of cost c
// takes the c consecutive turns next, next+t, …, next+(c−1)·t, where next
// is now or t after the latest admitted turn, and runs at its first turn
// (Delay = next − now). The units waiting once it is admitted (those of
// the turns ahead of now, plus its own c, less the one running now if next
// is now) must not exceed Bucket, else it is rejected (ReasonQuota); a call
// whose first turn comes later than maxWait is rejected for ReasonDeadline.
// For c = 1 this is "a call that would find Bucket calls already waiting
// is rejected".
func leakyBucket(p *Params, st State, fresh bool, now, maxWait, cost int64) (State, Outcome) {
	if cost > p.MaxCost {
		return st, costRejection
	}
	t, k := p.Interval, p.Bucket
	last := st.lastTurn()
	if fresh {
		last = now - t
	}
	next := max(now, last+t)
	var ahead int64
	if last > now {
		ahead = CeilDiv(last-now, t)
	}
	units := ahead + cost // waiting once admitted
	if next == now {
		units-- // its first unit runs at once
	}
	ttl := max(last-now+t, 0)
	if units > k {
		// At now + RetryAfter, last − now = (k − c)·t: exactly room for c.
		return st, Outcome{Reason: ReasonQuota, RetryAfter: (last - now) - (k-cost)*t, TTL: ttl}
	}
	if maxWait >= 0 && next-now > maxWait {
		return st, Outcome{Reason: ReasonDeadline, RetryAfter: next - now, TTL: ttl}
	}
	end := next + (cost-1)*t
	return turnState(end), Outcome{Allowed: true, Rem: k - units, Delay: next - now, TTL: end - now + t}
}

// leakyBucketCancel frees the cost latest turns, as many of them as are
// still in the future: n = min(cost, ⌊(lastTurn − now)/t⌋) (at least 0).
func leakyBucketCancel(p *Params, st State, now, cost int64) (State, int64) {
	if n := min(cost, max(0, FloorDiv(st.lastTurn()-now, p.Interval))); n > 0 {
		st = turnState(st.lastTurn() - n*p.Interval)
	}
	return st, max(st.lastTurn()-now+p.Interval, 0)
}

// leakyBucketFreshAt: once the latest turn is an interval past, the state
// decides as a fresh one.
func leakyBucketFreshAt(p *Params, st State) int64 { return st.lastTurn() + p.Interval }
