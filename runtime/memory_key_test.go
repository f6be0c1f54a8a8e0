package runtime

import (
	"context"
	"crypto/sha256"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"
	"weak"
)

var allAlgorithms = []Algorithm{GCRA, TokenBucket, FixedWindow, SlidingWindow, LeakyBucket}

// hostileKeys are keyed users whose states must all be distinct: keys
// around maxPlainKey, long keys differing only in their last (or first)
// byte, and short keys equal to the digest of a long one.
func hostileKeys() []string {
	long := strings.Repeat("k", 1000)
	sum := sha256.Sum256([]byte(long + "a"))
	return []string{
		strings.Repeat("x", maxPlainKey),   // the longest plain key
		strings.Repeat("x", maxPlainKey+1), // the shortest digested key: its prefix is the key above
		strings.Repeat("x", maxPlainKey-1) + "y",
		strings.Repeat("x", maxPlainKey) + "y",
		long + "a",
		long + "b",
		"a" + long,
		long + "a" + long,
		string(sum[:]), // a plain key equal to the digest of long+"a"
		strings.Repeat("\x00", sha256.Size),
		strings.Repeat("k", 1<<16),
	}
}

// TestMemoryLongKeysKeepSeparateState checks, for every algorithm, through a
// single-limit decision, a multi-limit decision and Rate's hot paths, that
// every key keeps its own state however long it is.
func TestMemoryLongKeysKeepSeparateState(t *testing.T) {
	ctx := context.Background()
	keys := hostileKeys()
	for _, alg := range allAlgorithms {
		s := NewMemoryStore()
		one := &Limit{Name: "one", Algorithm: alg, Quota: 1, Duration: time.Hour}
		a := &Limit{Name: "a", Algorithm: alg, Quota: 1, Duration: time.Hour}
		b := &Limit{Name: "b", Algorithm: FixedWindow, Quota: 5, Duration: time.Hour}
		for _, limits := range [][]*Limit{{one}, {a, b}} {
			for round := range 2 {
				for i, k := range keys {
					ks := make([]string, len(limits))
					for j := range ks {
						ks[j] = strings.Clone(k) // a fresh string each call
					}
					d, err := s.Decide(ctx, memReq(t0, limits, ks...))
					if err != nil {
						t.Fatal(err)
					}
					if want := round == 0; d.Allowed != want {
						t.Fatalf("%v %d limit(s), key %d (%d bytes), round %d: admitted %v, want %v",
							alg, len(limits), i, len(k), round, d.Allowed, want)
					}
				}
			}
		}
		if got, want := s.count(), 3*len(keys); got != want {
			t.Errorf("%v: %d states, want %d", alg, got, want)
		}
	}

	// A memory of its own, so that the test can run again (-count).
	Configure(WithStore(NewMemoryStore()), WithKeyspace(""), WithHook(nil), WithClock(nil))
	defer Configure(WithStore(nil))
	for _, alg := range allAlgorithms {
		r := NewRate(t.Name()+"/"+alg.String(), RateSpec{Algorithm: alg, Quota: 1, Duration: time.Hour})
		for round := range 2 {
			for i, k := range keys {
				if err := r.Allow(ctx, strings.Clone(k)); (err == nil) != (round == 0) {
					t.Fatalf("Rate %v key %d (%d bytes), round %d: %v", alg, i, len(k), round, err)
				}
			}
		}
	}
}

// TestMemoryKeyForms checks how keys are kept: up to maxPlainKey bytes as
// they are, longer ones as their 32-byte digest.
func TestMemoryKeyForms(t *testing.T) {
	for _, alg := range []Algorithm{GCRA, TokenBucket} {
		l := &Limit{Name: "forms", Algorithm: alg, Quota: 1, Duration: time.Hour}
		p := mustParams(l)
		s := NewMemoryStore(WithMaxKeys(1)) // one shard
		tab := s.table("forms", l)
		sh := &tab.shards[0]
		for _, n := range []int{1, maxPlainKey, maxPlainKey + 1, 4096} {
			key := strings.Repeat("z", n)
			tab.decideOne(&p, key, 1, 0, 1)
			var stored []string
			var long []bool
			if alg == GCRA {
				a := sh.w.arr.Load()
				for i := range a.meta {
					if tag := a.meta[i].tag.Load(); tag != 0 && tag != tombTag {
						stored = append(stored, a.meta[i].key())
						long = append(long, a.meta[i].klen&longKeyBit != 0)
					}
				}
			} else {
				for k := range sh.m {
					stored, long = append(stored, k), append(long, false)
				}
				for k := range sh.lm {
					stored, long = append(stored, string(k[:])), append(long, true)
				}
			}
			if len(stored) != 1 {
				t.Fatalf("%v: %d keys kept, want 1", alg, len(stored))
			}
			want := key
			if n > maxPlainKey {
				sum := sha256.Sum256([]byte(key))
				want = string(sum[:])
			}
			if stored[0] != want || long[0] != (n > maxPlainKey) {
				t.Errorf("%v: a %d-byte key is kept as %d bytes (digest %v)", alg, n, len(stored[0]), long[0])
			}
		}
	}
}

