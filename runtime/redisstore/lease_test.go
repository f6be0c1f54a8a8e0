package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

func lease(id, consumer, prio string) *runtime.LeaseRequest {
	return &runtime.LeaseRequest{Keyspace: "lt", Pool: "pool/x", ID: id, Consumer: consumer, Priority: prio,
		Capacity: 4, ConsumerMax: 2, PriorityMax: 3, TTL: 10 * time.Second}
}

func TestLeaseQuotasAndCapacity(t *testing.T) {
	s, _ := newStore(t, slowOK)
	ctx := context.Background()
	for _, tc := range []struct {
		req  *runtime.LeaseRequest
		want runtime.Reason
	}{
		{lease("1", "a", "normal"), 0},
		{lease("2", "a", "normal"), 0},
		{lease("3", "a", "high"), runtime.ReasonConsumerQuota},
		{lease("4", "b", "normal"), 0},
		{lease("5", "b", "normal"), runtime.ReasonPriorityQuota}, // checked before the consumer's
		{lease("6", "b", "high"), 0},
		{lease("7", "c", "high"), runtime.ReasonFullQueue},
	} {
		res, err := s.AcquireLease(ctx, tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != tc.want {
			t.Fatalf("lease %s: %v, want %v", tc.req.ID, res.Reason, tc.want)
		}
		if tc.want == runtime.ReasonFullQueue && (res.RetryIn <= 0 || res.RetryIn > 10*time.Second) {
			t.Fatalf("RetryIn %v, want the time to the earliest expiry", res.RetryIn)
		}
	}
	if err := s.ReleaseLease(ctx, lease("1", "a", "normal")); err != nil {
		t.Fatal(err)
	}
	// One slot, one of a's, one of normal's are free again.
	if res, _ := s.AcquireLease(ctx, lease("8", "a", "normal")); res.Reason != 0 {
		t.Fatalf("after a release: %v", res.Reason)
	}
	// Releasing twice, or a lease never taken, changes nothing.
	if err := s.ReleaseLease(ctx, lease("1", "a", "normal")); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.AcquireLease(ctx, lease("9", "d", "low")); res.Reason != runtime.ReasonFullQueue {
		t.Fatalf("pool over capacity after a double release: %v", res.Reason)
	}
}

// TestLeaseExpiresUnlessRenewed: of two leases, the one renewed every
// 50 ms or so stays while the other expires. Their TTL, 2 s, leaves room
// for a busy machine between two renewals; the leases that probe the pool
// live 10 s, so that they cannot expire before they are counted.
func TestLeaseExpiresUnlessRenewed(t *testing.T) {
	s, srv := newStore(t, slowOK)
	ctx := context.Background()
	short := func(id, consumer string, ttl time.Duration) *runtime.LeaseRequest {
		r := lease(id, consumer, "none")
		r.Capacity, r.ConsumerMax, r.PriorityMax, r.TTL = 2, -1, -1, ttl
		return r
	}
	const ttl, probeTTL = 2 * time.Second, 10 * time.Second
	kept, dropped := short("kept", "a", ttl), short("dropped", "b", ttl)
	for _, r := range []*runtime.LeaseRequest{kept, dropped} {
		if res, err := s.AcquireLease(ctx, r); err != nil || res.Reason != 0 {
			t.Fatal(res, err)
		}
	}
	// Renew one lease until the other has surely expired.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.RenewLeases(ctx, []*runtime.LeaseRequest{kept}); err != nil {
			t.Fatal(err)
		}
		res, err := s.AcquireLease(ctx, short("new", "c", probeTTL))
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unrenewed lease never expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// kept is alive: the pool is full again.
	if err := s.RenewLeases(ctx, []*runtime.LeaseRequest{kept}); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.AcquireLease(ctx, short("more", "d", probeTTL)); res.Reason != runtime.ReasonFullQueue {
		t.Fatalf("renewed lease lost: %v", res.Reason)
	}
	// Renewing an expired lease does not revive it.
	if err := s.RenewLeases(ctx, []*runtime.LeaseRequest{dropped}); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "lt:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	tag := ""
	for _, k := range keys {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %s has no TTL (%v)", k, ttl)
		}
		if strings.Count(k, "{") != 1 {
			t.Fatalf("key %s", k)
		}
		kt := k[strings.Index(k, "{"):strings.Index(k, "}")]
		if tag != "" && kt != tag {
			t.Errorf("keys of one pool in two slots: %s and %s", tag, kt)
		}
		tag = kt
		if n, _ := rdb.ZScore(ctx, k, "dropped").Result(); n > 0 && !strings.HasSuffix(k, ":c:1:b") {
			t.Errorf("expired lease revived in %s", k)
		}
	}
}

