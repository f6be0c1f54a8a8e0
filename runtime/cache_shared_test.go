package runtime

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// cacheFakeStore is a Store that is also a CacheStore, keeping values in a map.
type cacheFakeStore struct {
	mu      sync.Mutex
	vals    map[string][]byte
	ttls    map[string]time.Duration
	gets    int
	failGet error
	failSet error
}

func newCacheFakeStore() *cacheFakeStore {
	return &cacheFakeStore{vals: map[string][]byte{}, ttls: map[string]time.Duration{}}
}

func (s *cacheFakeStore) Decide(ctx context.Context, req *Request) (Decision, error) {
	return Decision{Allowed: true, Rejected: -1}, nil
}

func (s *cacheFakeStore) Cancel(ctx context.Context, req *Request) error { return nil }

func (s *cacheFakeStore) GetCache(ctx context.Context, keyspace, name, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	if s.failGet != nil {
		return nil, false, s.failGet
	}
	v, ok := s.vals[keyspace+"|"+name+"|"+key]
	return v, ok, nil
}

func (s *cacheFakeStore) SetCache(ctx context.Context, keyspace, name, key string, val []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSet != nil {
		return s.failSet
	}
	s.vals[keyspace+"|"+name+"|"+key] = val
	s.ttls[keyspace+"|"+name+"|"+key] = ttl
	return nil
}

func TestCacheSharedUsesStore(t *testing.T) {
	rtcClock(t)
	st := newCacheFakeStore()
	Configure(WithStore(st), WithKeyspace("app"))
	spec := CacheSpec{Name: "pkg.F", TTL: time.Minute, Shared: true}
	a := NewCache[cacheKeyT, cacheValT](spec)
	calls := 0
	fn := func() (string, error) { calls++; return "computed", nil }
	k := cacheKeyT{Tenant: "t", ID: `x"1`}
	if v, err := cachedCall(context.Background(), a, k, fn); v != "computed" || err != nil {
		t.Fatalf("first call = %q, %v", v, err)
	}
	want := `app|pkg.F|{"Tenant":"t","ID":"x\"1"}`
	if got := string(st.vals[want]); got != `{"Name":"computed"}` {
		t.Fatalf("stored %q under %q (all %v)", got, want, st.vals)
	}
	if st.ttls[want] != time.Minute {
		t.Fatalf("ttl = %v", st.ttls[want])
	}
	// Another process (another Cache of the same name) finds it.
	b := NewCache[cacheKeyT, cacheValT](spec)
	if v, err := cachedCall(context.Background(), b, k, fn); v != "computed" || err != nil || calls != 1 {
		t.Fatalf("second process = %q, %v, calls %d", v, err, calls)
	}
	if a.count() != 0 || b.count() != 0 {
		t.Fatal("a shared cache kept results in memory")
	}
}

func TestCacheSharedStoreErrorsAreMisses(t *testing.T) {
	rtcClock(t)
	st := newCacheFakeStore()
	st.failGet = errors.New("down")
	st.failSet = errors.New("down")
	Configure(WithStore(st))
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{Name: "pkg.F", TTL: time.Minute, Shared: true})
	calls := 0
	fn := func() (string, error) { calls++; return "v", nil }
	for i := 0; i < 2; i++ {
		if v, err := cachedCall(context.Background(), c, cacheKeyT{}, fn); v != "v" || err != nil {
			t.Fatalf("call = %q, %v", v, err)
		}
	}
	if calls != 2 || st.gets != 2 {
		t.Fatalf("calls = %d, gets = %d", calls, st.gets)
	}
}

func TestCacheSharedFallsBackToMemory(t *testing.T) {
	rtcClock(t) // the default in-memory store is no CacheStore
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{Name: "pkg.F", TTL: time.Minute, Shared: true})
	calls := 0
	fn := func() (string, error) { calls++; return "v", nil }
	cachedCall(context.Background(), c, cacheKeyT{}, fn)
	cachedCall(context.Background(), c, cacheKeyT{}, fn)
	if calls != 1 || c.count() != 1 {
		t.Fatalf("calls = %d, Len = %d", calls, c.count())
	}
}
