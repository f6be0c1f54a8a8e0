package runtime

// wordTable is a shard's table of keyed gcra or leaky_bucket states, whose
// state is one word (tat, or the last turn). It is an open-addressing hash
// table with linear probing and backward-shift deletion: one hash per
// decision (the one that chose the shard), the state updated in place, no
// allocation per key, 32 bytes per slot, and cheap random sampling for
// forgetting idle keys. The shard's mutex guards it.
type wordTable struct {
	slots []wslot // len is a power of two, or 0
	n     int     // occupied slots
	rng   uint64  // xorshift state for sampling
}

// wslot is one key. tag is the upper half of the key's hash with the low bit
// set (0 marks an empty slot); its other bits choose the home slot.
type wslot struct {
	key  string
	tag  uint32
	word int64
}

func wordTag(h uint64) uint32 { return uint32(h>>32) | 1 }

func (w *wordTable) home(tag uint32) int { return int(tag>>1) & (len(w.slots) - 1) }

// find returns the slot of key, or the empty slot where it would go.
func (w *wordTable) find(tag uint32, key string) (int, bool) {
	if len(w.slots) == 0 {
		return -1, false
	}
	mask := len(w.slots) - 1
	for i := w.home(tag); ; i = (i + 1) & mask {
		s := &w.slots[i]
		if s.tag == 0 {
			return i, false
		}
		if s.tag == tag && s.key == key {
			return i, true
		}
	}
}

// put stores a new key (not present) and grows the table as needed.
func (w *wordTable) put(tag uint32, key string, word int64) {
	if (w.n+1)*4 > len(w.slots)*3 {
		w.resize(max(8, 2*len(w.slots)))
	}
	i, _ := w.find(tag, key)
	w.slots[i] = wslot{key: key, tag: tag, word: word}
	w.n++
}

// resize rehashes every key into size slots.
func (w *wordTable) resize(size int) {
	old := w.slots
	w.slots = make([]wslot, size)
	for _, s := range old {
		if s.tag != 0 {
			i, _ := w.find(s.tag, s.key)
			w.slots[i] = s
		}
	}
}

// remove empties slot i, shifting back the keys that probed past it.
func (w *wordTable) remove(i int) {
	mask := len(w.slots) - 1
	for j := i; ; {
		j = (j + 1) & mask
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
	if len(w.slots) > 64 && w.n*8 < len(w.slots) {
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
	return int(w.rng) & (len(w.slots) - 1)
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
			i = (i + 1) & (len(w.slots) - 1)
			continue
		}
		n--
		if now >= wordExp(p, s.word)+idleGrace {
			w.remove(i) // slot i now holds the next key, if any moved back
			if len(w.slots) == 0 || w.n == 0 {
				return
			}
			i &= len(w.slots) - 1
			continue
		}
		i = (i + 1) & (len(w.slots) - 1)
	}
}

// evict forgets, among a few keys from a random slot, the one whose state
// becomes fresh soonest.
func (w *wordTable) evict(p *params) {
	victim, best, seen := -1, int64(maxInt64), 0
	for i := w.randomSlot(); seen < evictSample && seen < w.n; i = (i + 1) & (len(w.slots) - 1) {
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