func TestLeaseWatchSeesRelease(t *testing.T) {
	s, _ := newStore(t, slowOK)
	ctx := context.Background()
	if res, err := s.AcquireLease(ctx, lease("w1", "a", "none")); err != nil || res.Reason != 0 {
		t.Fatal(res, err)
	}
	ch1, stop1, err := s.WatchLeases(ctx, "lt", "pool/x")
	if err != nil {
		t.Fatal(err)
	}
	ch2, stop2, err := s.WatchLeases(ctx, "lt", "pool/x")
	if err != nil {
		t.Fatal(err)
	}
	other, stopOther, err := s.WatchLeases(ctx, "lt", "pool/other")
	if err != nil {
		t.Fatal(err)
	}
	defer stopOther()
	if err := s.ReleaseLease(ctx, lease("w1", "a", "none")); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan struct{}{ch1, ch2} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("watcher not woken by a release")
		}
	}
	select {
	case <-other:
		t.Fatal("a release woke another pool's watcher")
	default:
	}
	stop1()
	stop2()
	stop2() // idempotent
}

func TestLeaseStoreDown(t *testing.T) {
	s, srv := newStore(t, redisstore.WithTimeout(200*time.Millisecond))
	srv.Kill()
	_, err := s.AcquireLease(context.Background(), lease("x", "a", "none"))
	if !errors.Is(err, runtime.ErrStoreUnavailable) {
		t.Fatalf("AcquireLease with the server down: %v", err)
	}
	if _, _, err := s.WatchLeases(context.Background(), "lt", "p"); !errors.Is(err, runtime.ErrStoreUnavailable) {
		t.Fatalf("WatchLeases with the server down: %v", err)
	}
}

func TestLeaseCapacityFirst(t *testing.T) {
	s, _ := newStore(t, slowOK)
	ctx := context.Background()
	lease := func(id, consumer, prio string) *runtime.LeaseRequest {
		r := lease(id, consumer, prio)
		r.PriorityMax = -1
		return r
	}
	for _, id := range []string{"1", "2"} {
		if res, err := s.AcquireLease(ctx, lease(id, "a", "none")); err != nil || res.Reason != 0 {
			t.Fatal(res, err)
		}
	}
	for _, id := range []string{"3", "4"} {
		if res, err := s.AcquireLease(ctx, lease(id, "b", "none")); err != nil || res.Reason != 0 {
			t.Fatal(res, err)
		}
	}
	// Full, and a over its quota: a fresh call hears of the quota, a call
	// that waited hears the pool is still full.
	if res, _ := s.AcquireLease(ctx, lease("5", "a", "none")); res.Reason != runtime.ReasonConsumerQuota {
		t.Fatalf("fresh: %v", res.Reason)
	}
	w := lease("6", "a", "none")
	w.CapacityFirst = true
	if res, _ := s.AcquireLease(ctx, w); res.Reason != runtime.ReasonFullQueue {
		t.Fatalf("waited: %v, want full", res.Reason)
	}
	if err := s.ReleaseLease(ctx, lease("3", "b", "none")); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.AcquireLease(ctx, w); res.Reason != runtime.ReasonConsumerQuota {
		t.Fatalf("waited, with a free slot: %v, want consumer quota", res.Reason)
	}
}
