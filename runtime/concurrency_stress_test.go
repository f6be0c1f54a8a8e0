package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrencyStress runs 1,000 goroutines against one limiter with
// consumer and priority quotas, some of them giving up while they wait, and
// checks that capacity and every quota hold at every moment, and that the
// limiter ends empty. Run it with -race.
func TestConcurrencyStress(t *testing.T) {
	const (
		capacity   = 10
		goroutines = 1000
		rounds     = 5
	)
	c := NewConcurrency(ConcurrencySpec{Capacity: capacity, Queue: 50,
		ConsumerQuotas: []Quota{{Fraction: 0.4}, {Name: "c0", Fraction: 0.2}},
		PriorityQuotas: []Quota{{Name: "normal", Fraction: 0.6}, {Fraction: 0.8}}})
	consumerMax := map[string]int32{"c0": 2, "c1": 4, "c2": 4, "c3": 4, "c4": 4}
	prioMax := map[Priority]int32{PriorityNormal: 6, PriorityHigh: 8, PriorityLow: 8}

	var running, maxRunning atomic.Int32
	byConsumer := map[string]*atomic.Int32{}
	for k := range consumerMax {
		byConsumer[k] = new(atomic.Int32)
	}
	byPrio := map[Priority]*atomic.Int32{}
	for k := range prioMax {
		byPrio[k] = new(atomic.Int32)
	}
	var admitted, rejected, cancelled atomic.Int64
	var reasonsMu sync.Mutex
	reasons := map[Reason]int{}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range rounds {
				consumer := fmt.Sprintf("c%d", rng.IntN(5))
				p := []Priority{PriorityHigh, PriorityNormal, PriorityLow}[rng.IntN(3)]
				ctx, cancel := context.WithCancel(context.Background())
				if rng.IntN(10) == 0 {
					cancel() // gives up at once if it has to wait
				}
				s, err := c.AcquirePriority(ctx, consumer, p)
				cancel()
				switch {
				case errors.Is(err, context.Canceled):
					cancelled.Add(1)
					continue
				case err != nil:
					rejected.Add(1)
					reasonsMu.Lock()
					reasons[reasonOf(t, err)]++
					reasonsMu.Unlock()
					continue
				}
				admitted.Add(1)
				n := running.Add(1)
				for {
					m := maxRunning.Load()
					if n <= m || maxRunning.CompareAndSwap(m, n) {
						break
					}
				}
				if n > capacity {
					errs <- fmt.Errorf("%d running, capacity %d", n, capacity)
				}
				if k := byConsumer[consumer].Add(1); k > consumerMax[consumer] {
					errs <- fmt.Errorf("consumer %s runs %d, quota %d", consumer, k, consumerMax[consumer])
				}
				if k := byPrio[p].Add(1); k > prioMax[p] {
					errs <- fmt.Errorf("priority %v runs %d, quota %d", p, k, prioMax[p])
				}
				for range rng.IntN(4) {
					goruntime.Gosched() // let others pile up while the slot is held
				}
				byPrio[p].Add(-1)
				byConsumer[consumer].Add(-1)
				running.Add(-1)
				s.Release()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := c.Stats(); st.Running != 0 || st.Queued != 0 {
		t.Fatalf("limiter not empty at the end: %+v", st)
	}
	if admitted.Load() == 0 {
		t.Fatal("nothing admitted")
	}
	for k, cc := range c.byConsumer {
		if cc.running != 0 {
			t.Errorf("consumer %s: %d running left behind", k, cc.running)
		}
	}
	if c.byPrio != [numPrioClasses]int{} {
		t.Fatalf("priority counts left behind: %v", c.byPrio)
	}
	t.Logf("admitted %d, rejected %d %v, cancelled %d, max running %d",
		admitted.Load(), rejected.Load(), reasons, cancelled.Load(), maxRunning.Load())
}
