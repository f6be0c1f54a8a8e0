// Package fakeclock provides a runtime.Clock that moves only when told to,
// so tests of timing behaviour are deterministic.
//
// A test installs it with runtime.WithClock, and restores the clock it found
// with runtime.SaveConfig:
//
//	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
//	t.Cleanup(runtime.SaveConfig())
//	runtime.Configure(runtime.WithClock(clk), runtime.WithStore(runtime.NewMemoryStore()))
//	// … a call is rejected with RetryAfter 1m …
//	clk.Advance(time.Minute) // … and admitted again
//
// Everything the runtime times then reads it: rate limits decided in memory,
// waits for permission, max_wait, timeouts, retry back-offs and cache
// expiry. A store that decides elsewhere (runtime/redisstore) keeps its own
// clock. Goroutines waiting on the clock start waiting asynchronously: use
// WaitForTimers before Advance to know that they have.
//
// A Clock is safe for concurrent use: goroutines may wait on its timers while
// the test goroutine advances it.
package fakeclock

import (
	"sort"
	"sync"
	"time"
)

// Clock is a manually driven clock. The zero value is not usable; call New.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced whenever the set of timers changes
}

type timer struct {
	at      time.Time
	ch      chan time.Time
	stopped bool
}

// New returns a clock reading start.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a channel that receives once the clock has been advanced
// by d, and a function that stops the timer. A timer of d <= 0 fires at once.
func (c *Clock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t.ch, func() bool { return false }
	}
	c.timers = append(c.timers, t)
	c.notifyLocked()
	return t.ch, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.timers {
			if x == t {
				c.timers = append(c.timers[:i], c.timers[i+1:]...)
				t.stopped = true
				c.notifyLocked()
				return true
			}
		}
		return false
	}
}

// Advance moves the clock forward by d, firing, in time order, every timer
// that comes due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- t.at
			continue
		}
		kept = append(kept, t)
	}
	for i := len(kept); i < len(c.timers); i++ {
		c.timers[i] = nil
	}
	c.timers = kept
	c.notifyLocked()
}

// Set moves the clock to t (forward only) and fires what comes due.
func (c *Clock) Set(t time.Time) {
	if d := t.Sub(c.Now()); d > 0 {
		c.Advance(d)
	}
}

// Timers returns how many timers are pending.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitForTimers blocks until at least n timers are pending or timeout (real
// time) passes, and reports whether they are. Tests use it to know that the
// goroutines under test have started waiting before advancing the clock.
func (c *Clock) WaitForTimers(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if len(c.timers) >= n {
			c.mu.Unlock()
			return true
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}
