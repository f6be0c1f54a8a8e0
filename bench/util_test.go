package bench

import "sync/atomic"

// atomicCounter hands each parallel goroutine its own starting offset, so
// that goroutines do not walk the key list in lockstep.
type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) start(n int) int {
	return int(c.n.Add(7919)) % n
}
