package redisstore

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
)

// clearScanCount is the COUNT hint of each SCAN step of Clear.
const clearScanCount = 1000

// Clear deletes every key the store wrote under keyspace ks (on a Cluster,
// on every master), with SCAN and UNLINK: it never blocks the server with
// KEYS or FLUSHDB and leaves other keyspaces alone. Keys written while Clear
// runs may survive it. It also ends the rejections limiters remember from
// the store's answers (runtime.ForgetRejections).
func (s *Store) Clear(ctx context.Context, ks string) error {
	// Limiters' remembered rejections would outlast the state they came
	// from: forget them once the keys are gone.
	defer runtime.ForgetRejections()
	match := globEscape(prefix(ks)) + ":{*"
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return clearNode(ctx, node, match)
		})
	case *redis.Ring:
		return c.ForEachShard(ctx, func(ctx context.Context, shard *redis.Client) error {
			return clearNode(ctx, shard, match)
		})
	default:
		return clearNode(ctx, s.client, match)
	}
}

// clearNode scans one server. Keys are unlinked one per command (pipelined),
// since the keys of one SCAN page may lie in different Cluster slots.
func clearNode(ctx context.Context, c redis.Cmdable, match string) error {
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, match, clearScanCount).Result()
		if err != nil {
			return unavailable(err)
		}
		if len(keys) > 0 {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys {
					p.Unlink(ctx, k)
				}
				return nil
			})
			if err != nil {
				return unavailable(err)
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// globEscape quotes the characters SCAN MATCH treats specially.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
