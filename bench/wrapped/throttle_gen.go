// Hand-written stand-in for the generated wrappers, following
// docs/design.md line by line, until cmd/throttlegen can generate
// throttle_gen.go. Delete this file and run go generate then.

package wrapped

import (
	"context"
	"time"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

const _ = throttle.SupportPackageIsVersion1

var (
	_throttle_Const_rate = throttle.NewRate("github.com/throttlegen/throttlegen/bench/wrapped.Const",
		throttle.RateSpec{Algorithm: throttle.GCRA, Quota: 1000, Duration: 1 * time.Second, Burst: 1000000000})
	_throttle_Tight_rate = throttle.NewRate("github.com/throttlegen/throttlegen/bench/wrapped.Tight",
		throttle.RateSpec{Algorithm: throttle.GCRA, Quota: 1, Duration: 1 * time.Hour, Burst: 1})
	_throttle_Keyed_rate = throttle.NewRate("github.com/throttlegen/throttlegen/bench/wrapped.Keyed",
		throttle.RateSpec{Algorithm: throttle.GCRA, Quota: 1000, Duration: 1 * time.Second, Burst: 1000000000, Keyed: true})
	_throttle_Idle_rate = throttle.NewRate("github.com/throttlegen/throttlegen/bench/wrapped.Idle",
		throttle.RateSpec{Algorithm: throttle.GCRA, Quota: 10, Duration: 1 * time.Hour, Keyed: true})
	_throttle_Bulkhead_conc = throttle.NewConcurrency(throttle.ConcurrencySpec{
		Name: "github.com/throttlegen/throttlegen/bench/wrapped.Bulkhead", Capacity: 1000000, Queue: 10,
		ConsumerQuotas: []throttle.Quota{{Fraction: 0.7}, {Name: "billing", Fraction: 0.3}},
		PriorityQuotas: []throttle.Quota{{Name: "normal", Fraction: 0.9}}})
	_throttle_GetUser_retry = throttle.NewRetry(throttle.RetrySpec{
		Name: "github.com/throttlegen/throttlegen/bench/wrapped.GetUser", Attempts: 3})
	_throttle_GetUser_rate = throttle.NewRate("github.com/throttlegen/throttlegen/bench/wrapped.GetUser",
		throttle.RateSpec{Algorithm: throttle.GCRA, Quota: 1000, Duration: 1 * time.Second, Burst: 1000000000})
)

func ConstThrottled(ctx context.Context) error {
	if err := _throttle_Const_rate.Allow(ctx, ""); err != nil {
		return err
	}
	return Const(ctx)
}

func TightThrottled(ctx context.Context) error {
	if err := _throttle_Tight_rate.Allow(ctx, ""); err != nil {
		return err
	}
	return Tight(ctx)
}

func KeyedThrottled(ctx context.Context, user string) error {
	if err := _throttle_Keyed_rate.Allow(ctx, user); err != nil {
		return err
	}
	return Keyed(ctx, user)
}

func IdleThrottled(ctx context.Context, user string) error {
	if err := _throttle_Idle_rate.Allow(ctx, user); err != nil {
		return err
	}
	return Idle(ctx, user)
}

func BulkheadThrottled(ctx context.Context, tenant string) error {
	slot, err := _throttle_Bulkhead_conc.Acquire(ctx, tenant)
	if err != nil {
		return err
	}
	defer slot.Release()
	return Bulkhead(ctx, tenant)
}

func GetUserThrottled(ctx context.Context, tenant, id string) (string, error) {
	var (
		r0  string
		err error
	)
	attempt := 1
	for ; ; attempt++ {
		r0, err = _throttle_GetUser_attempt(ctx, tenant, id)
		if err == nil || !_throttle_GetUser_retry.Retryable(err) || !_throttle_GetUser_retry.Next(ctx, attempt, err) {
			break
		}
	}
	err = _throttle_GetUser_retry.Done(attempt, err)
	return r0, err
}

func _throttle_GetUser_attempt(ctx context.Context, tenant, id string) (string, error) {
	if err := _throttle_GetUser_rate.Allow(ctx, ""); err != nil {
		return "", err
	}
	tctx := throttle.WithTimeout(ctx, 1*time.Second)
	defer tctx.Cancel()
	r0, err := GetUser(tctx, tenant, id)
	return r0, throttle.TimeoutError(tctx, err)
}
