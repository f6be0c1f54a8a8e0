package ratemath

import "time"

// MaxInt64 stands for "unbounded" in wait bounds and expiry times.
const MaxInt64 = 1<<63 - 1

// Micros converts d to whole microseconds, rounding up so that a positive
// duration never becomes 0.
func Micros(d time.Duration) int64 {
	return CeilDiv(int64(d), int64(time.Microsecond))
}

// CeilDiv is ⌈a/b⌉ for b > 0 and any a (Lua: ceil_div).
func CeilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// FloorMod is a mod b in [0, b) for b > 0 (Lua: floor_mod).
func FloorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// FloorDiv is ⌊a/b⌋ for b > 0 and any a (Lua: floor_div).
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
