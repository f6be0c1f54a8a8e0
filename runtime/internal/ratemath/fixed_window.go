package ratemath

// fixed_window's state: the start of the window it counts, and the calls
// admitted in it.
func windowState(start, count int64) State { return State{w0: start, w1: count} }
func (s State) windowStart() int64         { return s.w0 }
func (s State) windowCount() int64         { return s.w1 }

// fixedWindow admits at most Quota calls per window; windows are aligned to
// multiples of Period since the Unix epoch.
func fixedWindow(p *Params, st State, fresh bool, now, _ int64) (State, Outcome) {
	w := now - FloorMod(now, p.Period)
	if fresh || st.windowStart() != w {
		st = windowState(w, 0)
	}
	end := w + p.Period - now
	if st.windowCount() >= p.Quota {
		return st, Outcome{Reason: ReasonQuota, RetryAfter: end, TTL: end}
	}
	st = windowState(w, st.windowCount()+1)
	return st, Outcome{Allowed: true, Rem: p.Quota - st.windowCount(), TTL: end}
}

// fixedWindowUndo takes back the admission at time at if st still counts
// its window.
func fixedWindowUndo(p *Params, st State, at int64) State {
	if st.windowStart() == at-FloorMod(at, p.Period) && st.windowCount() > 0 {
		st = windowState(st.windowStart(), st.windowCount()-1)
	}
	return st
}
