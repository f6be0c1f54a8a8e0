package charts

import "time"

// Phase is one stretch of the trace, with a steady average arrival rate.
type Phase struct {
	Name      string
	From, To  time.Duration // offsets from the trace's start
	PerSecond int           // average arrivals per second
}

// Phases is the trace: quiet, a burst straddling a window boundary, quiet,
// steady overload at twice the limit, quiet.
var Phases = []Phase{
	{Name: "quiet", From: 0, To: 2600 * time.Millisecond, PerSecond: 4},
	{Name: "burst", From: 2600 * time.Millisecond, To: 3400 * time.Millisecond, PerSecond: 50},
	{Name: "quiet", From: 3400 * time.Millisecond, To: 4500 * time.Millisecond, PerSecond: 4},
	{Name: "overload", From: 4500 * time.Millisecond, To: 9 * time.Second, PerSecond: 20},
	{Name: "quiet", From: 9 * time.Second, To: 12 * time.Second, PerSecond: 4},
}

// Span is the length of the trace.
const Span = 12 * time.Second

// Start is the trace's first instant: a whole second (and minute) since the
// Unix epoch, so fixed windows of one second start at offsets 0s, 1s, 2s...
var Start = time.Unix(1_767_225_600, 0).UTC() // 2026-01-01T00:00:00Z

// Arrivals returns the offsets from Start at which calls arrive, in
// increasing order. Within a phase, calls are evenly spaced and then moved
// by a reproducible jitter of less than half the spacing, so the order
// never changes and no two calls share an instant.
func Arrivals() []time.Duration {
	var out []time.Duration
	rng := splitmix(0x7468726f74746c65) // "throttle"
	for _, ph := range Phases {
		n := int64(ph.PerSecond) * int64(ph.To-ph.From) / int64(time.Second)
		if n <= 0 {
			continue
		}
		step := int64(ph.To-ph.From) / n // ns between calls
		for i := range n {
			// jitter in [-0.4, 0.4) of step, from 1000 integer levels
			j := int64(rng.next()%800) - 400
			at := int64(ph.From) + i*step + step/2 + j*step/1000
			// whole microseconds: the runtime decides in µs
			at -= at % int64(time.Microsecond)
			out = append(out, time.Duration(at))
		}
	}
	return out
}

// splitmix is SplitMix64, a tiny generator whose sequence is fixed by its
// seed on every platform (unlike math/rand, whose algorithms may change).
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
