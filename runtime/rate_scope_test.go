package runtime

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRateAllOrNothingAcrossScopes: a scope=local limit is decided in memory
// before the configured store; when the store rejects (or fails closed), the
// local limit must be left as if the call had never been seen, whatever its
// algorithm.
func TestRateAllOrNothingAcrossScopes(t *testing.T) {
	for _, alg := range []Algorithm{FixedWindow, SlidingWindow, TokenBucket, GCRA} {
		t.Run(alg.String(), func(t *testing.T) {
			useRateConfig(t)
			Configure(WithStore(&rateRecordingStore{mem: NewMemoryStore()}))
			name := rateUnique(t)
			local := RateSpec{Name: name + "/local", Algorithm: alg, Quota: 2, Duration: time.Hour, Scope: ScopeLocal}
			both := NewRate(name+"/both", local,
				RateSpec{Name: name + "/shared", Algorithm: alg, Quota: 1, Duration: time.Hour})
			localOnly := NewRate(name+"/only", local)
			ctx := context.Background()
			if err := both.AllowKeys(ctx, "k", "k"); err != nil {
				t.Fatalf("first call: %v", err)
			}
			for i := 0; i < 3; i++ {
				if err := both.AllowKeys(ctx, "k", "k"); !errors.Is(err, ErrThrottled) {
					t.Fatalf("call rejected by the shared limit: %v", err)
				}
			}
			if err := localOnly.Allow(ctx, "k"); err != nil {
				t.Fatalf("rejected calls consumed from the scope=local limit: %v", err)
			}
			if err := localOnly.Allow(ctx, "k"); !errors.Is(err, ErrThrottled) {
				t.Fatalf("the local limit admitted more than its quota: %v", err)
			}
		})
	}
}

func TestRateAllOrNothingAcrossScopesFailClosed(t *testing.T) {
	for _, alg := range []Algorithm{FixedWindow, SlidingWindow, GCRA} {
		t.Run(alg.String(), func(t *testing.T) {
			useRateConfig(t)
			Configure(WithStore(&rateFailingStore{}))
			name := rateUnique(t)
			local := RateSpec{Name: name + "/local", Algorithm: alg, Quota: 1, Duration: time.Hour, Scope: ScopeLocal}
			both := NewRate(name+"/both", local,
				RateSpec{Name: name + "/shared", Algorithm: alg, Quota: 1, Duration: time.Hour, Fail: FailClosed})
			localOnly := NewRate(name+"/only", local)
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				if err := both.AllowKeys(ctx, "", ""); !errors.Is(err, ErrStoreUnavailable) {
					t.Fatalf("fail=closed with a failing store: %v", err)
				}
			}
			if err := localOnly.Allow(ctx, ""); err != nil {
				t.Fatalf("calls failed closed consumed from the scope=local limit: %v", err)
			}
		})
	}
}
