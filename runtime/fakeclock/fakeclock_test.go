package fakeclock

import (
	"testing"
	"time"
)

func TestTimersFireInOrderOnAdvance(t *testing.T) {
	c := New(time.Unix(1000, 0))
	a, _ := c.NewTimer(2 * time.Second)
	b, stopB := c.NewTimer(time.Second)
	d, _ := c.NewTimer(3 * time.Second)
	if c.Timers() != 3 {
		t.Fatalf("Timers = %d, want 3", c.Timers())
	}
	c.Advance(1500 * time.Millisecond)
	select {
	case at := <-b:
		if !at.Equal(time.Unix(1001, 0)) {
			t.Fatalf("b fired at %v", at)
		}
	default:
		t.Fatal("b did not fire")
	}
	if stopB() {
		t.Fatal("stopping a fired timer reported true")
	}
	select {
	case <-a:
		t.Fatal("a fired early")
	default:
	}
	c.Advance(time.Second)
	<-a
	if c.Timers() != 1 {
		t.Fatalf("Timers = %d, want 1", c.Timers())
	}
	_ = d
}

func TestStopAndWaitForTimers(t *testing.T) {
	c := New(time.Unix(0, 0))
	go func() { _, _ = c.NewTimer(time.Minute) }()
	if !c.WaitForTimers(1, 5*time.Second) {
		t.Fatal("timer never registered")
	}
	ch, stop := c.NewTimer(time.Second)
	if !stop() {
		t.Fatal("stop of a pending timer reported false")
	}
	c.Advance(time.Hour)
	select {
	case <-ch:
		t.Fatal("stopped timer fired")
	default:
	}
	if c.WaitForTimers(1, 10*time.Millisecond) {
		t.Fatal("no timers should be pending")
	}
	now, _ := c.NewTimer(0)
	<-now
}
