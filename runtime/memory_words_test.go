package runtime

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestWordTableMatchesMap runs random puts, updates and removes against a Go
// map, with tags drawn from a tiny set so that keys collide, share home
// slots and wrap around the table's end.
func TestWordTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, tagBits := range []int{1, 3, 8, 32} {
		var w wordTable
		ref := map[string]int64{}
		tagOf := func(k string) uint32 {
			h := uint32(0)
			for _, c := range []byte(k) {
				h = h*31 + uint32(c)
			}
			return (h&(1<<tagBits-1))<<1 | 1
		}
		for op := 0; op < 20000; op++ {
			k := "k" + strconv.Itoa(rng.IntN(300))
			tag := tagOf(k)
			i, found := w.find(tag, k)
			if _, ok := ref[k]; ok != found {
				t.Fatalf("bits %d op %d: find(%q) = %v, map says %v", tagBits, op, k, found, ok)
			}
			switch {
			case found && rng.IntN(2) == 0:
				w.remove(i)
				delete(ref, k)
			case found:
				w.slots[i].word = int64(op)
				ref[k] = int64(op)
			default:
				w.put(tag, k, int64(op))
				ref[k] = int64(op)
			}
			if w.n != len(ref) {
				t.Fatalf("bits %d op %d: n = %d, map has %d", tagBits, op, w.n, len(ref))
			}
		}
		for k, v := range ref {
			if i, found := w.find(tagOf(k), k); !found || w.slots[i].word != v {
				t.Fatalf("bits %d: %q lost or wrong", tagBits, k)
			}
		}
		// Drain: the table shrinks and stays consistent.
		for k := range ref {
			i, _ := w.find(tagOf(k), k)
			w.remove(i)
		}
		if w.n != 0 || len(w.slots) > 64 {
			t.Fatalf("bits %d: after draining n=%d slots=%d", tagBits, w.n, len(w.slots))
		}
	}
}

func TestWordTableSweepAndEvict(t *testing.T) {
	p, _ := newParams(&Limit{Algorithm: GCRA, Quota: 1, Duration: 1000})
	var w wordTable
	for i := 0; i < 1000; i++ {
		w.put(uint32(i)<<1|1, strconv.Itoa(i), int64(i)) // tat i: fresh from i
	}
	now := int64(500) + idleGrace
	for i := 0; i < 2000; i++ {
		w.sweep(&p, now, sweepSample)
	}
	kept := 0 // sampling is random: nearly every idle key is forgotten
	for i := 0; i < 1000; i++ {
		_, found := w.find(uint32(i)<<1|1, strconv.Itoa(i))
		if idle := i <= 500; idle && found {
			kept++
		} else if !idle && !found {
			t.Fatalf("key %d in use but forgotten", i)
		}
	}
	if kept > 50 {
		t.Fatalf("%d of 501 idle keys kept after 6000 samples", kept)
	}
	n := w.n
	w.evict(&p)
	if w.n != n-1 {
		t.Fatalf("evict: n %d → %d", n, w.n)
	}
}
