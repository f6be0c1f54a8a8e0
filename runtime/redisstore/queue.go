package redisstore

import "time"

// The queue between callers and batchers. A caller appends its call to
// Store.pending and blocks on the call's channel alone: no timer and no
// select per decision. A batcher takes what is pending (up to MaxBatch) and
// publishes it as its flight while the round trip lasts. The watchdog, a
// goroutine that runs only while calls are queued, looks at both every
// timeout/8 and hands each call past its due time back to its caller as
// timed out (callExpired). Such a call may still be in a batcher's hands, so
// nobody recycles it.

// monoBase anchors monoNanos.
var monoBase = time.Now()

// monoNanos reads the monotonic clock.
func monoNanos() int64 { return int64(time.Since(monoBase)) }

// enqueue hands c to the batchers; false when the store is closing.
func (s *Store) enqueue(c *call) bool {
	if s.queued.Add(1) == 1 {
		signal(s.kick)
	}
	due := monoNanos() + int64(s.opt.timeout)
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		s.queued.Add(-1)
		return false
	}
	c.due = due
	s.pending = append(s.pending, c)
	first := len(s.pending) == 1
	s.mu.Unlock()
	if first {
		signal(s.wake)
	}
	return true
}

// signal makes a pending receive on ch (of capacity 1) succeed.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// watch is the watchdog: asleep while nothing is queued, otherwise it times
// out overdue calls every tick.
func (s *Store) watch() {
	defer s.wdWG.Done()
	tick := max(s.opt.timeout/8, time.Millisecond)
	t := time.NewTimer(tick)
	t.Stop()
	for {
		select {
		case <-s.kick:
		case <-s.stopWD:
			return
		}
		for s.queued.Load() > 0 {
			t.Reset(tick)
			select {
			case <-t.C:
			case <-s.stopWD:
				t.Stop()
				return
			}
			s.expire(monoNanos())
		}
	}
}

// expire times out every queued or flying call due by now.
func (s *Store) expire(now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	expireCalls(s.pending, now)
	for _, b := range s.batchers {
		expireCalls(b.flight, now)
	}
}

func expireCalls(calls []*call, now int64) {
	for _, c := range calls {
		if now >= c.due && c.state.CompareAndSwap(callPending, callExpired) {
			c.done <- struct{}{}
		}
	}
}
