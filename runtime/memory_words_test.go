package runtime

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWordTableMatchesMap runs random puts, updates and forgets against a
// Go map, with tags drawn from a tiny set so that keys collide, share home
// slots and wrap around the table's end, and tombstones pile up between
// rebuilds.
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
			i := w.find(tag, memKey{s: k})
			if _, ok := ref[k]; ok != (i >= 0) {
				t.Fatalf("bits %d op %d: find(%q) = %d, map says %v", tagBits, op, k, i, ok)
			}
			switch {
			case i >= 0 && rng.IntN(2) == 0:
				forgetSlot(t, &w, i)
				delete(ref, k)
			case i >= 0:
				if old := w.hold(i); old != ref[k] {
					t.Fatalf("bits %d op %d: hold(%q) = %d, want %d", tagBits, op, k, old, ref[k])
				}
				w.set(i, int64(op))
				ref[k] = int64(op)
			default:
				w.put(tag, memKey{s: k}, int64(op))
				ref[k] = int64(op)
			}
			if w.n != len(ref) {
				t.Fatalf("bits %d op %d: n = %d, map has %d", tagBits, op, w.n, len(ref))
			}
		}
		for k, v := range ref {
			a, i := w.lookup(tagOf(k), memKey{s: k})
			if a == nil || a.words[i].Load() != v {
				t.Fatalf("bits %d: %q lost or wrong", tagBits, k)
			}
		}
		// Drain: the table shrinks and stays consistent.
		for k := range ref {
			forgetSlot(t, &w, w.find(tagOf(k), memKey{s: k}))
		}
		if a := w.arr.Load(); w.n != 0 || len(a.meta) > 64 {
			t.Fatalf("bits %d: after draining n=%d slots=%d", tagBits, w.n, len(a.meta))
		}
	}
}

// forgetSlot forgets the key in slot i, as a sweep does.
func forgetSlot(t *testing.T, w *wordTable, i int) {
	t.Helper()
	a := w.arr.Load()
	if !w.forget(a, i, a.words[i].Load()) {
		t.Fatal("forget failed with no concurrent update")
	}
	if a.words[i].Load() != frozenWord || a.meta[i].tag.Load() != tombTag {
		t.Fatal("a forgotten slot is not a frozen tombstone")
	}
	w.maybeShrink()
}

// TestWordTableLockFreeUpdatesSurviveRebuilds hammers a few hot keys of a
// keyed gcra table with lock-free decisions (takeKeyedGCRA) and locked ones
// (decideOne), while other goroutines add thousands of keys, so that the
// table is rebuilt under the hot keys many times. The clock stands still:
// each hot key must admit exactly its burst, no more and no less. Run it
// with -race.
func TestWordTableLockFreeUpdatesSurviveRebuilds(t *testing.T) {
	const burst, hot = 300, 4
	l := &Limit{Name: "hot", Algorithm: GCRA, Quota: 1, Duration: time.Hour, Burst: burst}
	p := mustParams(l)
	s := NewMemoryStore()
	s.nshards = 1 // every key in one shard: the most rebuilds
	tab := s.table("test", l)
	const now = int64(1_000_000)
	var admitted [hot]atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 400 {
				k := i % hot
				key := "hot" + strconv.Itoa(k)
				var ok bool
				if g%2 == 0 {
					ok = tab.takeKeyedGCRA(&p, key, now, 1) == 0
				} else {
					ok = tab.decideOne(&p, key, now, 0, 1).Allowed
				}
				if ok {
					admitted[k].Add(1)
				}
			}
		}()
	}
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				tab.takeKeyedGCRA(&p, "flood"+strconv.Itoa(g)+"/"+strconv.Itoa(i), now, 1)
			}
		}()
	}
	wg.Wait()
	for k := range hot {
		if got := admitted[k].Load(); got != burst {
			t.Errorf("hot key %d admitted %d, want exactly %d", k, got, burst)
		}
	}
	if n := tab.shards[0].w.n; n != hot+10000 {
		t.Errorf("table holds %d keys, want %d", n, hot+10000)
	}
}

