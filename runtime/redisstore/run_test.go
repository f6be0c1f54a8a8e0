package redisstore

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
)

// TestScriptRunsMatchMemory sends runs of several calls of one algorithm as
// one script run, as the batcher groups them, over a few keys in random
// order: a key repeated within a run goes through the script's state cache
// (read once, written once, decoded in between), a change of key flushes
// it, and a call that repeats the one before it (same key, same time: a hot
// key under load) travels as a repeat mark. Every reply must be the
// in-memory store's decision for the same call at the same time, in the
// same order.
func TestScriptRunsMatchMemory(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	s := New(rdb, WithPipelining(false))
	t.Cleanup(func() {
		s.Close()
		rdb.Close()
	})
	ctx := context.Background()
	limits := []*runtime.Limit{
		{Name: "r.fixed", Algorithm: runtime.FixedWindow, Quota: 3, Duration: 50 * time.Millisecond},
		{Name: "r.sliding", Algorithm: runtime.SlidingWindow, Quota: 3, Duration: 50 * time.Millisecond},
		{Name: "r.token", Algorithm: runtime.TokenBucket, Quota: 4, Duration: 70 * time.Millisecond, Burst: 3},
		{Name: "r.gcra", Algorithm: runtime.GCRA, Quota: 5, Duration: 60 * time.Millisecond, Burst: 2},
		{Name: "r.leaky", Algorithm: runtime.LeakyBucket, Quota: 5, Duration: 60 * time.Millisecond, Bucket: 2},
	}
	keys := []string{"a", "b", "c"}
	for _, l := range limits {
		if err := rdb.ScriptLoad(ctx, algScripts[l.Algorithm].src).Err(); err != nil {
			t.Fatal(err)
		}
		mem := runtime.NewMemoryStore()
		r := rand.New(rand.NewPCG(uint64(l.Algorithm), 7))
		now := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
		admitted, rejected, marks := 0, 0, 0
		for run := 0; run < 60; run++ {
			m := 1 + r.IntN(8)
			b := &batcher{s: s}
			var want []runtime.Decision
			var req *runtime.Request
			for i := range m {
				if i == 0 || r.IntN(3) > 0 {
					if r.IntN(4) > 0 { // else another call at the same time
						now = now.Add(time.Duration(r.IntN(16_000)) * time.Microsecond)
					}
					req = &runtime.Request{Keyspace: "runs", Limits: []*runtime.Limit{l},
						Keys: []string{keys[r.IntN(len(keys))]}, Now: now,
						MaxWait: time.Duration(r.IntN(3)-1) * 20 * time.Millisecond}
				} else {
					marks++ // the same call again
				}
				d, err := mem.Decide(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, d)
				c := s.getCall()
				c.prepare(req, modeDecide, false)
				b.batch = append(b.batch, c)
			}
			b.group()
			if len(b.groups) != 1 {
				t.Fatalf("%v: %d calls made %d script runs, want 1", l.Algorithm, m, len(b.groups))
			}
			if argv, full := b.groups[0].args[len(b.groups[0].args)-1], 8+len(b.batch[0].body)*m; m > 1 && len(argv.(string)) == full {
				for i := 1; i < m; i++ {
					if repeats(b.batch[i], b.batch[i-1]) {
						t.Fatalf("%v run %d: a repeated call was sent in full", l.Algorithm, run)
					}
				}
			}
			reply, err := rdb.Do(ctx, b.groups[0].args...).Text()
			if err != nil {
				t.Fatalf("%v run %d: %v", l.Algorithm, run, err)
			}
			if len(reply) != replySize*m {
				t.Fatalf("%v run %d: reply of %d bytes for %d calls", l.Algorithm, run, len(reply), m)
			}
			for i := range m {
				got, err := parseDecision(reply[replySize*i : replySize*(i+1)])
				if err != nil {
					t.Fatal(err)
				}
				if got != want[i] {
					t.Fatalf("%v run %d call %d (key %s): redis %+v, memory %+v",
						l.Algorithm, run, i, b.batch[i].keys[0], got, want[i])
				}
				if got.Allowed {
					admitted++
				} else {
					rejected++
				}
			}
		}
		if admitted == 0 || rejected == 0 || marks == 0 {
			t.Errorf("%v: %d admitted, %d rejected, %d repeats: not a useful trace", l.Algorithm, admitted, rejected, marks)
		}
	}
}
