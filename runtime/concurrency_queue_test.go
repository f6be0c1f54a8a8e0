package runtime

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestWaitListUnpopKeepsArrivalOrder: a waiter the global dispatcher took
// out to try, and puts back because the pool was full, goes back behind
// the waiters that arrived meanwhile under LIFO (they are newer), and
// first under FIFO.
func TestWaitListUnpopKeepsArrivalOrder(t *testing.T) {
	for _, tc := range []struct {
		o    Order
		want []string
	}{{LIFO, []string{"w3", "w2", "w1"}}, {FIFO, []string{"w1", "w2", "w3"}}} {
		var l waitList
		w1, w2, w3 := &waiter{consumer: "w1"}, &waiter{consumer: "w2"}, &waiter{consumer: "w3"}
		l.push(w1)
		tried := l.pop(tc.o) // w1, out of the list while the store answers
		l.push(w2)           // meanwhile
		l.push(w3)
		l.unpop(tried, tc.o)
		var got []string
		for l.n > 0 {
			got = append(got, l.pop(tc.o).consumer)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: served %v, want %v", tc.o, got, tc.want)
		}
	}
}

// TestWaitListModel runs random pushes, pops, put-backs and removals
// against a slice kept in arrival order, checking the list both ways after
// every step.
func TestWaitListModel(t *testing.T) {
	for _, o := range []Order{LIFO, FIFO} {
		rng := rand.New(rand.NewPCG(1, uint64(o)))
		var l waitList
		var model []*waiter // arrival order
		var out []*waiter   // popped, not yet put back
		for step := range 5000 {
			switch op := rng.IntN(4); {
			case op == 0 || len(model) == 0 && len(out) == 0:
				w := &waiter{}
				l.push(w)
				model = append(model, w)
			case op == 1 && len(model) > 0:
				w := l.pop(o)
				want := model[len(model)-1]
				if o == FIFO {
					want = model[0]
				}
				if w != want {
					t.Fatalf("%v step %d: pop returned seq %d, want %d", o, step, w.seq, want.seq)
				}
				model = slices.DeleteFunc(model, func(x *waiter) bool { return x == w })
				out = append(out, w)
			case op == 2 && len(out) > 0:
				i := rng.IntN(len(out))
				w := out[i]
				out = slices.Delete(out, i, i+1)
				l.unpop(w, o)
				at, _ := slices.BinarySearchFunc(model, w.seq, func(x *waiter, seq uint64) int {
					return cmpSeq(x.seq, seq)
				})
				model = slices.Insert(model, at, w)
			case op == 3 && len(model) > 0:
				w := model[rng.IntN(len(model))]
				if !l.remove(w) || l.remove(w) {
					t.Fatalf("%v step %d: remove of a queued waiter", o, step)
				}
				model = slices.DeleteFunc(model, func(x *waiter) bool { return x == w })
			}
			checkWaitList(t, &l, model)
		}
	}
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkWaitList(t *testing.T, l *waitList, model []*waiter) {
	t.Helper()
	if l.n != len(model) {
		t.Fatalf("n = %d, want %d", l.n, len(model))
	}
	var fwd, back []*waiter
	for w := l.head; w != nil; w = w.next {
		fwd = append(fwd, w)
	}
	for w := l.tail; w != nil; w = w.prev {
		back = append(back, w)
	}
	slices.Reverse(back)
	if !slices.Equal(fwd, model) || !slices.Equal(back, model) {
		t.Fatalf("list forward %v, backward %v, want %v", seqs(fwd), seqs(back), seqs(model))
	}
}

func seqs(ws []*waiter) []uint64 {
	s := make([]uint64, len(ws))
	for i, w := range ws {
		s[i] = w.seq
	}
	return s
}
