package runtime

import (
	"context"
	"encoding/json"
	"time"
)

// CacheStore is implemented by stores that can keep cached results for
// //throttle:cache store=shared (runtime/redisstore does). Values are opaque
// bytes (JSON-encoded results); a store keeps each under a key derived from
// keyspace, name and key such that distinct triples never collide, and
// forgets it after ttl. A CacheStore must be safe for concurrent use.
type CacheStore interface {
	// GetCache returns the value stored under (keyspace, name, key), and
	// whether there is one.
	GetCache(ctx context.Context, keyspace, name, key string) (val []byte, ok bool, err error)
	// SetCache stores val under (keyspace, name, key) for ttl.
	SetCache(ctx context.Context, keyspace, name, key string, val []byte, ttl time.Duration) error
}

// sharedStore returns the configured store if this cache is shared and the
// store can cache; nil otherwise.
func (c *Cache[K, V]) sharedStore(cfg *config) CacheStore {
	if !c.spec.Shared || cfg.store == nil {
		return nil
	}
	cs, _ := cfg.store.(CacheStore)
	return cs
}

// sharedKey encodes key for the store. Errors (a key JSON cannot encode,
// which the generator rules out) make the call bypass the store.
func sharedKey[K any](key K) (string, bool) {
	b, err := json.Marshal(key)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func (c *Cache[K, V]) lookupShared(ctx context.Context, cfg *config, cs CacheStore, key K) (v V, hit bool, fl Flight[K, V]) {
	c.mu.Lock()
	fl = c.joinLocked(key)
	c.mu.Unlock()
	if !fl.leader {
		c.observe(cfg, false)
		return v, false, fl
	}
	sk, ok := sharedKey(key)
	if !ok {
		c.observe(cfg, false)
		return v, false, fl
	}
	b, found, err := cs.GetCache(ctx, cfg.keyspace, c.spec.Name, sk)
	if err != nil || !found || json.Unmarshal(b, &v) != nil {
		c.observeErr(cfg, err)
		var zero V
		return zero, false, fl
	}
	// A hit: the calls that joined meanwhile share it.
	c.finish(fl, v, nil)
	c.observe(cfg, true)
	return v, true, Flight[K, V]{}
}

func (c *Cache[K, V]) storeShared(cfg *config, cs CacheStore, key K, v V) {
	sk, ok := sharedKey(key)
	if !ok {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	// The result is stored even if the caller's context has ended: it was
	// computed, and others can use it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cs.SetCache(ctx, cfg.keyspace, c.spec.Name, sk, b, c.spec.TTL); err != nil {
		c.observeErr(cfg, err)
	}
}

func (c *Cache[K, V]) observeErr(cfg *config, err error) {
	if cfg.hook == nil {
		return
	}
	cfg.hook.OnDecision(Event{Policy: "cache", Name: c.spec.Name, Err: err})
}
