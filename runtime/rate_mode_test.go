package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// modeTrace runs the same calls (key, seconds after t0) through a Rate of
// spec in mode m, on a fresh fake clock and store, and returns what each
// call returned and the hook's events.
func modeTrace(t *testing.T, name string, spec RateSpec, m Mode, calls []modeCall) (errs []error, events []Event) {
	t.Helper()
	clk := rateFakeClock(t)
	h := &recorder{}
	Configure(WithHook(h))
	spec.Mode = m
	r := NewRate(name, spec)
	for _, c := range calls {
		clk.Set(t0.Add(c.at))
		errs = append(errs, r.Allow(context.Background(), c.key))
	}
	return errs, h.events
}

type modeCall struct {
	key string
	at  time.Duration
}

// TestShadowLeavesEnforcementsState runs one trace through each algorithm
// enforced and in shadow mode: shadow admits every call, and its hook events
// are enforcement's with the rejections marked Shadow, call by call; since
// every later decision depends on the state the earlier ones left, equal
// events all along mean shadow leaves exactly enforcement's state.
func TestShadowLeavesEnforcementsState(t *testing.T) {
	var calls []modeCall
	for i := range 40 {
		calls = append(calls, modeCall{key: fmt.Sprint("k", i%3), at: time.Duration(i*i%23) * 97 * time.Millisecond})
	}
	for _, alg := range Algorithms() {
		spec := RateSpec{Algorithm: alg, Quota: 3, Duration: time.Second, Bucket: 2, Keyed: true}
		if alg == LeakyBucket {
			spec.Wait = time.Nanosecond // its calls must not sleep in the trace
		}
		name := t.Name() + "/" + alg.String()
		errsE, evE := modeTrace(t, name+"/enforce", spec, ModeEnforce, calls)
		errsS, evS := modeTrace(t, name+"/shadow", spec, ModeShadow, calls)
		if len(evE) != len(calls) || len(evS) != len(calls) {
			t.Fatalf("%v: %d and %d events for %d calls", alg, len(evE), len(evS), len(calls))
		}
		rejected := 0
		for i := range calls {
			if errsS[i] != nil {
				t.Fatalf("%v call %d: shadow returned %v", alg, i, errsS[i])
			}
			e, s := evE[i], evS[i]
			if e.Allowed != (errsE[i] == nil) {
				t.Fatalf("%v call %d: event %+v for error %v", alg, i, e, errsE[i])
			}
			if s.Shadow != !e.Allowed || e.Shadow {
				t.Fatalf("%v call %d: enforce %+v, shadow %+v", alg, i, e, s)
			}
			e.Name, s.Name, s.Shadow = "", "", false
			if e != s {
				t.Fatalf("%v call %d: enforce %+v, shadow %+v", alg, i, e, s)
			}
			if !e.Allowed {
				rejected++
			}
		}
		if rejected == 0 || rejected == len(calls) {
			t.Fatalf("%v: %d of %d calls rejected: the trace tests nothing", alg, rejected, len(calls))
		}
	}
}

