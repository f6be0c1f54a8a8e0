package runtime

// tokenBucket refills q units per µs into a bucket of capacity c = b·d units;
// a call takes d units (one token). Fractional refill is kept exactly because
// the arithmetic is in units, not tokens. A call that finds fewer than d
// units may reserve them, driving the level negative, when the refill would
// cover it within maxWait. State: a = level, b = last refill.
func tokenBucket(p *params, st state, fresh bool, now, maxWait int64) (state, outcome) {
	if fresh {
		st = state{a: p.c, b: now}
	}
	if elapsed := now - st.b; elapsed > 0 {
		// Clamp before multiplying (no overflow): past full, the level is c.
		if full := ceilDiv(p.c-st.a, p.q); elapsed > full {
			elapsed = full
		}
		st.a = min(p.c, st.a+elapsed*p.q)
	}
	st.b = now
	var delay int64
	if st.a < p.d {
		delay = ceilDiv(p.d-st.a, p.q)
		if maxWait >= 0 && delay > maxWait {
			return st, outcome{reason: ReasonQuota, retryAfter: delay, ttl: ceilDiv(p.c-st.a, p.q)}
		}
	}
	st.a -= p.d
	return st, outcome{allowed: true, rem: max(st.a, 0), per: p.d, delay: delay, ttl: ceilDiv(p.c-st.a, p.q)}
}

// tokenBucketCancel puts back the token a reservation took.
func tokenBucketCancel(p *params, st state, now int64) (state, int64) {
	st.a = min(p.c, st.a+p.d)
	return st, max(st.b+ceilDiv(p.c-st.a, p.q)-now, 0)
}
