package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
)

// TestEveryKeyHasTTL decides with the server's clock (no Request.Now) on
// every algorithm, alone and together, with reservations and cancels, and
// then requires a TTL on every key, none longer than the limit's duration
// times its burst or bucket (when the state is fresh again).
func TestEveryKeyHasTTL(t *testing.T) {
	s, srv := newStore(t)
	ctx := context.Background()
	limits := []*runtime.Limit{
		{Name: "ttl.fixed", Algorithm: runtime.FixedWindow, Quota: 2, Duration: 10 * time.Second},
		{Name: "ttl.sliding", Algorithm: runtime.SlidingWindow, Quota: 2, Duration: 10 * time.Second},
		{Name: "ttl.token", Algorithm: runtime.TokenBucket, Quota: 2, Duration: 10 * time.Second},
		{Name: "ttl.gcra", Algorithm: runtime.GCRA, Quota: 2, Duration: 10 * time.Second},
		{Name: "ttl.leaky", Algorithm: runtime.LeakyBucket, Quota: 2, Duration: 10 * time.Second, Bucket: 3},
	}
	for i := 0; i < 4; i++ {
		for _, l := range limits {
			req := &runtime.Request{Keyspace: "ttl", Limits: []*runtime.Limit{l}, Keys: []string{"k" + strconv.Itoa(i%2)}, MaxWait: -1}
			d, err := s.Decide(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Delay > 0 && i == 3 {
				if err := s.Cancel(ctx, req); err != nil {
					t.Fatal(err)
				}
			}
		}
		req := &runtime.Request{Keyspace: "ttl", Limits: limits, Keys: []string{"a", "b", "c", "d", "e"}, MaxWait: -1}
		if _, err := s.Decide(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	assertTTLs(t, srv.Addr())
	// The longest any state needs: a token bucket emptied by reservations
	// refills in (burst + reservations)·d/q; 4 calls of quota 2 per 10s
	// is 20s; a leaky bucket with 3 waiting is 4·5s.
	out, err := redistest.Do(srv.Addr(), "EVAL", `
		local most = 0
		local r = redis.call('SCAN', '0', 'COUNT', 1000)
		for _, k in ipairs(r[2]) do most = math.max(most, redis.call('PTTL', k)) end
		return most`, "0")
	if err != nil {
		t.Fatal(err)
	}
	if ms, _ := strconv.Atoi(out); ms <= 0 || ms > 25000 {
		t.Fatalf("longest TTL %sms, want within (0, 25s]", out)
	}
}

// TestClear removes one keyspace's keys with SCAN and UNLINK and leaves
// keys of other keyspaces, including ones that share its prefix, alone.
func TestClear(t *testing.T) {
	s, srv := newStore(t)
	ctx := context.Background()
	l := &runtime.Limit{Name: "clear", Algorithm: runtime.GCRA, Quota: 5, Duration: time.Hour}
	for _, ks := range []string{"app", "app:2", "app*", "other"} {
		for i := 0; i < 1500; i++ {
			if _, err := s.Decide(ctx, &runtime.Request{Keyspace: ks, Limits: []*runtime.Limit{l}, Keys: []string{strconv.Itoa(i)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Clear(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if n, _ := redistest.Do(srv.Addr(), "DBSIZE"); n != "4500" {
		t.Fatalf("DBSIZE after Clear(app) = %s, want 4500", n)
	}
	if err := s.Clear(ctx, "app*"); err != nil {
		t.Fatal(err)
	}
	if n, _ := redistest.Do(srv.Addr(), "DBSIZE"); n != "3000" {
		t.Fatalf("DBSIZE after Clear(app*) = %s, want 3000 (a glob keyspace must match itself only)", n)
	}
}
