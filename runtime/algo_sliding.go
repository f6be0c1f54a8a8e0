package runtime

// swLog is sliding_window's state: the times of the admitted calls still
// inside the window, oldest first, in a ring that grows to at most q
// entries. It is not safe for concurrent use; its owner locks it.
type swLog struct {
	buf  []int64 // len is a power of two, or 0
	head int     // index of the oldest entry
	n    int     // number of entries
}

// at returns the i-th oldest entry.
func (l *swLog) at(i int) int64 { return l.buf[(l.head+i)&(len(l.buf)-1)] }

// prune drops every entry t with t + d <= now; it never changes a decision.
func (l *swLog) prune(now, d int64) {
	for l.n > 0 && l.buf[l.head]+d <= now {
		l.head = (l.head + 1) & (len(l.buf) - 1)
		l.n--
	}
}

// push appends now, dropping the oldest entries beyond q.
func (l *swLog) push(now, q int64) {
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

// slidingWindow admits a call iff fewer than q calls were admitted in
// (now − d, now]: no interval of length d ever holds more than q admitted
// calls. It prunes l (which never changes a decision) but does not record the
// call; the caller commits an admitted call with l.push(now, p.q).
func slidingWindow(p *params, l *swLog, now int64) outcome {
	l.prune(now, p.d)
	if int64(l.n) >= p.q {
		r := l.at(l.n-int(p.q)) + p.d - now
		return outcome{reason: ReasonQuota, retryAfter: r, ttl: l.at(l.n-1) + p.d - now}
	}
	ttl := p.d
	return outcome{allowed: true, rem: p.q - int64(l.n) - 1, ttl: ttl}
}
