package runtime

import "hash/maphash"

// undoOne takes back the admission of one call of key decided at time at
// (µs), when a later part of the same all-or-nothing decision rejected it:
// a scope=local limit is decided in memory before the configured store, and
// a rejection by the store must leave the memory limits as if the call had
// never been seen. Reservations (token_bucket, gcra, leaky_bucket) are given
// back as a cancelled wait gives them back; a fixed window loses one count
// if it is still the window of at, and a sliding window loses the entry at.
func (t *memTable) undoOne(p *params, key string, at int64) {
	if p.alg != FixedWindow && p.alg != SlidingWindow {
		t.cancelOne(p, key, at)
		return
	}
	if key == "" {
		s := &t.one
		s.mu.Lock()
		if s.ok {
			undoWindow(p, &s.e, at)
		}
		s.mu.Unlock()
		return
	}
	h := maphash.String(t.seed, key)
	sh := &t.shards[h&t.mask]
	sh.mu.Lock()
	if e := sh.m[key]; e != nil {
		undoWindow(p, e, at)
	}
	sh.mu.Unlock()
}

// undoWindow removes the admission at time at from a window entry.
func undoWindow(p *params, e *entry, at int64) {
	switch p.alg {
	case FixedWindow:
		if e.st.a == at-floorMod(at, p.d) && e.st.b > 0 {
			e.st.b--
		}
	case SlidingWindow:
		if e.log != nil {
			e.log.remove(at)
		}
	}
}

// remove drops the newest entry equal to t, if any, keeping the order.
func (l *swLog) remove(t int64) {
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
