package redisstore

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
)

// misconfigPrefixes are the starts of the Redis error replies that retrying
// cannot fix (go-redis compares them after any "ERR "): authentication and
// permissions, a key of the wrong type in the keyspace, keys of one decision
// in different Cluster slots, a server out of memory, scripting errors
// (a script that does not run, or rejects the store's request).
var misconfigPrefixes = []string{
	"NOAUTH", "WRONGPASS", "NOPERM", "WRONGTYPE", "CROSSSLOT", "OOM",
	"user_script", "Error running script", "Error compiling script", "unknown command", "throttle:",
}

// misconfigCause returns the cause of err when it is a misconfiguration: the
// error reply's first word (after a generic "ERR "), or "" for any other
// error.
func misconfigCause(err error) string {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return ""
	}
	msg := strings.TrimPrefix(rerr.Error(), "ERR ")
	for _, p := range misconfigPrefixes {
		if strings.HasPrefix(msg, p) {
			if i := strings.IndexAny(msg, " :"); i > 0 {
				return msg[:i]
			}
			return msg
		}
	}
	return ""
}

// misconfigs remembers the causes of misconfiguration a store has reported,
// so that each is reported once, not once per call.
type misconfigs struct {
	mu   sync.Mutex
	seen map[string]bool
}

// misconfigured returns, for a misconfiguration error, err wrapped so that
// errors.Is(err, runtime.ErrStoreMisconfigured) holds, and reports its cause
// through the configured StoreHook the first time the store sees it; for any
// other error it returns nil.
func (s *Store) misconfigured(err error) error {
	cause := misconfigCause(err)
	if cause == "" {
		return nil
	}
	s.stats.misconfigured.Add(1)
	werr := fmt.Errorf("%w: %w", runtime.ErrStoreMisconfigured, err)
	m := &s.misconf
	m.mu.Lock()
	first := !m.seen[cause]
	if first {
		if m.seen == nil {
			m.seen = map[string]bool{}
		}
		m.seen[cause] = true
	}
	m.mu.Unlock()
	if first {
		runtime.ReportStoreEvent(runtime.StoreEvent{Store: "redisstore", Misconfigured: true, Err: unavailable(werr)})
	}
	return werr
}
