package runtime

// leakyBucket paces calls t = ⌈d/q⌉ apart: each admitted call is given the
// time it runs (now, or t after the latest admitted call) and waits for it. A
// call that would find k calls already waiting is rejected (ReasonQuota), and
// so is one whose turn comes later than maxWait (ReasonDeadline). State:
// a = the time the latest admitted call runs.
func leakyBucket(p *params, st state, fresh bool, now, maxWait int64) (state, outcome) {
	last := st.a
	if fresh {
		last = now - p.t
	}
	next := max(now, last+p.t)
	var ahead int64
	if last > now {
		ahead = ceilDiv(last-now, p.t)
	}
	ttl := max(last-now+p.t, 0)
	if next != now && ahead >= p.k {
		return st, outcome{reason: ReasonQuota, retryAfter: (last - now) - (p.k-1)*p.t, ttl: ttl}
	}
	if maxWait >= 0 && next-now > maxWait {
		return st, outcome{reason: ReasonDeadline, retryAfter: next - now, ttl: ttl}
	}
	st.a = next
	rem := p.k
	if next != now {
		rem = p.k - (ahead + 1)
	}
	return st, outcome{allowed: true, rem: rem, delay: next - now, ttl: next - now + p.t}
}

// leakyBucketCancel frees the latest turn when it is still in the future.
func leakyBucketCancel(p *params, st state, now int64) (state, int64) {
	if st.a-p.t >= now {
		st.a -= p.t
	}
	return st, max(st.a-now+p.t, 0)
}
