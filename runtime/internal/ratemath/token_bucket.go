package ratemath

// token_bucket's state: the bucket's level (in units; negative after
// reservations) and the time of its last refill.
func bucketState(level, lastRefill int64) State { return State{w0: level, w1: lastRefill} }
func (s State) level() int64                    { return s.w0 }
func (s State) lastRefill() int64               { return s.w1 }

// tokenBucket refills Quota units per µs into a bucket of Capacity
// (c = b·d) units; a call takes Period units (one token). Fractional refill
// is kept exactly because the arithmetic is in units, not tokens. A call
// that finds fewer than d units may reserve them, driving the level
// negative, when the refill would cover it within maxWait.
func tokenBucket(p *Params, st State, fresh bool, now, maxWait int64) (State, Outcome) {
	level, last := st.level(), st.lastRefill()
	if fresh {
		level, last = p.Capacity, now
	}
	if elapsed := now - last; elapsed > 0 {
		// Clamp before multiplying (no overflow): past full, the level is c.
		if full := CeilDiv(p.Capacity-level, p.Quota); elapsed > full {
			elapsed = full
		}
		level = min(p.Capacity, level+elapsed*p.Quota)
	}
	last = now
	var delay int64
	if level < p.Period {
		delay = CeilDiv(p.Period-level, p.Quota)
		if maxWait >= 0 && delay > maxWait {
			return bucketState(level, last), Outcome{Reason: ReasonQuota, RetryAfter: delay,
				TTL: CeilDiv(p.Capacity-level, p.Quota)}
		}
	}
	level -= p.Period
	return bucketState(level, last), Outcome{Allowed: true, Rem: max(level, 0), Per: p.Period, Delay: delay,
		TTL: CeilDiv(p.Capacity-level, p.Quota)}
}

// tokenBucketCancel puts back the token a reservation took.
func tokenBucketCancel(p *Params, st State, now int64) (State, int64) {
	st = bucketState(min(p.Capacity, st.level()+p.Period), st.lastRefill())
	return st, max(st.lastRefill()+CeilDiv(p.Capacity-st.level(), p.Quota)-now, 0)
}
