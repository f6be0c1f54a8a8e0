package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

type cacheKeyT struct{ Tenant, ID string }
type cacheValT struct{ Name string }

// cachedCall is the straight-line code the generator emits for a cached
// function, over fn.
func cachedCall(ctx context.Context, c *Cache[cacheKeyT, cacheValT], key cacheKeyT, fn func() (string, error)) (string, error) {
	v, hit, fl := c.Lookup(ctx, key)
	if hit {
		return v.Name, nil
	}
	if !fl.Leader() {
		v, err := fl.Wait(ctx)
		return v.Name, err
	}
	defer c.Abandon(fl)
	r0, err := fn()
	c.Complete(fl, cacheValT{Name: r0}, err)
	return r0, err
}

func TestCacheStoresSuccessForTTL(t *testing.T) {
	clk := rtcClock(t)
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{Name: "pkg.F", TTL: time.Minute})
	calls := 0
	fn := func() (string, error) { calls++; return fmt.Sprint("v", calls), nil }
	k := cacheKeyT{"t", "1"}
	for i := 0; i < 3; i++ {
		if v, err := cachedCall(context.Background(), c, k, fn); v != "v1" || err != nil {
			t.Fatalf("call %d = %q, %v", i, v, err)
		}
	}
	if v, _ := cachedCall(context.Background(), c, cacheKeyT{"t", "2"}, fn); v != "v2" {
		t.Fatalf("another key = %q", v)
	}
	clk.Advance(time.Minute - time.Nanosecond)
	if v, _ := cachedCall(context.Background(), c, k, fn); v != "v1" {
		t.Fatalf("before the TTL = %q", v)
	}
	clk.Advance(time.Nanosecond)
	if v, _ := cachedCall(context.Background(), c, k, fn); v != "v3" {
		t.Fatalf("after the TTL = %q, want a new call", v)
	}
}

func TestCacheNeverStoresErrors(t *testing.T) {
	rtcClock(t)
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{TTL: time.Minute})
	calls := 0
	fn := func() (string, error) {
		calls++
		if calls == 1 {
			return "", io.EOF
		}
		return "ok", nil
	}
	k := cacheKeyT{"t", "1"}
	if _, err := cachedCall(context.Background(), c, k, fn); err != io.EOF {
		t.Fatalf("first call err = %v", err)
	}
	if v, err := cachedCall(context.Background(), c, k, fn); v != "ok" || err != nil {
		t.Fatalf("second call = %q, %v, want a fresh call", v, err)
	}
	if calls != 2 || c.count() != 1 {
		t.Fatalf("calls = %d, Len = %d", calls, c.count())
	}
}

func TestCacheZeroTTLStoresNothing(t *testing.T) {
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{})
	calls := 0
	fn := func() (string, error) { calls++; return "x", nil }
	cachedCall(context.Background(), c, cacheKeyT{}, fn)
	cachedCall(context.Background(), c, cacheKeyT{}, fn)
	if calls != 2 || c.count() != 0 {
		t.Fatalf("calls = %d, Len = %d", calls, c.count())
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	rtcClock(t)
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{TTL: time.Hour, Size: 2})
	calls := map[string]int{}
	get := func(id string) {
		cachedCall(context.Background(), c, cacheKeyT{ID: id}, func() (string, error) { calls[id]++; return id, nil })
	}
	get("a")
	get("b")
	get("a") // a is now the most recently used
	get("c") // evicts b
	if c.count() != 2 {
		t.Fatalf("Len = %d, want 2", c.count())
	}
	get("a")
	get("c")
	get("b") // evicted: called again, evicts a
	get("c")
	want := map[string]int{"a": 1, "b": 2, "c": 1}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("calls[%s] = %d, want %d (all %v)", k, calls[k], n, calls)
		}
	}
}

func TestCacheConcurrentMissesShareOneCall(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, fail := range []bool{false, true} {
		c := NewCache[cacheKeyT, cacheValT](CacheSpec{TTL: time.Hour})
		var calls atomic.Int32
		release := make(chan struct{})
		entered := make(chan struct{})
		fn := func() (string, error) {
			calls.Add(1)
			close(entered)
			<-release
			if fail {
				return "", io.ErrUnexpectedEOF
			}
			return "shared", nil
		}
		const n = 8
		type out struct {
			v   string
			err error
		}
		outs := make(chan out, n)
		go func() { v, err := cachedCall(context.Background(), c, cacheKeyT{ID: "k"}, fn); outs <- out{v, err} }()
		<-entered
		var joined sync.WaitGroup
		for i := 1; i < n; i++ {
			joined.Add(1)
			go func() {
				v, hit, fl := c.Lookup(context.Background(), cacheKeyT{ID: "k"})
				joined.Done()
				if hit || fl.Leader() {
					outs <- out{v.Name, errors.New("did not join the flight")}
					return
				}
				v, err := fl.Wait(context.Background())
				outs <- out{v.Name, err}
			}()
		}
		joined.Wait()
		close(release)
		for i := 0; i < n; i++ {
			o := <-outs
			if fail && o.err != io.ErrUnexpectedEOF || !fail && (o.v != "shared" || o.err != nil) {
				t.Fatalf("fail=%v: got %q, %v", fail, o.v, o.err)
			}
		}
		if calls.Load() != 1 {
			t.Fatalf("fail=%v: %d calls, want 1", fail, calls.Load())
		}
		if wantLen := map[bool]int{false: 1, true: 0}[fail]; c.count() != wantLen {
			t.Fatalf("fail=%v: Len = %d, want %d", fail, c.count(), wantLen)
		}
	}
}

