package promhook_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/promhook"
)

// gather returns the registry's metrics by name, then by their label
// values joined with "/".
func gather(t *testing.T, reg *prometheus.Registry) map[string]map[string]*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]*dto.Metric{}
	for _, mf := range mfs {
		byLabels := map[string]*dto.Metric{}
		for _, m := range mf.GetMetric() {
			key := ""
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += "/"
				}
				key += l.GetValue()
			}
			byLabels[key] = m
		}
		out[mf.GetName()] = byLabels
	}
	return out
}

func TestDecisionsAndWait(t *testing.T) {
	h := promhook.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	h.OnDecision(runtime.Event{Policy: "gcra", Name: "f", Allowed: true})
	h.OnDecision(runtime.Event{Policy: "gcra", Name: "f", Reason: runtime.ReasonQuota})
	h.OnDecision(runtime.Event{Policy: "gcra", Name: "f", Reason: runtime.ReasonQuota})
	h.OnDecision(runtime.Event{Policy: "gcra", Name: "f", Allowed: true, Err: errors.New("redis down")})
	h.OnDecision(runtime.Event{Policy: "concurrency", Name: "p", Reason: runtime.ReasonConsumerQuota})
	h.OnDecision(runtime.Event{Policy: "concurrency", Name: "p", Allowed: true, Wait: 2 * time.Second})
	h.OnDecision(runtime.Event{Policy: "concurrency", Name: "p", Err: context.Canceled, Wait: time.Second})

	m := gather(t, reg)
	for key, want := range map[string]float64{
		"f/gcra/allowed": 2, "f/gcra/quota": 2, "p/concurrency/consumer_quota": 1,
		"p/concurrency/allowed": 1, "p/concurrency/canceled": 1,
	} {
		c := m["throttle_decisions_total"][key]
		if c == nil || c.GetCounter().GetValue() != want {
			t.Errorf("decisions_total{%s} = %v, want %v", key, c, want)
		}
	}
	if c := m["throttle_store_errors_total"]["f/gcra"]; c == nil || c.GetCounter().GetValue() != 1 {
		t.Errorf("store_errors_total = %v, want 1", c)
	}
	if len(m["throttle_store_errors_total"]) != 1 {
		t.Errorf("a cancelled waiter counted as a store error: %v", m["throttle_store_errors_total"])
	}
	hist := m["throttle_wait_seconds"]["p/concurrency"].GetHistogram()
	if hist.GetSampleCount() != 3 || hist.GetSampleSum() != 3 {
		t.Errorf("wait histogram count %d sum %v, want 3 and 3s", hist.GetSampleCount(), hist.GetSampleSum())
	}
}

