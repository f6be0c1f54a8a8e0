package runtime

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
	"go.uber.org/goleak"
)

// This file hand-writes the straight-line code the generator emits for a
// function carrying cache, retry, a rate policy, concurrency and timeout, in
// the order docs/spec.md fixes (cache → retry → rate → concurrency → timeout →
// call), to prove the runtime's entry points compose.

// composed is one annotated function and its policies.
type composed struct {
	cache   *Cache[composeKey, composeRes] // nil: no cache directive
	retry   *Retry
	rate    *Rate
	conc    *Concurrency // nil: no concurrency directive
	timeout time.Duration
	fn      func(ctx context.Context, tenant, id string) (string, error)
}

type composeKey struct{ Tenant, ID string }
type composeRes struct{ R0 string }

// call is GetUserThrottled.
func (c *composed) call(ctx context.Context, tenant, id string) (string, error) {
	var (
		r0  string
		err error
	)
	var fl Flight[composeKey, composeRes]
	if c.cache != nil {
		var v composeRes
		var hit bool
		v, hit, fl = c.cache.Lookup(ctx, composeKey{tenant, id})
		if hit {
			return v.R0, nil
		}
		if !fl.Leader() {
			v, err = fl.Wait(ctx)
			return v.R0, err
		}
		defer c.cache.Abandon(fl)
	}
	attempt := 1
	for ; ; attempt++ {
		r0, err = c.attempt(ctx, tenant, id)
		if err == nil || !c.retry.Retryable(err) || !c.retry.Next(ctx, attempt, err) {
			break
		}
	}
	err = c.retry.Done(attempt, err)
	if c.cache != nil {
		c.cache.Complete(fl, composeRes{r0}, err)
	}
	return r0, err
}

// attempt is _throttle_GetUser_attempt: rate → concurrency → timeout → call.
func (c *composed) attempt(ctx context.Context, tenant, id string) (string, error) {
	if err := c.rate.Allow(ctx, tenant); err != nil {
		return "", err
	}
	if c.conc != nil {
		slot, err := c.conc.Acquire(ctx, tenant)
		if err != nil {
			return "", err
		}
		defer slot.Release()
	}
	tctx := WithTimeout(ctx, c.timeout)
	defer tctx.Cancel()
	r0, err := c.fn(tctx, tenant, id)
	return r0, TimeoutError(tctx, err)
}

// drive runs f while advancing clk by step whenever a timer waits, and
// returns f's results.
func drive(clk *fakeclock.Clock, step time.Duration, f func() (string, error)) (string, error) {
	type out struct {
		v   string
		err error
	}
	ch := make(chan out, 1)
	go func() { v, err := f(); ch <- out{v, err} }()
	for {
		select {
		case o := <-ch:
			return o.v, o.err
		case <-time.After(time.Millisecond):
			if clk.Timers() > 0 {
				clk.Advance(step)
			}
		}
	}
}

// composeEnv installs a fake clock and a fresh in-memory store, so that the
// limits' state starts empty on every run of a test.
func composeEnv(t *testing.T) *fakeclock.Clock {
	clk := rtcClock(t)
	Configure(WithStore(NewMemoryStore()))
	return clk
}

