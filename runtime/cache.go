package runtime

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultCacheSize is the capacity of a cache whose spec gives no Size.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
const DefaultCacheSize = 1024

// ErrAbandoned is the error of calls that waited for another call computing
// the same cache key when that call ended without a result (it panicked).
var ErrAbandoned = errors.New("throttle: the call computing this cached result did not finish")

// CacheSpec is the parameters of //throttle:cache.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type CacheSpec struct {
	Name string        // the function's identity; with Shared, part of the store's keys
	TTL  time.Duration // how long a result is kept; ≤ 0 keeps nothing (calls are still shared)
	Size int           // the most results kept in memory; 0 means DefaultCacheSize
	// Shared keeps results in the configured store when it is a CacheStore
	// (store=shared), encoded as JSON; otherwise, and without a configured
	// store, results are kept in memory.
	Shared bool
}

// Cache keeps the results of successful calls of one function for a TTL,
// keyed by K (a comparable struct of the key parameters, generated), and
// makes concurrent misses for one key share one call. In memory it keeps at
// most Size results, evicting the least recently used. Errors are shared
// with the calls waiting for them but never stored. It is safe for
// concurrent use.
//
// Generated code, with V a struct of the function's results but the error:
//
//	v, hit, fl := cache.Lookup(ctx, key)
//	if hit {
//		return v.R0, nil
//	}
//	if !fl.Leader() {
//		v, err := fl.Wait(ctx)
//		return v.R0, err
//	}
//	defer cache.Abandon(fl) // a no-op once Complete ran; frees waiters if the call panics
//	r0, err := … // the rest of the policies and the call
//	cache.Complete(fl, V{R0: r0}, err)
//	return r0, err
//
// With Shared, K and V are encoded with encoding/json, so their fields must
// be exported (the generator names them so).
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type Cache[K comparable, V any] struct {
	spec CacheSpec

	mu      sync.Mutex
	items   map[K]*cacheEntry[K, V]
	lru     cacheEntry[K, V] // sentinel: lru.next is the most recently used
	flights map[K]*flight[V]
}

type cacheEntry[K comparable, V any] struct {
	key        K
	val        V
	expires    int64 // clock time in Unix nanoseconds
	prev, next *cacheEntry[K, V]
}

// flight is one call computing a key's result for the calls that share it.
type flight[V any] struct {
	done     chan struct{}
	val      V
	err      error
	finished bool // under the cache's mu
}

// Flight is a miss's part in computing a key: the leader makes the call and
// must end the flight with Complete (and defer Abandon); the others Wait.
// It is a small value.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
type Flight[K comparable, V any] struct {
	f      *flight[V]
	key    K
	leader bool
}

// Leader reports whether the caller must make the call.
func (fl Flight[K, V]) Leader() bool { return fl.leader }

// Wait waits for the leader's outcome, or for ctx to end. The error is the
// leader's error, ErrAbandoned when the leader panicked, or ctx.Err().
func (fl Flight[K, V]) Wait(ctx context.Context) (V, error) {
	select {
	case <-fl.f.done:
		return fl.f.val, fl.f.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// NewCache returns an empty cache for spec.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func NewCache[K comparable, V any](spec CacheSpec) *Cache[K, V] {
	if spec.Size <= 0 {
		spec.Size = DefaultCacheSize
	}
	c := &Cache[K, V]{
		spec:    spec,
		items:   make(map[K]*cacheEntry[K, V]),
		flights: make(map[K]*flight[V]),
	}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// Lookup returns the stored result for key (hit is true), or else the
// caller's part in computing it.
//
// With Shared and a configured CacheStore, a miss in this process's flights
// asks the store; a store error counts as a miss.
func (c *Cache[K, V]) Lookup(ctx context.Context, key K) (v V, hit bool, fl Flight[K, V]) {
	cfg := loadConfig()
	if cs := c.sharedStore(cfg); cs != nil {
		return c.lookupShared(ctx, cfg, cs, key)
	}
	now := cfg.clock.Now().UnixNano()
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		if now < e.expires {
			c.moveFrontLocked(e)
			v = e.val
			c.mu.Unlock()
			c.observe(cfg, true)
			return v, true, fl
		}
		c.removeLocked(e)
	}
	fl = c.joinLocked(key)
	c.mu.Unlock()
	c.observe(cfg, false)
	return v, false, fl
}

// joinLocked returns the caller's part in the flight of key, starting one
// (as its leader) if none is under way.
func (c *Cache[K, V]) joinLocked(key K) Flight[K, V] {
	if f, ok := c.flights[key]; ok {
		return Flight[K, V]{f: f, key: key}
	}
	f := &flight[V]{done: make(chan struct{})}
	c.flights[key] = f
	return Flight[K, V]{f: f, key: key, leader: true}
}

// Complete ends the leader's flight with the call's outcome: a nil err
// stores v for the TTL; either way the waiting calls receive v and err. It
// does nothing for a follower's Flight or a flight already ended.
func (c *Cache[K, V]) Complete(fl Flight[K, V], v V, err error) {
	if !fl.leader || fl.f == nil {
		return
	}
	cfg := loadConfig()
	if err == nil && c.spec.TTL > 0 {
		if cs := c.sharedStore(cfg); cs != nil {
			c.storeShared(cfg, cs, fl.key, v)
		} else {
			c.storeLocal(cfg, fl.key, v)
		}
	}
	c.finish(fl, v, err)
}

// Abandon ends the leader's flight with ErrAbandoned unless Complete ended
// it; generated code defers it so that a panicking call does not leave the
// waiting calls hanging. It does nothing for a follower's Flight.
func (c *Cache[K, V]) Abandon(fl Flight[K, V]) {
	if !fl.leader || fl.f == nil {
		return
	}
	var zero V
	c.finish(fl, zero, ErrAbandoned)
}

func (c *Cache[K, V]) finish(fl Flight[K, V], v V, err error) {
	c.mu.Lock()
	if fl.f.finished {
		c.mu.Unlock()
		return
	}
	fl.f.finished = true
	if c.flights[fl.key] == fl.f {
		delete(c.flights, fl.key)
	}
	c.mu.Unlock()
	fl.f.val, fl.f.err = v, err
	close(fl.f.done)
}

func (c *Cache[K, V]) storeLocal(cfg *config, key K, v V) {
	expires := cfg.clock.Now().Add(c.spec.TTL).UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.val, e.expires = v, expires
		c.moveFrontLocked(e)
		return
	}
	e := &cacheEntry[K, V]{key: key, val: v, expires: expires}
	c.items[key] = e
	c.pushFrontLocked(e)
	for len(c.items) > c.spec.Size {
		c.removeLocked(c.lru.prev)
	}
}

// count returns how many results the in-memory cache holds, expired ones
// included until they are looked up or evicted. Tests use it.
func (c *Cache[K, V]) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

func (c *Cache[K, V]) pushFrontLocked(e *cacheEntry[K, V]) {
	e.prev, e.next = &c.lru, c.lru.next
	e.prev.next, e.next.prev = e, e
}

func (c *Cache[K, V]) moveFrontLocked(e *cacheEntry[K, V]) {
	if c.lru.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	c.pushFrontLocked(e)
}

func (c *Cache[K, V]) removeLocked(e *cacheEntry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(c.items, e.key)
}

func (c *Cache[K, V]) observe(cfg *config, hit bool) {
	if cfg.hook == nil {
		return
	}
	cfg.hook.OnDecision(Event{Policy: "cache", Name: c.spec.Name, Allowed: hit})
}
