package runtime

import (
	"context"
	"fmt"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// PerCall says which of a rate directive's values are per-call expressions
// (§6 of the contract), read from each call's Call instead of its RateSpec.
type PerCall uint8

// The per-call values of a rate directive.
const (
	PerCallQuota  PerCall = 1 << iota // quota= is an expression over the parameters
	PerCallBurst                      // burst= is
	PerCallBucket                     // bucket= is
)

// Call is one call's part of a rate decision for one directive: the
// caller's key, how many units the call consumes, and the directive's
// per-call values. Generated code passes one Call per directive to
// Rate.AllowCall or Rate.AllowCalls.
//
// Cost is always read: 0 admits the call without consuming anything, and a
// negative cost fails the call with an error wrapping ErrInvalidCost.
// Quota, Burst and Bucket are read only where the directive's RateSpec says
// they are per call (PerCall); a value below 1 there fails the call with an
// error wrapping ErrInvalidValue. An override in force for the limit (or for
// the key) takes precedence over per-call values.
type Call struct {
	Key    string
	Cost   int64
	Quota  int64
	Burst  int64
	Bucket int64
}

// AllowCall decides a call of a function with exactly one rate directive
// whose cost or values are per call. See Allow for the results; a negative
// Cost or a per-call value below 1 fails the call with an error wrapping
// ErrInvalidCost or ErrInvalidValue.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func (r *Rate) AllowCall(ctx context.Context, c Call) error {
	if len(r.specs) != 1 {
		panic(fmt.Sprintf("throttle: %s: AllowCall on %d rate directives", r.function, len(r.specs)))
	}
	cfg, res := loadConfig(), r.res.Load()
	if res == nil || res.cfg != cfg || cfg.limitsOff {
		if cfg, res = r.load(); cfg == nil {
			return nil // WithLimitsOff
		}
	}
	if res.fast && cfg.hook == nil && c.Cost >= 0 {
		e := &res.eff[0]
		if res.keyed != nil {
			e = res.eff0(c.Key)
		}
		if e.mode != ModeOff {
			p := &e.p
			if e.perCall != 0 {
				if p = e.params.quota.Load(); p == nil || p.Quota != c.Quota || e.perCall != PerCallQuota {
					var err error // not the tier of the call before
					if p, err = r.perCallParams(&r.specs[0], e, &c); err != nil {
						if e.mode == ModeShadow {
							return nil // a shadow limit never fails a call (and no hook hears of it)
						}
						return err
					}
				}
			}
			if e.mode == ModeShadow {
				shadowMem(ctx, res, e, p, c.Key, c.Cost)
				return nil
			}
			if e.bound == 0 && p.Algo.ID == uint8(GCRA) && c.Cost >= 1 && c.Cost <= p.MaxCost {
				return r.takeGCRA(res, e, p, c.Key, c.Cost)
			}
			return r.allowMem(ctx, cfg, res, e, p, c.Key, c.Cost)
		}
	}
	calls := [1]Call{c}
	return r.allowCalls(ctx, cfg, res, calls[:])
}

// AllowCalls decides a call of a function with several rate directives, one
// Call per directive in order. See AllowCall.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func (r *Rate) AllowCalls(ctx context.Context, calls ...Call) error {
	if len(calls) != len(r.specs) {
		panic(fmt.Sprintf("throttle: %s: AllowCalls got %d calls for %d rate directives",
			r.function, len(calls), len(r.specs)))
	}
	cfg, res := r.load()
	if cfg == nil {
		return nil // WithLimitsOff
	}
	return r.allowCalls(ctx, cfg, res, calls)
}

// perCallParams returns the params of spec s for call c, whose values in
// force e takes partly from the call (e.perCall). A value below 1 is an
// error wrapping ErrInvalidValue. The params of the latest few distinct
// values are kept (e.params), so that a call with values seen before
// derives and allocates nothing.
func (r *Rate) perCallParams(s *rateSpec, e *effSpec, c *Call) (*ratemath.Params, error) {
	quota, burst, bucket := e.limit.Quota, e.limit.Burst, e.limit.Bucket
	if e.perCall&PerCallQuota != 0 {
		if c.Quota < 1 {
			return nil, r.invalidValue(s, "quota", c.Quota)
		}
		quota = c.Quota
	}
	if e.perCall&PerCallBurst != 0 {
		if c.Burst < 1 {
			return nil, r.invalidValue(s, "burst", c.Burst)
		}
		burst = c.Burst
	}
	if e.perCall&PerCallBucket != 0 {
		if c.Bucket < 1 {
			return nil, r.invalidValue(s, "bucket", c.Bucket)
		}
		bucket = c.Bucket
	}
	b := burst
	if b <= 0 {
		b = quota // as Derive defaults it
	}
	h := uint64(quota)*0x9e3779b97f4a7c15 ^ uint64(b)*0xc2b2ae3d27d4eb4f ^ uint64(bucket)*0x165667b19e3779f9
	slot := &e.params.slots[h>>61] // the top 3 bits: one of 8
	if p := slot.Load(); p != nil && p.Quota == quota && p.Burst == b && p.Bucket == bucket {
		return p, nil
	}
	l := *e.limit
	l.Quota, l.Burst, l.Bucket = quota, burst, bucket
	p := new(ratemath.Params)
	var err error
	if *p, err = limitParams(&l); err == nil && e.t == nil {
		err = p.CheckExact() // a shared store's scripts compute in doubles
	}
	if err != nil {
		return nil, fmt.Errorf("throttle: %s %s: %w: %v", s.policy, s.Name, ErrInvalidValue, err)
	}
	slot.Store(p)
	if e.perCall == PerCallQuota {
		e.params.quota.Store(p)
	}
	return p, nil
}

// invalidValue is the error of a call whose per-call value v of argument
// arg is below 1.
func (r *Rate) invalidValue(s *rateSpec, arg string, v int64) error {
	return fmt.Errorf("throttle: %s %s: %w: %s=%d is below 1", s.policy, s.Name, ErrInvalidValue, arg, v)
}

// invalidCost is the error of a call whose cost is negative.
func (r *Rate) invalidCost(s *rateSpec, cost int64) error {
	return fmt.Errorf("throttle: %s %s: %w: cost %d is negative", s.policy, s.Name, ErrInvalidCost, cost)
}
