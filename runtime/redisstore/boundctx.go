package redisstore

import (
	"context"
	"sync"
	"time"
)

// boundCtx is a reusable context.Context that ends at a deadline: the bound
// of one decision when its caller's context carries neither a deadline nor
// cancellation (context.Background and value-only contexts), so that such a
// decision does not allocate a timer context. It lives in a pooled call and
// is armed and disarmed around each round trip on the caller's goroutine.
type boundCtx struct {
	parent   context.Context
	deadline time.Time
	timer    *time.Timer
	mu       sync.Mutex
	done     chan struct{}
	fired    bool
}

// arm makes c a context of parent that ends after d.
func (c *boundCtx) arm(parent context.Context, d time.Duration) {
	c.parent = parent
	c.deadline = time.Now().Add(d)
	c.mu.Lock()
	if c.done == nil || c.fired {
		c.done, c.fired = make(chan struct{}), false
	}
	c.mu.Unlock()
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.fire)
	} else {
		c.timer.Reset(d)
	}
}

func (c *boundCtx) fire() {
	c.mu.Lock()
	if !c.fired {
		c.fired = true
		close(c.done)
	}
	c.mu.Unlock()
}

// disarm stops c's timer; c may be armed again afterwards.
func (c *boundCtx) disarm() {
	c.timer.Stop() // a timer that fired closed done; arm replaces it
	c.parent = nil
}

func (c *boundCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *boundCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *boundCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fired {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *boundCtx) Value(key any) any {
	if c.parent == nil {
		return nil
	}
	return c.parent.Value(key)
}
