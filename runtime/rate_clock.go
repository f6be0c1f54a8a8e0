package runtime

import "time"

// monoBase anchors nowMicros: the wall time at start-up, with its monotonic
// reading. time.Since(monoBase) reads only the monotonic clock, which is
// cheaper than time.Now and never jumps when the wall clock is set.
var (
	monoBase       = time.Now()
	monoBaseMicros = monoBase.UnixMicro()
)

// nowMicros returns the time in µs since the Unix epoch as clk tells it.
// For SystemClock it is the start-up wall time advanced by the monotonic
// clock.
func nowMicros(clk Clock) int64 {
	if clk == SystemClock {
		return monoBaseMicros + int64(time.Since(monoBase)/time.Microsecond)
	}
	return clk.Now().UnixMicro()
}
