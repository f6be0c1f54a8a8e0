package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// TestOneRoundTripPerCall: per-call values, costs, an override for the
// key and a limit in shadow mode each decide a call in one script run, as
// a constant limit does; and the decisions are exact.
func TestOneRoundTripPerCall(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	sent := &sentCounter{}
	rdb.AddHook(sent)
	s := redisstore.New(rdb, testTimeout)
	defer s.Close()
	defer runtime.SaveConfig()()
	runtime.Configure(runtime.WithStore(s), runtime.WithKeyspace("operate"))
	ctx := context.Background()
	name := "redisstore_test.OneRoundTrip"
	tier := runtime.NewRate(name+"/tier", runtime.RateSpec{Algorithm: runtime.SlidingWindow, Duration: time.Hour,
		PerCall: runtime.PerCallQuota, Keyed: true})
	shadow := runtime.NewRate(name+"/shadow", runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 2, Duration: time.Hour,
		Mode: runtime.ModeShadow})
	o, err := runtime.ParseOverrides(name + "/tier sliding_window quota=5 key=acme\n")
	if err != nil {
		t.Fatal(err)
	}
	runtime.Configure(runtime.WithOverrides(o))
	_ = tier.AllowCall(ctx, runtime.Call{Key: "warm", Cost: 1, Quota: 1}) // loads the script
	_ = shadow.Allow(ctx, "")
	for _, c := range []struct {
		call    func() error
		allowed bool
	}{
		{func() error { return tier.AllowCall(ctx, runtime.Call{Key: "free", Cost: 2, Quota: 3}) }, true},
		{func() error { return tier.AllowCall(ctx, runtime.Call{Key: "free", Cost: 2, Quota: 3}) }, false},
		{func() error { return tier.AllowCall(ctx, runtime.Call{Key: "free", Cost: 1, Quota: 3}) }, true},
		{func() error { return tier.AllowCall(ctx, runtime.Call{Key: "acme", Cost: 4, Quota: 3}) }, true}, // the override's 5
		{func() error { return tier.AllowCall(ctx, runtime.Call{Key: "acme", Cost: 0, Quota: 3}) }, true},
		{func() error { return shadow.Allow(ctx, "") }, true},
		{func() error { return shadow.Allow(ctx, "") }, true}, // would reject: runs
	} {
		before := sent.n.Load()
		err := c.call()
		if (err == nil) != c.allowed || (err != nil && !errors.Is(err, runtime.ErrThrottled)) {
			t.Fatalf("call: %v, want allowed %v", err, c.allowed)
		}
		if n := sent.n.Load() - before; n > 1 {
			t.Fatalf("a call sent %d scripts, want at most one round trip", n)
		}
	}
}
