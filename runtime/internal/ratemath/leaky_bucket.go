package ratemath

// leaky_bucket's state: the time the latest admitted call runs (its turn).
func turnState(lastTurn int64) State { return State{w0: lastTurn} }
func (s State) lastTurn() int64      { return s.w0 }

// leakyBucket paces calls t = ⌈d/q⌉ (Interval) apart: each admitted call is
// given the time it runs (now, or t after the latest admitted call) and
// waits for it. A call that would find Bucket calls already waiting is
// rejected (ReasonQuota), and so is one whose turn comes later than maxWait
// (ReasonDeadline).
func leakyBucket(p *Params, st State, fresh bool, now, maxWait int64) (State, Outcome) {
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
	ttl := max(last-now+t, 0)
	if next != now && ahead >= k {
		return st, Outcome{Reason: ReasonQuota, RetryAfter: (last - now) - (k-1)*t, TTL: ttl}
	}
	if maxWait >= 0 && next-now > maxWait {
		return st, Outcome{Reason: ReasonDeadline, RetryAfter: next - now, TTL: ttl}
	}
	rem := k
	if next != now {
		rem = k - (ahead + 1)
	}
	return turnState(next), Outcome{Allowed: true, Rem: rem, Delay: next - now, TTL: next - now + t}
}

// leakyBucketCancel frees the latest turn when it is still in the future.
func leakyBucketCancel(p *Params, st State, now int64) (State, int64) {
	if st.lastTurn()-p.Interval >= now {
		st = turnState(st.lastTurn() - p.Interval)
	}
	return st, max(st.lastTurn()-now+p.Interval, 0)
}

// leakyBucketFreshAt: once the latest turn is an interval past, the state
// decides as a fresh one.
func leakyBucketFreshAt(p *Params, st State) int64 { return st.lastTurn() + p.Interval }
