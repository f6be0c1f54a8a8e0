package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

type cacheKey struct{ Tenant, ID string }
type cacheVal struct {
	R0 string
	R1 int
}

// cachedGet is the generated code of a cached function over fn.
func cachedGet(ctx context.Context, c *runtime.Cache[cacheKey, cacheVal], k cacheKey, fn func() (cacheVal, error)) (cacheVal, error) {
	v, hit, fl := c.Lookup(ctx, k)
	if hit {
		return v, nil
	}
	if !fl.Leader() {
		return fl.Wait(ctx)
	}
	defer c.Abandon(fl)
	v, err := fn()
	c.Complete(fl, v, err)
	return v, err
}

func TestSharedCache(t *testing.T) {
	s, _ := newStore(t)
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("cache{test}"))
	t.Cleanup(func() { runtime.Configure(runtime.WithStore(nil), runtime.WithKeyspace("")) })
	ctx := context.Background()
	spec := runtime.CacheSpec{Name: "pkg.Get{x}", TTL: time.Minute, Shared: true}
	calls := 0
	fn := func() (cacheVal, error) { calls++; return cacheVal{"v", calls}, nil }
	k := cacheKey{Tenant: "t}{", ID: "1"}

	// Two processes' caches share the result.
	a := runtime.NewCache[cacheKey, cacheVal](spec)
	b := runtime.NewCache[cacheKey, cacheVal](spec)
	if v, err := cachedGet(ctx, a, k, fn); err != nil || v != (cacheVal{"v", 1}) {
		t.Fatalf("first = %v, %v", v, err)
	}
	if v, err := cachedGet(ctx, b, k, fn); err != nil || v != (cacheVal{"v", 1}) || calls != 1 {
		t.Fatalf("second = %v, %v, calls %d", v, err, calls)
	}
	if v, _ := cachedGet(ctx, a, cacheKey{Tenant: "t", ID: "2"}, fn); v.R1 != 2 {
		t.Fatalf("another key = %v", v)
	}

	// The value sits under the documented key, with a TTL.
	key := redisstore.CacheKey("cache{test}", spec.Name, `{"Tenant":"t}{","ID":"1"}`)
	if strings.Count(key, "{") != 1 || strings.Count(key, "}") != 1 {
		t.Fatalf("key %q has more than the hash tag's braces", key)
	}
	rdb := s.Client()
	if got, err := rdb.Get(ctx, key).Result(); err != nil || got != `{"R0":"v","R1":1}` {
		t.Fatalf("GET %q = %q, %v", key, got, err)
	}
	if ttl, err := rdb.PTTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("PTTL = %v, %v", ttl, err)
	}

	// Errors are never stored.
	errCalls := 0
	failing := func() (cacheVal, error) { errCalls++; return cacheVal{}, errors.New("boom") }
	for i := 0; i < 2; i++ {
		if _, err := cachedGet(ctx, a, cacheKey{ID: "err"}, failing); err == nil {
			t.Fatal("no error")
		}
	}
	if errCalls != 2 {
		t.Fatalf("failing calls = %d, want 2", errCalls)
	}
}

func TestSharedCacheKeysDoNotCollide(t *testing.T) {
	seen := map[string]string{}
	for _, c := range [][2]string{{"a", "b:c"}, {"a:b", "c"}, {"a", `b\)`}, {"a", "b}"}, {"", "ab"}, {"ab", ""}} {
		k := redisstore.CacheKey("ks", c[0], c[1])
		if prev, ok := seen[k]; ok {
			t.Fatalf("%v and %v share key %q", prev, c, k)
		}
		seen[k] = c[0] + "|" + c[1]
	}
}

func TestSharedCacheServerDown(t *testing.T) {
	s, srv := newStore(t, redisstore.WithTimeout(200*time.Millisecond))
	ctx := context.Background()
	// A cold first call (the dial) may outlast the 200 ms timeout on a busy
	// machine: wait for one that goes through.
	waitFor(t, "SetCache with the server up", func() bool {
		return s.SetCache(ctx, "ks", "n", "k", []byte("1"), time.Second) == nil
	})
	srv.Kill()
	if _, _, err := s.GetCache(ctx, "ks", "n", "k"); !errors.Is(err, runtime.ErrStoreUnavailable) {
		t.Fatalf("GetCache with the server down = %v", err)
	}
	if err := s.SetCache(ctx, "ks", "n", "k", []byte("1"), time.Second); !errors.Is(err, runtime.ErrStoreUnavailable) {
		t.Fatalf("SetCache with the server down = %v", err)
	}
	// A cached wrapper still works: the store's failures are misses.
	runtime.Configure(runtime.WithStore(s))
	t.Cleanup(func() { runtime.Configure(runtime.WithStore(nil)) })
	c := runtime.NewCache[cacheKey, cacheVal](runtime.CacheSpec{Name: "pkg.Down", TTL: time.Minute, Shared: true})
	if v, err := cachedGet(ctx, c, cacheKey{}, func() (cacheVal, error) { return cacheVal{R0: "ok"}, nil }); err != nil || v.R0 != "ok" {
		t.Fatalf("cached call with the server down = %v, %v", v, err)
	}
}
