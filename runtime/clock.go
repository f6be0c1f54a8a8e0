package runtime

import "time"

// Clock is the runtime's source of time. SystemClock is the real one; tests
// pass a fake through WithClock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a channel that receives once d has passed, and a
	// function that stops the timer (reporting whether it stopped it before
	// it fired).
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
