package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
)

// Processes deciding in a keyspace (runtime.ProcessCounter, for fail=local).
//
// Each Store is one process. For every keyspace in which the runtime asks it
// the count (limiters with fail=local do when they resolve the
// configuration), it keeps its ID in the sorted set <keyspace>:{t}:procs
// with the time it last said so as the score: a heartbeat every
// heartbeatEvery on a goroutine of the store's, never on a decision, so that
// counting adds no round trip to decisions, and keyspaces without fail=local
// limits hold no such key. The same script drops members not seen for
// processWindow and counts the rest; the key expires when no process renews
// it. The store thus holds one member per live process and keyspace.
const (
	heartbeatEvery = 10 * time.Second
	processWindow  = time.Minute
)

// heartbeatLua: KEYS the set; ARGV the process ID, the window in µs.
// Returns how many processes were seen within the window, this one included.
var heartbeatLua = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('PEXPIRE', KEYS[1], math.floor(window / 1000) * 2)
return redis.call('ZCARD', KEYS[1])
`)

// processes tracks the keyspaces a store decides in and the process counts
// its heartbeats last read.
type processes struct {
	id      string
	last    atomic.Pointer[string] // the keyspace seen last: the common case, checked first
	counts  sync.Map               // keyspace → *atomic.Int64
	started atomic.Bool
	kick    chan struct{} // cap 1: a new keyspace to announce at once
	wg      sync.WaitGroup
}

func newProcesses() processes {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return processes{id: hex.EncodeToString(b[:]), kick: make(chan struct{}, 1)}
}

// ProcessKey returns the Redis key of the set of processes deciding in
// keyspace ks. It is meant for tests and tools.
func ProcessKey(ks string) string { return prefix(ks) + ":{" + sharedTag + "}:procs" }

// seen notes that the store counts processes in keyspace ks; the first
// time, it starts the heartbeat (once per store) or has it announce ks at
// once.
func (s *Store) seen(ks string) {
	if p := s.procs.last.Load(); p != nil && *p == ks {
		return
	}
	s.procs.last.Store(&ks)
	if _, ok := s.procs.counts.Load(ks); ok {
		return
	}
	if _, loaded := s.procs.counts.LoadOrStore(ks, new(atomic.Int64)); loaded {
		return
	}
	if s.procs.started.CompareAndSwap(false, true) {
		s.procs.wg.Add(1)
		go s.heartbeat() // its first round announces ks
		return
	}
	select {
	case s.procs.kick <- struct{}{}:
	default:
	}
}

// Processes implements runtime.ProcessCounter: how many processes announced
// themselves in keyspace ks during the last minute, as of this store's
// latest heartbeat (at least 1). The first call for a keyspace starts
// announcing this process there.
func (s *Store) Processes(ks string) int {
	s.seen(ks)
	if c, ok := s.procs.counts.Load(ks); ok {
		return max(int(c.(*atomic.Int64).Load()), 1)
	}
	return 1
}

var _ runtime.ProcessCounter = (*Store)(nil)

// heartbeat announces this process in every keyspace it decides in, every
// heartbeatEvery and when a keyspace is new, until Close.
func (s *Store) heartbeat() {
	defer s.procs.wg.Done()
	t := time.NewTimer(heartbeatEvery)
	defer t.Stop()
	for {
		s.procs.counts.Range(func(k, v any) bool {
			ks := k.(string)
			var n int64
			err := s.run(context.Background(), func(ctx context.Context) (err error) {
				n, err = heartbeatLua.Run(ctx, s.client, []string{ProcessKey(ks)}, s.procs.id,
					processWindow.Microseconds()).Int64()
				return err
			})
			if err == nil {
				v.(*atomic.Int64).Store(n)
			}
			return !s.closed.Load()
		})
		select {
		case <-s.quit:
			return
		case <-s.procs.kick:
		case <-t.C:
			t.Reset(heartbeatEvery)
		}
	}
}
