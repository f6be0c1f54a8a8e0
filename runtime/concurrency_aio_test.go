package runtime

import (
	"context"
	"fmt"
	"testing"
)

// The tables of aio-throttle's own test suite, run against Concurrency. Calls
// arrive in order and hold their slots until every call has been decided.

func TestAioPriorityQuotaTable(t *testing.T) {
	for _, tc := range []struct {
		normalF, highF     float64
		normalOK, normalNo int
		highOK, highNo     int
	}{
		{0.25, 0.75, 1, 3, 3, 1},
		{0.50, 0.50, 2, 2, 2, 2},
		{0.75, 0.25, 3, 1, 1, 3},
	} {
		t.Run(fmt.Sprint(tc.normalF, "/", tc.highF), func(t *testing.T) {
			c := NewConcurrency(ConcurrencySpec{Capacity: 4, PriorityQuotas: []Quota{
				{Name: "normal", Fraction: tc.normalF}, {Name: "high", Fraction: tc.highF}}})
			var held []Slot
			count := func(p Priority, n int) (ok, no int) {
				for range n {
					s, err := c.AcquirePriority(context.Background(), "", p)
					if err != nil {
						no++
						continue
					}
					ok++
					held = append(held, s)
				}
				return ok, no
			}
			nOK, nNo := count(PriorityNormal, tc.normalOK+tc.normalNo)
			hOK, hNo := count(PriorityHigh, tc.highOK+tc.highNo)
			for _, s := range held {
				s.Release()
			}
			if nOK != tc.normalOK || nNo != tc.normalNo || hOK != tc.highOK || hNo != tc.highNo {
				t.Fatalf("normal %d/%d high %d/%d; want %d/%d %d/%d", nOK, nNo, hOK, hNo,
					tc.normalOK, tc.normalNo, tc.highOK, tc.highNo)
			}
		})
	}
}

func TestAioLowPriorityQueueingTable(t *testing.T) {
	// Low calls may wait when nobody else waits; behind a waiter they fail.
	for _, tc := range []struct{ capacity, queue, ok, no int }{
		{1, 1, 2, 0}, {1, 2, 2, 1}, {1, 2, 2, 2}, {2, 3, 3, 2},
	} {
		t.Run(fmt.Sprintf("cap%d_queue%d", tc.capacity, tc.queue), func(t *testing.T) {
			c := NewConcurrency(ConcurrencySpec{Capacity: tc.capacity, Queue: tc.queue})
			out := make(chan result, tc.ok+tc.no)
			var held []Slot
			no, waiting := 0, 0
			for i := range tc.ok + tc.no {
				if c.Stats().Running < tc.capacity {
					s, err := c.AcquirePriority(context.Background(), "", PriorityLow)
					if err != nil {
						t.Fatal(err)
					}
					held = append(held, s)
					continue
				}
				if waiting == 0 {
					goAcquire(t, c, context.Background(), fmt.Sprint(i), "", PriorityLow, out)
					waiting++
					continue
				}
				if _, err := c.AcquirePriority(context.Background(), "", PriorityLow); reasonOf(t, err) != ReasonFullQueue {
					t.Fatalf("low call %d behind a waiter: %v", i, err)
				}
				no++
			}
			ok := len(held)
			for _, s := range held {
				s.Release()
			}
			for range waiting {
				r := <-out
				if r.err != nil {
					t.Fatal(r.err)
				}
				ok++
				r.slot.Release()
			}
			if ok != tc.ok || no != tc.no {
				t.Fatalf("%d succeeded, %d failed; want %d, %d", ok, no, tc.ok, tc.no)
			}
		})
	}
}
