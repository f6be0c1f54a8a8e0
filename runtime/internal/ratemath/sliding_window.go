package ratemath

// Log is sliding_window's state: the admitted calls still inside the
// window, oldest first, each one entry (its time and its units, whatever
// the cost: a call of cost 1000 is one entry), with the sum of their
// units. It is a ring that grows to at most Quota entries (every entry
// holds at least one unit, and the units inside the window are at most
// Quota). It is not safe for concurrent use; its owner locks it.
type Log struct {
	buf  []logEntry // len is a power of two, or 0
	head int        // index of the oldest entry
	n    int        // number of entries
	sum  int64      // the units of the entries
}

// logEntry is one admitted call: its time and its units (>= 1).
type logEntry struct{ t, u int64 }

// Len is the number of entries.
func (l *Log) Len() int { return l.n }

// Units is the sum of the entries' units.
func (l *Log) Units() int64 { return l.sum }

// at returns the i-th oldest entry.
func (l *Log) at(i int) logEntry { return l.buf[(l.head+i)&(len(l.buf)-1)] }

// dropOldest removes the oldest entry.
func (l *Log) dropOldest() {
	l.sum -= l.buf[l.head].u
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
}

// prune drops every entry t with t + d <= now; it never changes a decision.
func (l *Log) prune(now, d int64) {
	for l.n > 0 && l.buf[l.head].t+d <= now {
		l.dropOldest()
	}
}

// Push appends an entry of units (>= 1) at now, first dropping the oldest
// entries while the units would exceed q (only entries outside the window
// when the call was admitted by DecideLog at now: the bound holds anyway).
func (l *Log) Push(now, units, q int64) {
	for l.n > 0 && l.sum+units > q {
		l.dropOldest()
	}
	if l.n == len(l.buf) {
		size := max(4, 2*len(l.buf))
		nb := make([]logEntry, size)
		for i := 0; i < l.n; i++ {
			nb[i] = l.at(i)
		}
		l.buf, l.head = nb, 0
	}
	l.buf[(l.head+l.n)&(len(l.buf)-1)] = logEntry{now, units}
	l.n++
	l.sum += units
}

// Remove drops the newest entry of time t and units u, if any, keeping the
// order: it takes back an admission at t (see Algorithm.Undo).
func (l *Log) Remove(t, u int64) {
	for i := l.n - 1; i >= 0; i-- {
		if e := l.at(i); e.t == t && e.u == u {
			for j := i; j < l.n-1; j++ {
				l.buf[(l.head+j)&(len(l.buf)-1)] = l.at(j + 1)
			}
			l.n--
			l.sum -= u
			return
		} else if e.t < t {
			return
		}
	}
}

// slidingWindow admits a call of cost c iff the units admitted in
// (now − d, now] plus c are at most q: no interval of length d ever holds
// more than q admitted units. A rejected call is admitted once enough of
// the oldest entries have left the window: RetryAfter is the time of the
// entry whose expiry frees enough units, plus d, less now.
func slidingWindow(p *Params, l *Log, now, cost int64) Outcome {
	if cost > p.MaxCost {
		return costRejection
	}
	l.prune(now, p.Period)
	if need := l.sum + cost - p.Quota; need > 0 {
		// need <= l.sum (cost <= q), so the walk ends inside the log, after
		// at most need entries (each holds at least one unit).
		i := 0
		for freed := l.at(0).u; freed < need; freed += l.at(i).u {
			i++
		}
		return Outcome{Reason: ReasonQuota, RetryAfter: l.at(i).t + p.Period - now,
			TTL: l.at(l.n-1).t + p.Period - now}
	}
	return Outcome{Allowed: true, Rem: p.Quota - l.sum - cost, TTL: p.Period}
}