func TestCacheLeaderPanicFreesFollowers(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{TTL: time.Hour})
	entered := make(chan struct{})
	release := make(chan struct{})
	leaderDone := make(chan any, 1)
	go func() {
		defer func() { leaderDone <- recover() }()
		cachedCall(context.Background(), c, cacheKeyT{}, func() (string, error) {
			close(entered)
			<-release
			panic("boom")
		})
	}()
	<-entered
	_, hit, fl := c.Lookup(context.Background(), cacheKeyT{})
	if hit || fl.Leader() {
		t.Fatal("did not join the flight")
	}
	close(release)
	if _, err := fl.Wait(context.Background()); err != ErrAbandoned {
		t.Fatalf("Wait = %v, want ErrAbandoned", err)
	}
	if p := <-leaderDone; p != "boom" {
		t.Fatalf("leader recovered %v", p)
	}
	// The next call leads a new flight.
	if v, err := cachedCall(context.Background(), c, cacheKeyT{}, func() (string, error) { return "ok", nil }); v != "ok" || err != nil {
		t.Fatalf("after the panic = %q, %v", v, err)
	}
}

func TestCacheFollowerContextEnds(t *testing.T) {
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{TTL: time.Hour})
	_, _, leader := c.Lookup(context.Background(), cacheKeyT{})
	ctx, cancel := context.WithCancel(context.Background())
	_, _, fl := c.Lookup(ctx, cacheKeyT{})
	cancel()
	if _, err := fl.Wait(ctx); err != context.Canceled {
		t.Fatalf("Wait = %v", err)
	}
	c.Complete(leader, cacheValT{"x"}, nil)
	c.Abandon(leader) // no-op after Complete
	if v, hit, _ := c.Lookup(context.Background(), cacheKeyT{}); !hit || v.Name != "x" {
		t.Fatalf("Lookup after Complete+Abandon = %v, %v", v, hit)
	}
}

func TestCacheHitDoesNotAllocate(t *testing.T) {
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{TTL: time.Hour})
	k := cacheKeyT{"t", "1"}
	cachedCall(context.Background(), c, k, func() (string, error) { return "x", nil })
	allocs := testing.AllocsPerRun(1000, func() {
		if _, hit, _ := c.Lookup(context.Background(), k); !hit {
			panic("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("hit: %v allocs", allocs)
	}
}

// ExampleCache shows the code generated for //throttle:cache ttl=1m.
func ExampleCache() {
	type key struct{ ID string }
	type results struct{ R0 string }
	cache := NewCache[key, results](CacheSpec{Name: "example.Lookup", TTL: time.Minute})
	calls := 0
	lookup := func(id string) (string, error) { calls++; return "user " + id, nil }

	lookupCached := func(ctx context.Context, id string) (string, error) {
		v, hit, fl := cache.Lookup(ctx, key{id})
		if hit {
			return v.R0, nil
		}
		if !fl.Leader() {
			v, err := fl.Wait(ctx)
			return v.R0, err
		}
		defer cache.Abandon(fl)
		r0, err := lookup(id)
		cache.Complete(fl, results{r0}, err)
		return r0, err
	}
	a, _ := lookupCached(context.Background(), "7")
	b, _ := lookupCached(context.Background(), "7")
	fmt.Println(a, b, calls)
	// Output: user 7 user 7 1
}

// TestCacheConcurrentUse hammers a small cache from many goroutines; run it
// with -race. Every answer must be the value computed for its own key.
func TestCacheConcurrentUse(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := NewCache[cacheKeyT, cacheValT](CacheSpec{TTL: time.Hour, Size: 8})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				id := fmt.Sprint((i * (g + 1)) % 20)
				v, err := cachedCall(context.Background(), c, cacheKeyT{ID: id}, func() (string, error) {
					if i%7 == 0 {
						return "", io.EOF
					}
					return "v" + id, nil
				})
				if err == nil && v != "v"+id || err != nil && err != io.EOF {
					t.Errorf("key %s: %q, %v", id, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := c.count(); n > 8 {
		t.Fatalf("Len = %d, above Size 8", n)
	}
}