func TestConcurrencyGaugesAndHook(t *testing.T) {
	h := promhook.New(promhook.WithNamespace("app"), promhook.WithConstLabels(prometheus.Labels{"service": "users"}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	runtime.Configure(runtime.WithHook(h))
	defer runtime.Configure(runtime.WithHook(nil))

	lim := runtime.NewConcurrency(runtime.ConcurrencySpec{Name: "promhook.test.pool", Capacity: 2})
	a, _ := lim.Acquire(context.Background(), "x")
	b, _ := lim.Acquire(context.Background(), "y")
	_, err := lim.Acquire(context.Background(), "z")
	if err == nil {
		t.Fatal("third call admitted")
	}
	m := gather(t, reg)
	if g := m["app_concurrency_running"]["promhook.test.pool/users"]; g == nil || g.GetGauge().GetValue() != 2 {
		t.Errorf("running gauge %v, want 2", g)
	}
	if g := m["app_concurrency_capacity"]["promhook.test.pool/users"]; g == nil || g.GetGauge().GetValue() != 2 {
		t.Errorf("capacity gauge %v, want 2", g)
	}
	if c := m["app_decisions_total"]["promhook.test.pool/concurrency/full_queue/users"]; c == nil || c.GetCounter().GetValue() != 1 {
		t.Errorf("full_queue counter %v, want 1 (labels %v)", c, keys(m["app_decisions_total"]))
	}
	a.Release()
	b.Release()
	m = gather(t, reg)
	if g := m["app_concurrency_running"]["promhook.test.pool/users"]; g.GetGauge().GetValue() != 0 {
		t.Errorf("running gauge %v after release, want 0", g)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestCacheHitMissNeverError: a cache's lookups count as hit and miss, a
// shared cache's store error counts as a store error only, and no series
// is labelled result="error".
func TestCacheHitMissNeverError(t *testing.T) {
	h := promhook.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	runtime.Configure(runtime.WithHook(h))
	defer runtime.Configure(runtime.WithHook(nil))

	c := runtime.NewCache[string, int](runtime.CacheSpec{Name: "promhook.test.cache", TTL: time.Hour})
	ctx := context.Background()
	if _, hit, fl := c.Lookup(ctx, "k"); hit {
		t.Fatal("hit in an empty cache")
	} else {
		c.Complete(fl, 42, nil)
	}
	for range 2 {
		if v, hit, _ := c.Lookup(ctx, "k"); !hit || v != 42 {
			t.Fatalf("lookup after Complete: %v %v", v, hit)
		}
	}
	// What a shared cache reports when its store fails to read or write.
	h.OnDecision(runtime.Event{Policy: "cache", Name: "promhook.test.cache", Err: errors.New("redis down")})

	m := gather(t, reg)
	for key, want := range map[string]float64{"promhook.test.cache/cache/hit": 2, "promhook.test.cache/cache/miss": 1} {
		if c := m["throttle_decisions_total"][key]; c == nil || c.GetCounter().GetValue() != want {
			t.Errorf("decisions_total{%s} = %v, want %v (have %v)", key, c, want, keys(m["throttle_decisions_total"]))
		}
	}
	if len(m["throttle_decisions_total"]) != 2 {
		t.Errorf("decisions_total series %v, want hit and miss only", keys(m["throttle_decisions_total"]))
	}
	if c := m["throttle_store_errors_total"]["promhook.test.cache/cache"]; c == nil || c.GetCounter().GetValue() != 1 {
		t.Errorf("store_errors_total{cache} = %v, want 1", c)
	}
	for k := range m["throttle_decisions_total"] {
		if strings.HasSuffix(k, "/error") {
			t.Errorf("a series labelled result=error: %s", k)
		}
	}
}

// TestShadowDecisions: a shadow limit's calls count as allowed in
// decisions_total, and what enforcement would have done in
// shadow_decisions_total, from the runtime's own events.
func TestShadowDecisions(t *testing.T) {
	h := promhook.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	t.Cleanup(runtime.SaveConfig())
	runtime.Configure(runtime.WithHook(h))
	c := runtime.NewConcurrency(runtime.ConcurrencySpec{Name: "promhook.shadow", Capacity: 1, Queue: 1, Mode: runtime.ModeShadow,
		ConsumerQuotas: []runtime.Quota{{Name: "batch", Fraction: 0.5}}})
	ctx := context.Background()
	s, err := c.Acquire(ctx, "web") // allowed, holds the slot
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.Acquire(ctx, "batch"); err != nil { // consumer quota: 0.5 of 1 is 0
			t.Fatal(err)
		}
	}
	if _, err := c.Acquire(ctx, "web"); err != nil { // would wait
		t.Fatal(err)
	}
	s.Release()
	h.OnDecision(runtime.Event{Policy: "gcra", Name: "g", Shadow: true, Reason: runtime.ReasonQuota})

	m := gather(t, reg)
	for key, want := range map[string]float64{
		"promhook.shadow/concurrency/allowed": 4, "g/gcra/allowed": 1,
	} {
		if c := m["throttle_decisions_total"][key]; c == nil || c.GetCounter().GetValue() != want {
			t.Errorf("decisions_total{%s} = %v, want %v", key, c, want)
		}
	}
	if n := len(m["throttle_decisions_total"]); n != 2 {
		t.Errorf("decisions_total has %d series, want 2: %v", n, m["throttle_decisions_total"])
	}
	for key, want := range map[string]float64{
		"promhook.shadow/concurrency/consumer_quota": 2, "promhook.shadow/concurrency/wait": 1, "g/gcra/quota": 1,
	} {
		if c := m["throttle_shadow_decisions_total"][key]; c == nil || c.GetCounter().GetValue() != want {
			t.Errorf("shadow_decisions_total{%s} = %v, want %v", key, c, want)
		}
	}
	if n := len(m["throttle_shadow_decisions_total"]); n != 3 {
		t.Errorf("shadow_decisions_total has %d series, want 3", n)
	}
}