func TestComposeCacheHitConsumesNoQuota(t *testing.T) {
	composeEnv(t)
	var calls atomic.Int32
	c := &composed{
		cache:   NewCache[composeKey, composeRes](CacheSpec{Name: "compose.A", TTL: time.Hour}),
		retry:   NewRetry(RetrySpec{Name: "compose.A", Attempts: 1}),
		rate:    NewRate("compose.A", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Keyed: true}),
		timeout: time.Minute,
		fn: func(ctx context.Context, tenant, id string) (string, error) {
			calls.Add(1)
			return tenant + "/" + id, nil
		},
	}
	for i := 0; i < 5; i++ {
		if v, err := c.call(context.Background(), "t", "1"); v != "t/1" || err != nil {
			t.Fatalf("call %d = %q, %v", i, v, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d calls, want 1", calls.Load())
	}
	// The one quota of tenant t is spent by the first call only: a miss is throttled.
	if _, err := c.call(context.Background(), "t", "2"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a miss after the quota = %v, want throttled", err)
	}
	// Another tenant has its own quota.
	if _, err := c.call(context.Background(), "u", "2"); err != nil {
		t.Fatalf("tenant u = %v", err)
	}
}

func TestComposeRetriedThrottleHonoursRetryAfter(t *testing.T) {
	clk := composeEnv(t)
	c := &composed{
		retry: NewRetry(RetrySpec{Name: "compose.B", Attempts: 3, Base: time.Millisecond, Jitter: NoJitter}),
		rate: NewRate("compose.B", RateSpec{Algorithm: GCRA, Quota: 1, Duration: 10 * time.Second,
			Burst: 1}),
		timeout: time.Minute,
		fn:      func(ctx context.Context, tenant, id string) (string, error) { return "ok", nil },
	}
	if _, err := c.call(context.Background(), "", ""); err != nil {
		t.Fatalf("first call = %v", err)
	}
	// The second is throttled for 10s; its retry must wait all of it.
	res := make(chan error, 1)
	go func() { _, err := c.call(context.Background(), "", ""); res <- err }()
	if !clk.WaitForTimers(1, 5*time.Second) {
		t.Fatal("the retry did not wait")
	}
	clk.Advance(10*time.Second - time.Microsecond)
	select {
	case err := <-res:
		t.Fatalf("returned %v before RetryAfter", err)
	default:
	}
	clk.Advance(time.Microsecond)
	if err := <-res; err != nil {
		t.Fatalf("retried call = %v", err)
	}
}

func TestComposeThrottleRetryGivesUpAtDeadline(t *testing.T) {
	clk := composeEnv(t)
	c := &composed{
		retry:   NewRetry(RetrySpec{Name: "compose.C", Attempts: 3, Base: time.Millisecond}),
		rate:    NewRate("compose.C", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Burst: 1}),
		timeout: time.Minute,
		fn:      func(ctx context.Context, tenant, id string) (string, error) { return "ok", nil },
	}
	c.call(context.Background(), "", "")
	ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(time.Minute))
	defer cancel()
	_, err := c.call(ctx, "", "")
	var te *ThrottledError
	if !errors.As(err, &te) || te.RetryAfter <= time.Minute {
		t.Fatalf("err = %v, want the throttled error at once", err)
	}
	if clk.Timers() != 0 {
		t.Fatal("a timer was left waiting")
	}
}

func TestComposeTimeoutInsideRetryIsRetried(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := composeEnv(t)
	var calls atomic.Int32
	c := &composed{
		retry: NewRetry(RetrySpec{Name: "compose.D", Attempts: 3, Base: time.Second, Jitter: NoJitter}),
		rate: NewRate("compose.D", RateSpec{Algorithm: GCRA, Quota: 1000, Duration: time.Second,
			Burst: 1000}),
		conc:    NewConcurrency(ConcurrencySpec{Name: "compose.D", Capacity: 1}),
		timeout: time.Second,
		fn: func(ctx context.Context, tenant, id string) (string, error) {
			if calls.Add(1) < 3 {
				<-ctx.Done() // slow: the timeout cuts it
				return "", ctx.Err()
			}
			return "third time", nil
		},
	}
	v, err := drive(clk, time.Second, func() (string, error) { return c.call(context.Background(), "", "") })
	if v != "third time" || err != nil || calls.Load() != 3 {
		t.Fatalf("call = %q, %v after %d attempts", v, err, calls.Load())
	}

	// With attempts used up, the wrapped timeout comes back.
	calls.Store(-10)
	_, err = drive(clk, time.Second, func() (string, error) { return c.call(context.Background(), "", "") })
	var re *RetryError
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &re) || re.Attempts != 3 {
		t.Fatalf("err = %v, want ErrTimeout after 3 attempts", err)
	}
}

func TestComposeAllocations(t *testing.T) {
	c := &composed{
		retry: NewRetry(RetrySpec{Name: "compose.E", Attempts: 3}),
		rate: NewRate("compose.E", RateSpec{Algorithm: GCRA, Quota: 1_000_000, Duration: time.Second,
			Burst: 1_000_000_000}),
		timeout: time.Second,
		fn:      func(ctx context.Context, tenant, id string) (string, error) { return id, nil },
	}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := c.call(ctx, "t", "x"); err != nil {
			panic(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("retry + rate + timeout success path: %v allocs, want ≤ 1", allocs)
	}
}
