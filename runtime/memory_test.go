package runtime

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

func memReq(now time.Time, limits []*Limit, keys ...string) *Request {
	return &Request{Keyspace: "test", Limits: limits, Keys: keys, Now: now}
}

func TestMemoryStoreAllOrNothing(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	one := &Limit{Name: "one", Algorithm: FixedWindow, Quota: 1, Duration: time.Hour}
	five := &Limit{Name: "five", Algorithm: SlidingWindow, Quota: 5, Duration: time.Hour}
	both := []*Limit{five, one}
	d, err := s.Decide(ctx, memReq(t0, both, "k", "k"))
	if err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("first call: %+v %v", d, err)
	}
	for i := 0; i < 3; i++ {
		d, _ = s.Decide(ctx, memReq(t0, both, "k", "k"))
		if d.Allowed || d.Rejected != 1 || d.Reason != ReasonQuota || d.RetryAfter <= 0 {
			t.Fatalf("call %d: %+v", i, d)
		}
	}
	// "five" recorded only the admitted call.
	d, _ = s.Decide(ctx, memReq(t0, []*Limit{five}, "k"))
	if !d.Allowed || d.Remaining != 3 {
		t.Fatalf("five after rejections: %+v, want remaining 3", d)
	}
}

func TestMemoryStoreKeysNeverCollide(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	a := &Limit{Name: "a", Algorithm: GCRA, Quota: 1, Duration: time.Hour}
	a2 := &Limit{Name: "a", Algorithm: TokenBucket, Quota: 1, Duration: time.Hour}
	b := &Limit{Name: "b", Algorithm: GCRA, Quota: 1, Duration: time.Hour}
	keys := []string{"", "x", "x:", ":x", "a:x", "\x00", "{x}", "\xff\xfe", "x\x00"}
	for _, l := range []*Limit{a, a2, b} {
		for _, ks := range []string{"one", "two"} {
			for _, k := range keys {
				req := memReq(t0, []*Limit{l}, k)
				req.Keyspace = ks
				if d, _ := s.Decide(ctx, req); !d.Allowed {
					t.Fatalf("%s/%v keyspace %s key %q: first call rejected: %+v", l.Name, l.Algorithm, ks, k, d)
				}
				if d, _ := s.Decide(ctx, req); d.Allowed {
					t.Fatalf("%s/%v keyspace %s key %q: second call admitted", l.Name, l.Algorithm, ks, k)
				}
			}
		}
	}
	// The same identity through another *Limit value shares the state.
	a3 := &Limit{Name: "a", Algorithm: GCRA, Quota: 1, Duration: time.Hour}
	req := memReq(t0, []*Limit{a3}, "x")
	req.Keyspace = "one"
	if d, _ := s.Decide(ctx, req); d.Allowed {
		t.Fatal("same identity, other *Limit: state not shared")
	}
}

func TestMemoryStoreForgetsIdleKeys(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	l := []*Limit{{Name: "idle", Algorithm: GCRA, Quota: 10, Duration: time.Second}}
	for i := 0; i < 2000; i++ {
		s.Decide(ctx, memReq(t0, l, "old"+strconv.Itoa(i)))
	}
	if n := s.count(); n != 2000 {
		t.Fatalf("Len = %d, want 2000", n)
	}
	later := t0.Add(2 * time.Second) // past the ttl and idleGrace
	for i := 0; i < 2000; i++ {
		s.Decide(ctx, memReq(later, l, "new"+strconv.Itoa(i)))
	}
	if n := s.count(); n > 2500 {
		t.Fatalf("Len = %d after the old keys became idle: they are not forgotten", n)
	}
}

func TestMemoryStoreCancel(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	l := []*Limit{{Name: "c", Algorithm: GCRA, Quota: 1, Duration: time.Second}}
	req := memReq(t0, l, "k")
	req.MaxWait = -1
	if d, _ := s.Decide(ctx, req); !d.Allowed || d.Delay != 0 {
		t.Fatalf("first: %+v", d)
	}
	if d, _ := s.Decide(ctx, req); !d.Allowed || d.Delay != time.Second {
		t.Fatalf("second: %+v", d)
	}
	if err := s.Cancel(ctx, req); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Decide(ctx, req); !d.Allowed || d.Delay != time.Second {
		t.Fatalf("after cancel: %+v, want the cancelled turn", d)
	}
}

func TestMemoryStoreRejectsBadRequests(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	if _, err := s.Decide(ctx, memReq(t0, []*Limit{{Name: "x", Algorithm: GCRA, Quota: 1, Duration: time.Second}})); err == nil {
		t.Error("missing key: no error")
	}
	if _, err := s.Decide(ctx, memReq(t0, []*Limit{{Name: "x", Algorithm: GCRA, Duration: time.Second}}, "k")); err == nil {
		t.Error("quota 0: no error")
	}
}

// TestMemoryStoreFlood feeds one million distinct keys to a bounded store
// and checks that the key count and the heap stay under the bound.
func TestMemoryStoreFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("flood test")
	}
	const bound = 10_000
	s := NewMemoryStore(WithMaxKeys(bound))
	l := &Limit{Name: "flood", Algorithm: GCRA, Quota: 10, Duration: time.Hour}
	p := mustParams(l)
	tab := s.table("test", l)
	now := t0.UnixMicro()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	buf := make([]byte, 0, 32)
	for i := 0; i < 1_000_000; i++ {
		buf = strconv.AppendInt(append(buf[:0], "attacker-"...), int64(i), 10)
		if !tab.decideOne(&p, string(buf), now, 0, 1).Allowed {
			t.Fatalf("key %d rejected", i)
		}
		if i%100_000 == 0 && s.count() > bound {
			t.Fatalf("after %d keys: Len %d > bound %d", i, s.count(), bound)
		}
	}
	if n := s.count(); n > bound || n < bound/2 {
		t.Fatalf("Len = %d, want at most %d (and the table in use)", n, bound)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew %d bytes for %d keys kept (%d bytes/key)", grown, s.count(), grown/int64(s.count()))
	if grown > bound*256 {
		t.Fatalf("heap grew %d bytes for at most %d keys", grown, bound)
	}
}
