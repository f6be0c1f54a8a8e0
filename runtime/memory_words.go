package runtime

import (
	"sync/atomic"
	"unsafe"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// wordTable is a shard's table of keyed gcra or leaky_bucket states, whose
// state is one word (tat, or the last turn). It is an open-addressing hash
// table with linear probing: one hash per decision (the one that chose the
// shard), 24 bytes per slot plus the table's copy of the key (its bytes up to
// maxPlainKey, else its 32-byte SHA-256: one allocation per new key), and
// cheap random sampling for forgetting idle keys.
//
// Concurrency. The shard's mutex guards every change of the table's shape
// (insert, forget, rebuild), but the words of keys already present are
// updated lock-free, by compare-and-swap (lookup, then compare-and-swap): on a
// table of many keys decided from several cores, the shard lock's cache
// line moving between cores costs more than the decision itself. To keep
// lock-free updates safe:
//
//   - a slot is only ever filled once in an array: forgetting a key leaves
//     a tombstone, and a rebuild into a new array is the only way to reuse
//     space. So a slot found by its key holds that key for as long as its
//     word is not frozen;
//   - whoever changes the shape first freezes the words concerned (swaps in
//     frozenWord); a lock-free update that finds a frozen word, or whose
//     swap fails because of it, falls back to the mutex and looks again;
//   - decisions under the mutex (waits, cancels, multi-limit decisions)
//     freeze the words they decide (hold) and publish the result (set), so
//     no lock-free update slips in between.
//
// The table is rebuilt (into a new array, tombstones dropped) when live
// keys and tombstones fill 7/8 of it, and when a quarter or less is live;
// a slot costs at most 24/0.58 bytes per key, to which the key's copy adds
// at most 64 bytes.
type wordTable struct {
	arr  atomic.Pointer[wordArray] // nil until the first key
	n    int                       // live keys
	dead int                       // tombstones in arr
	rng  uint64                    // xorshift state for sampling
}

// wordArray is one generation of a wordTable's slots. Once published, a
// slot's key never changes; only its tag may turn into a tombstone.
type wordArray struct {
	meta  []wmeta
	words []atomic.Int64
}

// wmeta is one slot's key (a memKey): its bytes (a copy of the table's own,
// kept alive by ptr) and length, with longKeyBit set for a digest, written
// before tag publishes them. tag is the upper half of the key's
// hash with the low bit set (so it also chooses the home slot); 0 marks an
// empty slot and tombTag a forgotten key.
type wmeta struct {
	ptr  *byte
	klen uint32
	tag  atomic.Uint32
}

const (
	tombTag    = 2          // even: no live tag takes it
	frozenWord = lockedWord // the oneSlot sentinel: no state takes it
)

func (m *wmeta) key() string { return unsafe.String(m.ptr, m.klen&^longKeyBit) }

func wordTag(h uint64) uint32 { return uint32(h>>32) | 1 }

// home maps tag onto [0, len(meta)) (multiply-shift, no modulo).
func (a *wordArray) home(tag uint32) int { return int(uint64(tag) * uint64(len(a.meta)) >> 32) }

// next is the slot after i, wrapping around.
func (a *wordArray) next(i int) int {
	if i++; i == len(a.meta) {
		return 0
	}
	return i
}

// find returns the slot of key, or -1. It is safe without the mutex.
func (a *wordArray) find(tag uint32, key memKey) int {
	klen := key.klen()
	for i := a.home(tag); ; i = a.next(i) {
		m := &a.meta[i]
		switch t := m.tag.Load(); {
		case t == 0:
			return -1
		case t == tag && m.klen == klen && m.key() == key.s:
			return i
		}
	}
}

// lookup finds key without the mutex: the array and slot of its word, or
// nil. The word may be frozen by then (see casWord).
func (w *wordTable) lookup(tag uint32, key memKey) (*wordArray, int) {
	a := w.arr.Load()
	if a == nil {
		return nil, -1
	}
	i := a.find(tag, key)
	if i < 0 {
		return nil, -1
	}
	return a, i
}

// find returns key's slot in the current array, or -1. The caller holds
// the mutex.
func (w *wordTable) find(tag uint32, key memKey) int {
	_, i := w.lookup(tag, key)
	return i
}

// hold freezes slot i's word for a decision under the mutex and returns it;
// set publishes the word decided (or the one held) and releases it.
func (w *wordTable) hold(i int) int64 { return w.arr.Load().words[i].Swap(frozenWord) }

func (w *wordTable) set(i int, word int64) { w.arr.Load().words[i].Store(word) }

// put stores a new key (not present), as a copy of its own, rebuilding the
// table as needed. The caller holds the mutex.
func (w *wordTable) put(tag uint32, key memKey, word int64) {
	a := w.arr.Load()
	if a == nil || (w.n+w.dead+1)*8 > len(a.meta)*7 {
		a = w.rebuild(max(8, (w.n+1)*12/7))
	}
	i := a.home(tag)
	for a.meta[i].tag.Load() != 0 {
		i = a.next(i)
	}
	m := &a.meta[i]
	m.ptr, m.klen = unsafe.StringData(key.owned()), key.klen()
	a.words[i].Store(word)
	m.tag.Store(tag) // publishes the slot to lock-free lookups
	w.n++
}

// rebuild moves every live key into a new array of size slots and publishes
// it. Each old word is frozen as it is moved, so a lock-free update racing
// with the move either lands before it (and moves) or fails and retries
// under the mutex.
func (w *wordTable) rebuild(size int) *wordArray {
	b := &wordArray{meta: make([]wmeta, size), words: make([]atomic.Int64, size)}
	if a := w.arr.Load(); a != nil {
		for i := range a.meta {
			m := &a.meta[i]
			t := m.tag.Load()
			if t == 0 || t == tombTag {
				continue
			}
			j := b.home(t)
			for b.meta[j].tag.Load() != 0 {
				j = b.next(j)
			}
			b.meta[j].ptr, b.meta[j].klen = m.ptr, m.klen
			b.words[j].Store(a.words[i].Swap(frozenWord))
			b.meta[j].tag.Store(t)
		}
	}
	w.arr.Store(b)
	w.dead = 0
	return b
}

// forget turns slot i, whose word is seen as word, into a tombstone, unless
// a lock-free update changed the word meanwhile; it reports whether it did.
func (w *wordTable) forget(a *wordArray, i int, word int64) bool {
	if !a.words[i].CompareAndSwap(word, frozenWord) {
		return false
	}
	a.meta[i].tag.Store(tombTag)
	w.n--
	w.dead++
	return true
}

// maybeShrink rebuilds a table that is at most a quarter live.
func (w *wordTable) maybeShrink() {
	if a := w.arr.Load(); a != nil && len(a.meta) > 64 && w.n*4 <= len(a.meta) {
		w.rebuild(max(8, (w.n+1)*12/7))
	}
}

// wordExp is when a word state is fresh again.
func wordExp(p *ratemath.Params, word int64) int64 {
	return p.Algo.FreshAt(p, ratemath.WordState(word))
}

// randomSlot returns a pseudo-random slot index of a.
func (w *wordTable) randomSlot(a *wordArray) int {
	if w.rng == 0 {
		w.rng = 0x9E3779B97F4A7C15 ^ uint64(len(a.meta))
	}
	w.rng ^= w.rng << 13
	w.rng ^= w.rng >> 7
	w.rng ^= w.rng << 17
	return int(w.rng>>32) * len(a.meta) >> 32
}

// sweep looks at up to n keys from a random slot and forgets those fresh
// for idleGrace or more. The caller holds the mutex.
func (w *wordTable) sweep(p *ratemath.Params, now int64, n int) {
	a := w.arr.Load()
	if w.n == 0 || a == nil {
		return
	}
	i := w.randomSlot(a)
	for probes := 0; n > 0 && probes < 4*n+8; probes, i = probes+1, a.next(i) {
		if t := a.meta[i].tag.Load(); t == 0 || t == tombTag {
			continue
		}
		n--
		if word := a.words[i].Load(); now >= wordExp(p, word)+idleGrace {
			w.forget(a, i, word)
		}
	}
	w.maybeShrink()
}

// evict forgets, among a few keys from a random slot, the one whose state
// becomes fresh soonest. The caller holds the mutex, and the table is not
// empty.
func (w *wordTable) evict(p *ratemath.Params) {
	a := w.arr.Load()
	for {
		victim, best, seen := -1, int64(maxInt64), 0
		var vword int64
		for i := w.randomSlot(a); seen < evictSample && seen < w.n; i = a.next(i) {
			if t := a.meta[i].tag.Load(); t != 0 && t != tombTag {
				seen++
				if word := a.words[i].Load(); wordExp(p, word) < best {
					victim, best, vword = i, wordExp(p, word), word
				}
			}
		}
		if victim < 0 || w.forget(a, victim, vword) {
			return
		}
	}
}

// insert adds a new key under the shard's bound (see memShard.insert). The
// caller holds the mutex.
func (w *wordTable) insert(p *ratemath.Params, tag uint32, key memKey, word, now int64, bound int) {
	w.sweep(p, now, sweepSample)
	if w.n >= bound {
		w.evict(p)
	}
	w.put(tag, key, word)
}
