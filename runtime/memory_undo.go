package runtime

import (
	"crypto/sha256"
	"hash/maphash"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// undoOne takes back the admission of one call of cost units of key
// decided at time at (µs), with the params p of that call, when a later part of the same all-or-nothing decision rejected it:
// a scope=local limit is decided in memory before the configured store, and
// a rejection by the store must leave the memory limits as if the call had
// never been seen. Reservations (token_bucket, gcra, leaky_bucket) are given
// back as a cancelled wait gives them back; a fixed window loses cost
// units if it is still the window of at, and a sliding window loses the
// entry (at, cost). A cost of 0 took nothing: nothing is undone.
func (t *memTable) undoOne(p *ratemath.Params, key string, at, cost int64) {
	if cost == 0 {
		return
	}
	if p.Algo.Reserves {
		t.cancelOne(p, key, at, cost)
		return
	}
	if key == "" {
		s := &t.one
		s.mu.Lock()
		if s.ok {
			undoWindow(p, &s.e, at, cost)
		}
		s.mu.Unlock()
		return
	}
	var d [sha256.Size]byte
	k := keyOf(key, &d)
	sh := &t.shards[maphash.String(t.seed, k.s)&t.mask]
	sh.mu.Lock()
	if e := sh.get(k); e != nil {
		undoWindow(p, e, at, cost)
	}
	sh.mu.Unlock()
}

// undoWindow removes the admission of cost units at time at from a window
// entry.
func undoWindow(p *ratemath.Params, e *entry, at, cost int64) {
	if p.Algo.Words > 0 {
		e.st = p.Algo.Undo(p, e.st, at, cost)
	} else if e.log != nil {
		e.log.Remove(at, cost)
	}
}
