package runtime

// fixedWindow admits at most q calls per window; windows are aligned to
// multiples of d since the Unix epoch. State: a = window start, b = count.
func fixedWindow(p *params, st state, fresh bool, now int64) (state, outcome) {
	w := now - floorMod(now, p.d)
	if fresh || st.a != w {
		st = state{a: w}
	}
	end := w + p.d - now
	if st.b >= p.q {
		return st, outcome{reason: ReasonQuota, retryAfter: end, ttl: end}
	}
	st.b++
	return st, outcome{allowed: true, rem: p.q - st.b, ttl: end}
}
