package redisstore

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Waiting processes learn of released leases through pub/sub, not polling.
// A process keeps at most one subscription per store and pool, shared by
// every local waiter of that pool and closed when the last one stops.
// Each waiter gets the current "generation" channel, closed by the next
// message; a message therefore wakes every local waiter once, and each tries
// AcquireLease again.

type watchKey struct {
	s       *Store
	channel string
}

type poolWatch struct {
	refs int
	ps   *redis.PubSub
	gen  chan struct{} // closed by the next release message; guarded by watchesMu
}

var (
	watchesMu sync.Mutex
	watches   = map[watchKey]*poolWatch{}
)

// WatchLeases implements runtime.LeaseStore. The returned channel is closed
// by the first release of a lease of pool announced after WatchLeases
// returned. stop must be called once; the subscription ends with the last
// watcher of the pool.
func (s *Store) WatchLeases(ctx context.Context, keyspace, pool string) (<-chan struct{}, func(), error) {
	key := watchKey{s, LeaseChannel(keyspace, pool)}
	watchesMu.Lock()
	defer watchesMu.Unlock()
	w := watches[key]
	if w == nil {
		ps := s.client.Subscribe(ctx, key.channel)
		rctx, cancel := context.WithTimeout(ctx, s.opt.timeout)
		_, err := ps.Receive(rctx) // the subscription's confirmation
		cancel()
		if err != nil {
			ps.Close()
			return nil, nil, unavailable(err)
		}
		w = &poolWatch{ps: ps, gen: make(chan struct{})}
		watches[key] = w
		go w.loop(ps.Channel())
	}
	w.refs++
	gen := w.gen
	var once sync.Once
	stop := func() {
		once.Do(func() {
			watchesMu.Lock()
			defer watchesMu.Unlock()
			if w.refs--; w.refs == 0 {
				delete(watches, key)
				w.ps.Close()
			}
		})
	}
	return gen, stop, nil
}

// loop turns each release message into the closing of a generation.
func (w *poolWatch) loop(msgs <-chan *redis.Message) {
	for range msgs {
		watchesMu.Lock()
		close(w.gen)
		w.gen = make(chan struct{})
		watchesMu.Unlock()
	}
}
