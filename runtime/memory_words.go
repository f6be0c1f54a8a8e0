package runtime

import "unsafe"

// wordTable is a shard's table of keyed gcra or leaky_bucket states, whose
// state is one word (tat, or the last turn). It is an open-addressing hash
// table with linear probing and backward-shift deletion: one hash per
// decision (the one that chose the shard), the state updated in place, no
// allocation per key, 24 bytes per slot, and cheap random sampling for
// forgetting idle keys. The table grows by half when 7/8 full and shrinks
// when a quarter full, so a slot costs at most 24/0.58 bytes per key. The
// shard's mutex guards it.
type wordTable struct {
	slots []wslot // any length
	n     int     // occupied slots
	rng   uint64  // xorshift state for sampling
}

// wslot is one key: its bytes (kept alive by ptr), length, tag and word. tag
// is the upper half of the key's hash with the low bit set (0 marks an empty
// slot); it also chooses the home slot.
type wslot struct {
	ptr  *byte
	klen uint32
	tag  uint32
	word int64
}

func (s *wslot) key() string { return unsafe.String(s.ptr, s.klen) }

func wordTag(h uint64) uint32 { return uint32(h>>32) | 1 }

// home maps tag onto [0, len(slots)) (multiply-shift, no modulo).
func (w *wordTable) home(tag uint32) int { return int(uint64(tag) * uint64(len(w.slots)) >> 32) }

// next is the slot after i, wrapping around.
func (w *wordTable) next(i int) int {
	if i++; i == len(w.slots) {
		return 0
	}
	return i
}

// find returns the slot of key, or the empty slot where it would go.
func (w *wordTable) find(tag uint32, key string) (int, bool) {
	if len(w.slots) == 0 {
		return -1, false
	}
	for i := w.home(tag); ; i = w.next(i) {
		s := &w.slots[i]
		if s.tag == 0 {
			return i, false
		}
		if s.tag == tag && int(s.klen) == len(key) && s.key() == key {
			return i, true
		}
	}
}

// put stores a new key (not present) and grows the table as needed.
func (w *wordTable) put(tag uint32, key string, word int64) {
	if (w.n+1)*8 > len(w.slots)*7 {
		w.resize(max(8, len(w.slots)+len(w.slots)/2))
	}
	i, _ := w.find(tag, key)
	w.slots[i] = wslot{ptr: unsafe.StringData(key), klen: uint32(len(key)), tag: tag, word: word}
	w.n++
}

// resize rehashes every key into size slots.
func (w *wordTable) resize(size int) {
	old := w.slots
	w.slots = make([]wslot, size)
	for _, s := range old {
		if s.tag != 0 {
			i := w.home(s.tag)
			for w.slots[i].tag != 0 {
				i = w.next(i)
			}
			w.slots[i] = s
		}
	}
}

// remove empties slot i, shifting back the keys that probed past it.
func (w *wordTable) remove(i int) {
	for j := i; ; {
		j = w.next(j)
		s := w.slots[j]
		if s.tag == 0 {
			break
		}
		k := w.home(s.tag)
		// Slot j stays when its home lies cyclically in (i, j].
		if (i <= j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue
		}
		w.slots[i] = s
		i = j
	}
	w.slots[i] = wslot{}
	w.n--
	if len(w.slots) > 64 && w.n*4 < len(w.slots) {
		w.resize(len(w.slots) / 2)
	}
}

// wordExp is when a word state is fresh again.
func wordExp(p *params, word int64) int64 {
	if p.alg == LeakyBucket {
		return word + p.t
	}
	return word
}

// randomSlot returns a pseudo-random slot index.
func (w *wordTable) randomSlot() int {
	if w.rng == 0 {
		w.rng = 0x9E3779B97F4A7C15 ^ uint64(len(w.slots))
	}
	w.rng ^= w.rng << 13
	w.rng ^= w.rng >> 7
	w.rng ^= w.rng << 17
	return int(w.rng>>32) * len(w.slots) >> 32
}

// sweep looks at up to n keys from a random slot and forgets those fresh
// for idleGrace or more.
func (w *wordTable) sweep(p *params, now int64, n int) {
	if w.n == 0 {
		return
	}
	i := w.randomSlot()
	for probes := 0; n > 0 && probes < 4*n+8; probes++ {
		s := &w.slots[i]
		if s.tag == 0 {
			i = w.next(i)
			continue
		}
		n--
		if now >= wordExp(p, s.word)+idleGrace {
			size := len(w.slots)
			w.remove(i) // slot i now holds the next key, if any moved back
			if w.n == 0 || len(w.slots) != size {
				return // shrunk: slot indexes changed
			}
			continue
		}
		i = w.next(i)
	}
}

// evict forgets, among a few keys from a random slot, the one whose state
// becomes fresh soonest.
func (w *wordTable) evict(p *params) {
	victim, best, seen := -1, int64(maxInt64), 0
	for i := w.randomSlot(); seen < evictSample && seen < w.n; i = w.next(i) {
		if s := &w.slots[i]; s.tag != 0 {
			seen++
			if e := wordExp(p, s.word); e < best {
				victim, best = i, e
			}
		}
	}
	if victim >= 0 {
		w.remove(victim)
	}
}

// insert adds a new key under the shard's bound (see memShard.insert).
func (w *wordTable) insert(p *params, tag uint32, key string, word, now int64, bound int) {
	w.sweep(p, now, sweepSample)
	if w.n >= bound {
		w.evict(p)
	}
	w.put(tag, key, word)
}
