package ratemath

// fixed_window's state: the start of the window it counts, and the units
// admitted in it.
func windowState(start, count int64) State { return State{w0: start, w1: count} }
func (s State) windowStart() int64         { return s.w0 }
func (s State) windowCount() int64         { return s.w1 }

// fixedWindow admits at most Quota units per window; windows are aligned
// to multiples of Period since the Unix epoch. A call of cost c is
// admitted iff count + c <= Quota.
func fixedWindow(p *Params, st State, fresh bool, now, _, cost int64) (State, Outcome) {
	if cost > p.MaxCost {
		return st, costRejection
	}
	w := now - FloorMod(now, p.Period)
	if fresh || st.windowStart() != w {
		st = windowState(w, 0)
	}
	end := w + p.Period - now
	if st.windowCount()+cost > p.Quota {
		return st, Outcome{Reason: ReasonQuota, RetryAfter: end, TTL: end}
	}
	st = windowState(w, st.windowCount()+cost)
	return st, Outcome{Allowed: true, Rem: p.Quota - st.windowCount(), TTL: end}
}

// fixedWindowUndo takes back the admission of cost units at time at if st
// still counts its window.
func fixedWindowUndo(p *Params, st State, at, cost int64) State {
	if st.windowStart() == at-FloorMod(at, p.Period) && st.windowCount() > 0 {
		st = windowState(st.windowStart(), max(st.windowCount()-cost, 0))
	}
	return st
}
