package ratemath

// Log is sliding_window's state: the times of the admitted calls still
// inside the window, oldest first, in a ring that grows to at most Quota
// entries. It is not safe for concurrent use; its owner locks it.
type Log struct {
	buf  []int64 // len is a power of two, or 0
	head int     // index of the oldest entry
	n    int     // number of entries
}

// Len is the number of entries.
func (l *Log) Len() int { return l.n }

// at returns the i-th oldest entry.
func (l *Log) at(i int) int64 { return l.buf[(l.head+i)&(len(l.buf)-1)] }

// prune drops every entry t with t + d <= now; it never changes a decision.
func (l *Log) prune(now, d int64) {
	for l.n > 0 && l.buf[l.head]+d <= now {
		l.head = (l.head + 1) & (len(l.buf) - 1)
		l.n--
	}
}

// Push appends now, dropping the oldest entries beyond q.
func (l *Log) Push(now, q int64) {
	for int64(l.n) >= q && l.n > 0 {
		l.head = (l.head + 1) & (len(l.buf) - 1)
		l.n--
	}
	if l.n == len(l.buf) {
		size := max(4, 2*len(l.buf))
		nb := make([]int64, size)
		for i := 0; i < l.n; i++ {
			nb[i] = l.at(i)
		}
		l.buf, l.head = nb, 0
	}
	l.buf[(l.head+l.n)&(len(l.buf)-1)] = now
	l.n++
}

// Remove drops the newest entry equal to t, if any, keeping the order: it
// takes back an admission at t (see Algorithm.Undo).
func (l *Log) Remove(t int64) {
	for i := l.n - 1; i >= 0; i-- {
		if v := l.at(i); v == t {
			for j := i; j < l.n-1; j++ {
				l.buf[(l.head+j)&(len(l.buf)-1)] = l.at(j + 1)
			}
			l.n--
			return
		} else if v < t {
			return
		}
	}
}

// slidingWindow admits a call iff fewer than q calls were admitted in
// (now − d, now]: no interval of length d ever holds more than q admitted
// calls.
func slidingWindow(p *Params, l *Log, now int64) Outcome {
	l.prune(now, p.Period)
	if int64(l.n) >= p.Quota {
		r := l.at(l.n-int(p.Quota)) + p.Period - now
		return Outcome{Reason: ReasonQuota, RetryAfter: r, TTL: l.at(l.n-1) + p.Period - now}
	}
	return Outcome{Allowed: true, Rem: p.Quota - int64(l.n) - 1, TTL: p.Period}
}
