package runtime

// gcra is the generic cell rate algorithm with emission interval t = ⌈d/q⌉
// and tolerance (b−1)·t: it keeps one number, the theoretical arrival time
// (tat) of the next call. It admits what tokenBucket admits when q divides d,
// and never more. State: a = tat.
func gcra(p *params, st state, fresh bool, now, maxWait int64) (state, outcome) {
	tat := st.a
	if fresh || tat < now {
		tat = now
	}
	next := tat + p.t
	over := next - now - p.bt
	if maxWait >= 0 && over > maxWait {
		return st, outcome{reason: ReasonQuota, retryAfter: over, ttl: max(st.a-now, 0)}
	}
	st.a = next
	return st, outcome{allowed: true, rem: max(p.bt-(next-now), 0), per: p.t, delay: max(over, 0), ttl: next - now}
}

// gcraCancel gives back one emission interval.
func gcraCancel(p *params, st state, now int64) (state, int64) {
	st.a = max(st.a-p.t, now)
	return st, st.a - now
}
