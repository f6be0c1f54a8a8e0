package runtime

import "sort"

// ConcurrencyStats is a snapshot of a concurrency limiter's state.
type ConcurrencyStats struct {
	Name     string // the pool's identity
	Capacity int
	Running  int // calls holding a slot in this process
	Queued   int // calls of this process waiting for a slot
}

// Stats returns a snapshot of the limiter's state in this process.
func (c *Concurrency) Stats() ConcurrencyStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := ConcurrencyStats{Name: c.spec.Name, Capacity: c.set.Load().capacity, Running: c.running, Queued: c.queue.n}
	if c.global != nil {
		s.Running += c.global.held
		s.Queued += c.global.waiting
	}
	return s
}

// AllConcurrencyStats returns a snapshot of every named concurrency limiter
// of the process, ordered by name. Metrics exporters (runtime/promhook) read
// it to publish gauges of running and queued calls.
func AllConcurrencyStats() []ConcurrencyStats {
	poolsMu.Lock()
	cs := make([]*Concurrency, 0, len(pools))
	for _, c := range pools {
		cs = append(cs, c)
	}
	poolsMu.Unlock()
	sort.Slice(cs, func(i, j int) bool { return cs[i].spec.Name < cs[j].spec.Name })
	out := make([]ConcurrencyStats, len(cs))
	for i, c := range cs {
		out[i] = c.Stats()
	}
	return out
}
