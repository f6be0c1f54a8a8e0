package runtime

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestMemoryPerCallLimitsDoNotGrow: a new *Limit on every call (per-call
// values) shares one table per identity and keeps nothing per *Limit.
func TestMemoryPerCallLimitsDoNotGrow(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	admitted := 0
	for i := range 2000 {
		l := &Limit{Name: "percall", Algorithm: FixedWindow, Quota: int64(1 + i%7), Duration: time.Hour}
		d, err := s.Decide(ctx, &Request{Limits: []*Limit{l}, Keys: []string{"k"}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			admitted++
		}
	}
	n := 0
	s.byID.Range(func(any, any) bool { n++; return true })
	if len(s.tables) != 1 || n != 1 {
		t.Fatalf("%d tables, %d cached: want 1 of each", len(s.tables), n)
	}
	if admitted != 7 { // one window: as many units as the largest quota seen
		t.Fatalf("admitted %d calls, want 7", admitted)
	}
}

// TestMemoryInvalidCost: a negative cost is an error wrapping
// ErrInvalidCost, not a rejection; a Costs of the wrong length is an error.
func TestMemoryInvalidCost(t *testing.T) {
	s := NewMemoryStore()
	l := &Limit{Name: "cost", Algorithm: GCRA, Quota: 1, Duration: time.Second}
	_, err := s.Decide(context.Background(), &Request{Limits: []*Limit{l}, Keys: []string{""}, Costs: []int64{-1}})
	if !errors.Is(err, ErrInvalidCost) || errors.Is(err, ErrThrottled) {
		t.Fatalf("cost -1: %v", err)
	}
	if _, err := s.Decide(context.Background(), &Request{Limits: []*Limit{l}, Keys: []string{""}, Costs: []int64{1, 1}}); err == nil {
		t.Fatal("two costs for one limit: no error")
	}
}