// TestModeOff: a limit in mode=off decides nothing, keeps no state and tells
// the hook nothing; an override turning it on finds a fresh limit.
func TestModeOff(t *testing.T) {
	rateFakeClock(t)
	h := &recorder{}
	Configure(WithHook(h))
	r := NewRate(t.Name(), RateSpec{Algorithm: FixedWindow, Quota: 2, Duration: time.Hour, Mode: ModeOff})
	for range 10 {
		if err := r.Allow(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.events) != 0 {
		t.Fatalf("mode=off: events %+v", h.events)
	}
	on := &overrideSet{rate: map[limitID]*rateOverrides{
		{t.Name(), FixedWindow}: {all: &rateOverride{has: ovMode, Mode: ModeEnforce}},
	}}
	Configure(WithOverrides(Overrides{on}))
	for i := range 3 {
		err := r.Allow(context.Background(), "")
		if (err == nil) != (i < 2) {
			t.Fatalf("call %d after mode=enforce: %v", i, err)
		}
	}
}

// TestMixedModes: a function with an enforced limit and a shadow one runs
// while the enforced one admits it, whatever the shadow one says; the
// shadow limit consumes only for calls it admits, and nothing for calls the
// enforced limit rejects.
func TestMixedModes(t *testing.T) {
	rateFakeClock(t)
	h := &recorder{}
	Configure(WithHook(h))
	name := t.Name()
	r := NewRate(name,
		RateSpec{Name: name + "/enforce", Algorithm: FixedWindow, Quota: 5, Duration: time.Hour},
		RateSpec{Name: name + "/shadow", Algorithm: FixedWindow, Quota: 2, Duration: time.Hour, Mode: ModeShadow})
	ctx := context.Background()
	var shadowRejects int
	for i := range 7 {
		h.events = nil
		err := r.AllowKeys(ctx, "", "")
		if (err == nil) != (i < 5) {
			t.Fatalf("call %d: %v", i, err)
		}
		for _, e := range h.events {
			if e.Shadow {
				shadowRejects++
				if e.Name != name+"/shadow" || e.Allowed || e.Reason != ReasonQuota {
					t.Fatalf("call %d: shadow event %+v", i, e)
				}
			}
		}
	}
	if shadowRejects != 3 {
		t.Fatalf("%d shadow rejections, want 3 (calls 3 to 5)", shadowRejects)
	}
	// The shadow limit holds 2 of 2: with the enforced one raised and the
	// shadow one enforced, the shadow one rejects.
	Configure(WithOverrides(Overrides{&overrideSet{rate: map[limitID]*rateOverrides{
		{name + "/enforce", FixedWindow}: {all: &rateOverride{has: ovQuota, Quota: 100}},
		{name + "/shadow", FixedWindow}:  {all: &rateOverride{has: ovMode, Mode: ModeEnforce}},
	}}}))
	var te *ThrottledError
	if err := r.AllowKeys(ctx, "", ""); !errors.As(err, &te) || te.Name != name+"/shadow" {
		t.Fatalf("after enforcing the shadow limit: %v", err)
	}
}

// TestShadowFailClosed: a shadow limit whose store cannot answer under
// fail=closed lets the call run and reports the would-be failure.
func TestShadowFailClosed(t *testing.T) {
	h := &recorder{}
	st := storeErrStore{err: fmt.Errorf("%w: down", ErrStoreUnavailable)}
	useRateConfig(t, WithStore(st), WithHook(h))
	r := NewRate(t.Name(), RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Second, Fail: FailClosed, Mode: ModeShadow})
	if err := r.Allow(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if len(h.events) != 1 || h.events[0].Allowed || !h.events[0].Shadow || !errors.Is(h.events[0].Err, ErrStoreUnavailable) {
		t.Fatalf("events %+v", h.events)
	}
}

// TestShadowInvalidValues: a shadow limit never fails a call, not even one
// with a negative cost or a per-call value below 1: the hook hears of it.
func TestShadowInvalidValues(t *testing.T) {
	rateFakeClock(t)
	h := &recorder{}
	Configure(WithHook(h))
	r := NewRate(t.Name(), RateSpec{Algorithm: GCRA, Duration: time.Second, PerCall: PerCallQuota, Mode: ModeShadow})
	for _, c := range []Call{{Cost: -1, Quota: 1}, {Cost: 1, Quota: 0}} {
		h.events = nil
		if err := r.AllowCall(context.Background(), c); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if len(h.events) != 1 || h.events[0].Allowed || !h.events[0].Shadow ||
			!(errors.Is(h.events[0].Err, ErrInvalidCost) || errors.Is(h.events[0].Err, ErrInvalidValue)) {
			t.Fatalf("%+v: events %+v", c, h.events)
		}
	}
}

// TestShadowWithoutHookKeepsState: without a hook, a shadow limit takes the
// memory fast path; it still leaves enforcement's state, which enforcing it
// then shows.
func TestShadowWithoutHookKeepsState(t *testing.T) {
	for _, alg := range Algorithms() {
		rateFakeClock(t)
		name := t.Name() + "/" + alg.String()
		r := NewRate(name, RateSpec{Algorithm: alg, Quota: 2, Duration: time.Hour, Bucket: 1, Wait: time.Nanosecond, Mode: ModeShadow})
		c := NewRate(name+"/call", RateSpec{Algorithm: alg, Duration: time.Hour, Bucket: 1, Wait: time.Nanosecond,
			Mode: ModeShadow, PerCall: PerCallQuota})
		for range 5 {
			if err := r.Allow(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			if err := c.AllowCall(context.Background(), Call{Key: "k", Cost: 1, Quota: 2}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.AllowCall(context.Background(), Call{Key: "k", Cost: 1, Quota: 0}); err != nil {
			t.Fatalf("%v: an invalid value failed a shadow call: %v", alg, err)
		}
		Configure(WithOverrides(Overrides{&overrideSet{rate: map[limitID]*rateOverrides{
			{name, alg}:           {all: &rateOverride{has: ovMode, Mode: ModeEnforce}},
			{name + "/call", alg}: {all: &rateOverride{has: ovMode, Mode: ModeEnforce}},
		}}}))
		if err := r.Allow(context.Background(), "k"); !errors.Is(err, ErrThrottled) {
			t.Fatalf("%v: enforced after 5 shadow calls over a quota of 2: %v", alg, err)
		}
		if err := c.AllowCall(context.Background(), Call{Key: "k", Cost: 1, Quota: 2}); !errors.Is(err, ErrThrottled) {
			t.Fatalf("%v: per-call, enforced after 5 shadow calls over a quota of 2: %v", alg, err)
		}
	}
}