func TestWordTableSweepAndEvict(t *testing.T) {
	p := mustParams(&Limit{Algorithm: GCRA, Quota: 1, Duration: 1000})
	var w wordTable
	for i := 0; i < 1000; i++ {
		w.put(uint32(i)<<1|1, memKey{s: strconv.Itoa(i)}, int64(i)) // tat i: fresh from i
	}
	now := int64(500) + idleGrace
	for i := 0; i < 2000; i++ {
		w.sweep(&p, now, sweepSample)
	}
	kept := 0 // sampling is random: nearly every idle key is forgotten
	for i := 0; i < 1000; i++ {
		found := w.find(uint32(i)<<1|1, memKey{s: strconv.Itoa(i)}) >= 0
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

// TestTakeKeyedGCRAMatchesDecide runs one random trace through
// takeKeyedGCRA and, on a second table, through decideOne with maxWait 0:
// every decision, RetryAfter and stored word must agree.
func TestTakeKeyedGCRAMatchesDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, l := range []*Limit{
		{Name: "a", Algorithm: GCRA, Quota: 3, Duration: 10 * time.Microsecond},
		{Name: "b", Algorithm: GCRA, Quota: 7, Duration: 100 * time.Microsecond, Burst: 2},
		{Name: "c", Algorithm: GCRA, Quota: 1, Duration: time.Millisecond, Burst: 5},
	} {
		p := mustParams(l)
		s := NewMemoryStore(WithMaxKeys(64))
		take, ref := s.table("take", l), s.table("ref", l)
		ref.seed = take.seed // same shards, same samples: the tables must stay identical
		now, admitted, rejected := int64(1_000_000), 0, 0
		for i := 0; i < 20_000; i++ {
			now += rng.Int64N(p.Interval/2 + 1)
			if rng.IntN(500) == 0 {
				now += 3 * idleGrace // let keys go idle, to be swept
			}
			key := "hot" + strconv.Itoa(rng.IntN(2)) // faster than the rate
			if rng.IntN(10) == 0 {
				key = "k" + strconv.Itoa(rng.IntN(200)) // more keys than the table keeps
			}
			ra := take.takeKeyedGCRA(&p, key, now, 1)
			o := ref.decideOne(&p, key, now, 0, 1)
			if o.Allowed != (ra == 0) || (!o.Allowed && o.RetryAfter != ra) {
				t.Fatalf("%s step %d key %s: take %d, decide %+v", l.Name, i, key, ra, o)
			}
			if o.Allowed {
				admitted++
			} else {
				rejected++
			}
		}
		if admitted == 0 || rejected == 0 {
			t.Fatalf("%s: trace admitted %d and rejected %d: not a useful trace", l.Name, admitted, rejected)
		}
		for i := range take.shards {
			a, b := &take.shards[i].w, &ref.shards[i].w
			if a.n != b.n {
				t.Fatalf("%s shard %d: %d keys, want %d", l.Name, i, a.n, b.n)
			}
			arr := a.arr.Load()
			if arr == nil {
				continue
			}
			for j := range arr.meta {
				if tag := arr.meta[j].tag.Load(); tag != 0 && tag != tombTag {
					k := arr.meta[j].key()
					if bi, bj := b.lookup(tag, memKey{s: k, long: arr.meta[j].klen&longKeyBit != 0}); bi == nil || bi.words[bj].Load() != arr.words[j].Load() {
						t.Fatalf("%s: key %s differs", l.Name, k)
					}
				}
			}
		}
	}
}

// TestWordTableLockFreeUnderChurn runs lock-free and locked decisions on a
// few hot keys of a small, bounded keyed gcra table while the clock moves
// and a flood of new keys makes the table sweep, evict and rebuild under
// them. Evicting a hot key may forget what it used (documented), so the
// hot keys are kept out of reach of eviction by being the busiest; what
// must hold is GCRA's bound on every hot key (never more than burst +
// elapsed/T admissions), the table's bound, and -race.
func TestWordTableLockFreeUnderChurn(t *testing.T) {
	const burst, hot, bound = 20, 3, 64
	l := &Limit{Name: "churn", Algorithm: GCRA, Quota: 100, Duration: time.Second, Burst: burst}
	p := mustParams(l)
	s := NewMemoryStore(WithMaxKeys(bound))
	s.nshards = 1
	tab := s.table("test", l)
	var clock atomic.Int64
	clock.Store(1_000_000)
	start := clock.Load()
	var admitted [hot]atomic.Int64
	// Spend each hot key's burst first: its state is then far from fresh,
	// so eviction, which forgets the state nearest to fresh, passes it by.
	for k := range hot {
		for range burst {
			if tab.takeKeyedGCRA(&p, "hot"+strconv.Itoa(k), start, 1) == 0 {
				admitted[k].Add(1)
			}
		}
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 3000 {
				k := i % hot
				key := "hot" + strconv.Itoa(k)
				now := clock.Add(7) // 7µs per decision, about 2 T per hot key's turn
				var ok bool
				if g%3 == 0 {
					ok = tab.decideOne(&p, key, now, 0, 1).Allowed
				} else {
					ok = tab.takeKeyedGCRA(&p, key, now, 1) == 0
				}
				if ok {
					admitted[k].Add(1)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20000 {
			tab.takeKeyedGCRA(&p, "flood/"+strconv.Itoa(i), clock.Add(1), 1)
		}
	}()
	wg.Wait()
	elapsed := clock.Load() - start
	for k := range hot {
		if got, most := admitted[k].Load(), burst+elapsed/p.Interval+1; got > most {
			t.Errorf("hot key %d admitted %d in %dµs, more than burst + elapsed/T = %d", k, got, elapsed, most)
		}
	}
	sh := &tab.shards[0]
	sh.mu.Lock()
	n := sh.w.n
	sh.mu.Unlock()
	if n > bound {
		t.Errorf("table holds %d keys, bound %d", n, bound)
	}
}

// BenchmarkWordTableKeys100k decides 100,000 keys cycled on one keyed gcra
// table at a fixed time: the table's own cost (hash, shard lock, probe),
// without the clock, through the generic decision and the specialised one.
func BenchmarkWordTableKeys100k(b *testing.B) {
	keys := benchKeys(100_000)
	l := &Limit{Name: "words", Algorithm: GCRA, Quota: 1 << 40, Duration: time.Microsecond}
	p := mustParams(l)
	for _, path := range []string{"decide", "take"} {
		b.Run(path, func(b *testing.B) {
			tab := NewMemoryStore().table("bench", l)
			for _, k := range keys {
				tab.decideOne(&p, k, 1, 0, 1)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if path == "take" {
					if tab.takeKeyedGCRA(&p, keys[i], 1, 1) != 0 {
						b.Fatal("rejected")
					}
				} else if o := tab.decideOne(&p, keys[i], 1, 0, 1); !o.Allowed {
					b.Fatal("rejected")
				}
				if i++; i == len(keys) {
					i = 0
				}
			}
		})
	}
}
