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
	"time"
)

// TestGlobalStress runs 1,000 goroutines over three limiters of one global
// pool (three "processes" sharing a store), with consumer quotas, waiting,
// and callers that give up; capacity and quotas must hold throughout, and at
// the end no lease, waiter or dispatcher may be left.
func TestGlobalStress(t *testing.T) {
	const capacity = 8
	m := newMemLeases()
	useConfig(t, WithStore(m))
	spec := ConcurrencySpec{Name: "test/global/stress", Capacity: capacity, Queue: 300, Scope: ScopeGlobal,
		ConsumerQuotas: []Quota{{Fraction: 0.25}}}
	// Three limiters of one pool, bypassing the process's registry: three
	// processes sharing a store.
	lims := []*Concurrency{newConcurrency(spec), newConcurrency(spec), newConcurrency(spec)}

	var running atomic.Int32
	var byConsumer [16]atomic.Int32
	var admitted, rejected, gaveUp atomic.Int64
	var reasons [ReasonDeadline + 1]atomic.Int64
	errs := make(chan error, 100)
	var wg sync.WaitGroup
	for g := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 11))
			lim := lims[g%3]
			for range 3 {
				ci := rng.IntN(16)
				ctx, cancel := context.WithCancel(context.Background())
				if rng.IntN(8) == 0 {
					d := time.Duration(rng.IntN(500)) * time.Microsecond
					go func() { time.Sleep(d); cancel() }()
				}
				s, err := lim.Acquire(ctx, fmt.Sprint("c", ci))
				cancel()
				if err != nil {
					if errors.Is(err, context.Canceled) {
						gaveUp.Add(1)
					} else {
						reasons[reasonOf(t, err)].Add(1)
						rejected.Add(1)
					}
					continue
				}
				admitted.Add(1)
				if n := running.Add(1); n > capacity {
					select {
					case errs <- fmt.Errorf("%d running, capacity %d", n, capacity):
					default:
					}
				}
				if n := byConsumer[ci].Add(1); n > 2 {
					select {
					case errs <- fmt.Errorf("consumer c%d runs %d, quota 2", ci, n):
					default:
					}
				}
				goruntime.Gosched()
				byConsumer[ci].Add(-1)
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
	if n := m.held(); n != 0 {
		t.Fatalf("%d leases left", n)
	}
	for i, lim := range lims {
		waitFor(t, "the dispatchers to stop", func() bool {
			lim.mu.Lock()
			defer lim.mu.Unlock()
			return !lim.global.dispatching
		})
		if st := lim.Stats(); st.Running != 0 || st.Queued != 0 {
			t.Fatalf("limiter %d: %+v", i, st)
		}
	}
	if admitted.Load() == 0 {
		t.Fatal("nothing admitted")
	}
	t.Logf("admitted %d, rejected %d (full queue %d, consumer quota %d, deadline %d), gave up %d",
		admitted.Load(), rejected.Load(), reasons[ReasonFullQueue].Load(), reasons[ReasonConsumerQuota].Load(),
		reasons[ReasonDeadline].Load(), gaveUp.Load())
}
