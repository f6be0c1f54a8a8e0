package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
)

// The shared cache (//throttle:cache store=shared): Store implements
// runtime.CacheStore with one GET or one SET ... PX per call. A value lives
// under
//
//	<keyspace>:{<tag>}:cache:<enc(name)>:<enc(key)>
//
// with the same injective, brace-free encoding as the limits' keys and a tag
// hashed from the name and key, so cached results spread over a cluster and
// never collide with a limit's key or another function's result.
var _ runtime.CacheStore = (*Store)(nil)

// CacheKey returns the Redis key holding the cached result of name for the
// encoded key in keyspace ks. It is meant for tests and tools.
func CacheKey(ks, name, key string) string {
	l := runtime.Limit{Name: name}
	b := make([]byte, 0, len(ks)+len(name)+len(key)+32)
	b = append(b, prefix(ks)...)
	b = append(b, ":{"...)
	b = appendTag(b, &l, key)
	b = append(b, "}:cache:"...)
	b = appendEnc(b, name)
	b = append(b, ':')
	return string(appendEnc(b, key))
}

// GetCache implements runtime.CacheStore. It is bounded by the store's
// timeout (WithTimeout); an error wraps runtime.ErrStoreUnavailable.
func (s *Store) GetCache(ctx context.Context, keyspace, name, key string) ([]byte, bool, error) {
	var b []byte
	err := s.run(ctx, func(ctx context.Context) (err error) {
		b, err = s.client.Get(ctx, CacheKey(keyspace, name, key)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// SetCache implements runtime.CacheStore: the value expires after ttl
// (rounded up to a whole millisecond). It is bounded by the store's timeout;
// an error wraps runtime.ErrStoreUnavailable.
func (s *Store) SetCache(ctx context.Context, keyspace, name, key string, val []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	if r := ttl % time.Millisecond; r != 0 {
		ttl += time.Millisecond - r
	}
	return s.run(ctx, func(ctx context.Context) error {
		return s.client.Set(ctx, CacheKey(keyspace, name, key), val, ttl).Err()
	})
}
