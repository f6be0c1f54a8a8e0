package runtime

import (
	"math/rand/v2"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// mustParams derives l's parameters, which the test knows to be valid.
func mustParams(l *Limit) ratemath.Params {
	p, err := limitParams(l)
	if err != nil {
		panic(err)
	}
	return p
}

// TestTakeGCRAMatchesGCRA checks the hot-path specialisation against gcra,
// in both of its modes (lock-free and serial, chosen at random per step).
func TestTakeGCRAMatchesGCRA(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trace := 0; trace < 200; trace++ {
		l := &Limit{Algorithm: GCRA, Quota: 1 + rng.Int64N(5), Duration: time.Duration(1000 * (1 + rng.Int64N(40))),
			Burst: rng.Int64N(6), Bucket: rng.Int64N(4)}
		if rng.IntN(2) == 0 { // also the case where Q divides D
			l.Duration = 1000 * time.Duration(l.Quota*(1+rng.Int64N(8)))
		}
		p := mustParams(l)
		var slot oneSlot
		var st ratemath.State // gcra's own decisions, for comparison
		fresh := true
		now := int64(1_700_000_000_000_000)
		clk := fakeclock.New(time.UnixMicro(now))
		res := &rateRes{cfg: &config{clock: clk}}
		for step := 0; step < 50; step++ {
			d := rng.Int64N(2 * p.Interval)
			now += d
			clk.Advance(time.Duration(d) * time.Microsecond)
			serial := rng.IntN(2) == 0
			if serial {
				slot.serialLeft.Store(2)
			} else {
				slot.serialLeft.Store(0)
			}
			next, o := p.Algo.Decide(&p, st, fresh, now, 0, 1)
			if o.Allowed {
				st, fresh = next, false
			}
			if ra := slot.takeGCRA(&p, res, 1); (ra == 0) != o.Allowed || ra != o.RetryAfter {
				t.Fatalf("%+v step %d (serial %v): takeGCRA %d, gcra %+v", p, step, serial, ra, o)
			}
			if left := slot.serialLeft.Load(); serial && left != 1 || !serial && left != 0 {
				t.Fatalf("serial mode (%v) left %d decisions", serial, left)
			}
		}
	}
}

// TestTakeGCRATurnsSerialOnContention: a failed swap sends the slot into
// serial mode for serialSpan decisions, and it returns to lock-free after.
func TestTakeGCRATurnsSerialOnContention(t *testing.T) {
	p := mustParams(&Limit{Algorithm: GCRA, Quota: 1 << 30, Duration: time.Second})
	clk := fakeclock.New(time.UnixMicro(1_700_000_000_000_000))
	res := &rateRes{cfg: &config{clock: clk}}
	var slot oneSlot
	slot.word.Store(lockedWord) // a multi-limit decision holds the word
	done := make(chan int64)
	go func() { done <- slot.takeGCRA(&p, res, 1) }()
	for slot.serialLeft.Load() == 0 {
		goruntime.Gosched()
	}
	slot.word.Store(0)
	if ra := <-done; ra != 0 {
		t.Fatalf("takeGCRA after the word was released: RetryAfter %d, want admitted", ra)
	}
	if left := slot.serialLeft.Load(); left != serialSpan-1 {
		t.Fatalf("serial decisions left %d, want %d", left, serialSpan-1)
	}
	for range serialSpan - 1 {
		if ra := slot.takeGCRA(&p, res, 1); ra != 0 {
			t.Fatalf("RetryAfter %d, want admitted", ra)
		}
	}
	if left := slot.serialLeft.Load(); left != 0 {
		t.Fatalf("serial decisions left %d after the span, want 0", left)
	}
}