// TestMemoryKeepsNoCallerString checks that the store keeps its own copy of
// every key (or of its digest): the caller's string is collected once the
// caller drops it, and changing the bytes under a string made with
// unsafe.String does not change the key the store keeps.
func TestMemoryKeepsNoCallerString(t *testing.T) {
	ctx := context.Background()
	for _, alg := range allAlgorithms {
		for _, n := range []int{8, maxPlainKey, maxPlainKey + 1, 1024} {
			s := NewMemoryStore()
			l := &Limit{Name: "copy", Algorithm: alg, Quota: 1, Duration: time.Hour}
			// At least 16 bytes: a smaller buffer may share a block of the
			// tiny allocator with a live object, and so outlive the caller.
			buf := make([]byte, n, max(n, 16))
			copy(buf, strings.Repeat("c", n))
			wp := weak.Make(&buf[0])
			if d, _ := s.Decide(ctx, memReq(t0, []*Limit{l}, unsafe.String(&buf[0], n))); !d.Allowed {
				t.Fatalf("%v %d bytes: first call rejected", alg, n)
			}
			buf[0] = 'X' // the caller reuses its buffer
			buf = nil
			runtime.GC()
			if wp.Value() != nil {
				t.Errorf("%v %d bytes: the store keeps the caller's key", alg, n)
			}
			if d, _ := s.Decide(ctx, memReq(t0, []*Limit{l}, strings.Repeat("c", n))); d.Allowed {
				t.Errorf("%v %d bytes: second call admitted: the kept key changed with the caller's bytes", alg, n)
			}
			if d, _ := s.Decide(ctx, memReq(t0, []*Limit{l}, "X"+strings.Repeat("c", n-1))); !d.Allowed {
				t.Errorf("%v %d bytes: the caller's changed key shares state", alg, n)
			}
			runtime.KeepAlive(s)
		}
	}
}

// TestMemoryLongKeyCancelUndo checks that Cancel and the undo of a
// scope=local admission find a long key's state: a long key goes through
// the same decisions as a short one.
func TestMemoryLongKeyCancelUndo(t *testing.T) {
	ctx := context.Background()
	trace := func(alg Algorithm, key string) (got []bool) {
		s := NewMemoryStore()
		l := &Limit{Name: "cancel", Algorithm: alg, Quota: 2, Duration: time.Hour}
		r, err := s.ref("test", l)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			now := t0.Add(time.Duration(i) * time.Minute)
			d, _ := s.Decide(ctx, memReq(now, []*Limit{l}, key))
			got = append(got, d.Allowed)
			switch i % 4 {
			case 0: // a no-op for fixed_window and sliding_window
				s.Cancel(ctx, memReq(now, []*Limit{l}, strings.Clone(key)))
			case 1:
				r.t.undoOne(&r.p, strings.Clone(key), now.UnixMicro(), 1)
			}
		}
		return got
	}
	for _, alg := range allAlgorithms {
		short, long := trace(alg, "q"), trace(alg, strings.Repeat("q", 500))
		if !slices.Equal(short, long) {
			t.Errorf("%v: a long key is admitted %v, a short one %v", alg, long, short)
		}
		if !slices.Contains(short, false) {
			t.Errorf("%v: the trace never rejects: %v", alg, short)
		}
	}
}

// TestMemoryLongKeysAllocateNothing: a long key already present costs its
// SHA-256, and no allocation.
func TestMemoryLongKeysAllocateNothing(t *testing.T) {
	Configure(WithStore(nil), WithKeyspace(""), WithHook(nil), WithClock(nil))
	ctx := context.Background()
	key := strings.Repeat("L", 1024)
	for _, alg := range []Algorithm{GCRA, TokenBucket, FixedWindow, SlidingWindow} {
		r := NewRate(t.Name()+"/"+alg.String(), RateSpec{Algorithm: alg, Quota: 1 << 40, Duration: time.Second})
		multi := NewRate(t.Name()+"/multi/"+alg.String(),
			RateSpec{Name: t.Name() + "/multi/a/" + alg.String(), Algorithm: alg, Quota: 1 << 40, Duration: time.Second},
			RateSpec{Name: t.Name() + "/multi/b/" + alg.String(), Algorithm: GCRA, Quota: 1 << 40, Duration: time.Second})
		r.Allow(ctx, key)
		multi.AllowKeys(ctx, key, key)
		if n := testing.AllocsPerRun(100, func() { r.Allow(ctx, key) }); n != 0 {
			t.Errorf("%v: %v allocations per admitted call with a 1 KB key", alg, n)
		}
		if n := testing.AllocsPerRun(100, func() { multi.AllowKeys(ctx, key, key) }); n != 0 {
			t.Errorf("%v: %v allocations per admitted two-limit call with 1 KB keys", alg, n)
		}
	}
}

// Documented bounds (MemoryStore): the heap a key costs in a table, at
// most, whatever its length (sliding_window's log aside).
const (
	maxBytesPerWordKey  = 128 // gcra, leaky_bucket
	maxBytesPerEntryKey = 192 // fixed_window, sliding_window, token_bucket
)

// TestMemoryBytesPerKeyBounded measures the heap per key (ReadMemStats
// around inserting keys built by the test and then dropped) and checks it
// against the documented bounds, for keys from 16 bytes to 16 KB.
func TestMemoryBytesPerKeyBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap of 100,000 keys")
	}
	for _, alg := range []Algorithm{GCRA, TokenBucket} {
		bound := float64(maxBytesPerEntryKey)
		if alg == GCRA {
			bound = maxBytesPerWordKey
		}
		for _, kl := range []int{16, maxPlainKey, maxPlainKey + 1, 1024, 16 << 10} {
			n := 20_000
			if kl > 1024 {
				n = 4000
			}
			got := heapPerKey(alg, kl, n)
			t.Logf("%v, %d-byte keys: %.1f bytes per key", alg, kl, got)
			if got > bound {
				t.Errorf("%v, %d-byte keys: %.1f bytes per key, over the documented %.0f", alg, kl, got, bound)
			}
		}
	}
}
