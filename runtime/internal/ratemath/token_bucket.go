package ratemath

// token_bucket's state: the bucket's level (in units; negative after
// reservations) and the time of its last refill.
func bucketState(level, lastRefill int64) State { return State{w0: level, w1: lastRefill} }
func (s State) level() int64                    { return s.w0 }
func (s State) lastRefill() int64               { return s.w1 }

// tokenBucket refills Quota units per µs into a bucket of Capacity
// (c = b·d) units; a call of cost n takes n·Period units (n tokens).
// Fractional refill is kept exactly because the arithmetic is in units, not
// tokens. A call that finds fewer units than it takes may reserve them,
// driving the level negative, when the refill would cover it within
// maxWait.
func tokenBucket(p *Params, st State, fresh bool, now, maxWait, cost int64) (State, Outcome) {
	if cost > p.MaxCost {
		return st, costRejection
	}
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
	need := cost * p.Period // <= b·d: cost <= b
	var delay int64
	if level < need {
		delay = CeilDiv(need-level, p.Quota)
		if maxWait >= 0 && delay > maxWait {
			return bucketState(level, last), Outcome{Reason: ReasonQuota, RetryAfter: delay,
				TTL: CeilDiv(p.Capacity-level, p.Quota)}
		}
	}
	level -= need
	return bucketState(level, last), Outcome{Allowed: true, Rem: max(level, 0), Per: p.Period, Delay: delay,
		TTL: CeilDiv(p.Capacity-level, p.Quota)}
}

// tokenBucketCancel puts back the cost tokens a reservation took.
func tokenBucketCancel(p *Params, st State, now, cost int64) (State, int64) {
	st = bucketState(min(p.Capacity, st.level()+cost*p.Period), st.lastRefill())
	return st, max(st.lastRefill()+CeilDiv(p.Capacity-st.level(), p.Quota)-now, 0)
}
