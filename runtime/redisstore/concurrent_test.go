package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// TestHotKey64: 64 goroutines hammer one key; no decision errors, and
// exactly the burst is admitted (the refill is too slow to matter). The
// batcher coalesces these calls into shared script runs.
func TestHotKey64(t *testing.T) {
	s, _ := newStore(t)
	for _, alg := range []runtime.Algorithm{runtime.GCRA, runtime.TokenBucket, runtime.SlidingWindow, runtime.FixedWindow} {
		t.Run(alg.String(), func(t *testing.T) {
			l := &runtime.Limit{Name: "hot", Algorithm: alg, Quota: 1, Duration: time.Hour, Burst: 500}
			if alg == runtime.SlidingWindow || alg == runtime.FixedWindow {
				l = &runtime.Limit{Name: "hot", Algorithm: alg, Quota: 500, Duration: 1000 * time.Hour}
			}
			req := &runtime.Request{Keyspace: "hot64", Limits: []*runtime.Limit{l}, Keys: []string{"k"}}
			var admitted, errs atomic.Int64
			var wg sync.WaitGroup
			for g := 0; g < 64; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 30; i++ {
						d, err := s.Decide(context.Background(), req)
						if err != nil {
							errs.Add(1)
						} else if d.Allowed {
							admitted.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			if errs.Load() != 0 || admitted.Load() != 500 {
				t.Fatalf("%d errors, %d admitted; want 0 errors and exactly 500 admitted", errs.Load(), admitted.Load())
			}
		})
	}
	if st := s.Stats(); st.Batched <= st.Pipelines {
		t.Logf("stats %+v: no call was coalesced", st)
	}
}

// TestConcurrentTraces: 32 goroutines each run their own random trace (own
// key, own Request.Now sequence) at once, so that the batcher coalesces
// calls of different traces into one script run; every decision must still
// be the in-memory store's.
func TestConcurrentTraces(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	limits := []*runtime.Limit{
		{Name: "c.gcra", Algorithm: runtime.GCRA, Quota: 3, Duration: 100 * time.Millisecond, Burst: 2},
		{Name: "c.fixed", Algorithm: runtime.FixedWindow, Quota: 2, Duration: 70 * time.Millisecond},
		{Name: "c.sliding", Algorithm: runtime.SlidingWindow, Quota: 2, Duration: 90 * time.Millisecond},
		{Name: "c.token", Algorithm: runtime.TokenBucket, Quota: 4, Duration: 130 * time.Millisecond},
		{Name: "c.leaky", Algorithm: runtime.LeakyBucket, Quota: 5, Duration: 100 * time.Millisecond, Bucket: 2},
	}
	var wg sync.WaitGroup
	errc := make(chan error, 32)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One in-memory store per trace: its idle-key sweeping reads
			// each decision's time, and the traces' times interleave.
			mem := runtime.NewMemoryStore()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			key := fmt.Sprintf("trace-%d", g)
			now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
			for step := 0; step < 150; step++ {
				now = now.Add(time.Duration(r.IntN(30_000)) * time.Microsecond)
				req := &runtime.Request{Keyspace: "ct", Now: now, MaxWait: time.Duration(r.IntN(3)-1) * 20 * time.Millisecond}
				if g%2 == 0 {
					l := limits[r.IntN(len(limits))]
					req.Limits, req.Keys = []*runtime.Limit{l}, []string{key}
				} else {
					req.Limits, req.Keys = limits[:2], []string{key, key}
				}
				want, err := mem.Decide(ctx, req)
				if err != nil {
					errc <- err
					return
				}
				got, err := s.Decide(ctx, req)
				if err != nil {
					errc <- err
					return
				}
				if got != want {
					errc <- fmt.Errorf("trace %d step %d: redis %+v, memory %+v", g, step, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	st := s.Stats()
	t.Logf("%d calls in %d round trips", st.Batched, st.Pipelines)
}
