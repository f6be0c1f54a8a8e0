package ratemath

import "testing"

func TestSlidingLogRemove(t *testing.T) {
	var l Log
	for _, v := range []int64{1, 2, 2, 3, 5} {
		l.Push(v, 1, 10)
	}
	l.Remove(2, 1)
	l.Remove(4, 1) // absent: nothing changes
	want := []int64{1, 2, 3, 5}
	if l.n != len(want) {
		t.Fatalf("n = %d, want %d", l.n, len(want))
	}
	for i, w := range want {
		if l.at(i).t != w {
			t.Fatalf("entry %d = %d, want %d", i, l.at(i), w)
		}
	}
}
