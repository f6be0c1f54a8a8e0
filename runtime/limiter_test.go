package runtime

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestNewRateLimiterDecidesLikeAWrapper(t *testing.T) {
	rs := &rateRecordingStore{mem: NewMemoryStore()}
	h := &recorder{}
	configureForTest(t, WithStore(rs), WithKeyspace("manual"), WithHook(h))
	name := rateUnique(t)
	lim := NewRateLimiter(name, RateSpec{Algorithm: SlidingWindow, Quota: 1, Duration: time.Hour})
	// A generated wrapper whose directive says name=<name>: the same limit.
	wrapper := NewRate("example.com/pkg.F", RateSpec{Name: name, Algorithm: SlidingWindow, Quota: 1, Duration: time.Hour, Keyed: true})
	if lim.specs[0].limit != wrapper.specs[0].limit {
		t.Fatal("a limiter and a wrapper naming one limit got two limits")
	}
	ctx := context.Background()
	if err := lim.Allow(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	te := rateThrottled(t, wrapper.Allow(ctx, "acme"))
	if te.Name != name || te.Key != "acme" || te.Policy != "sliding_window" || te.RetryAfter <= 0 {
		t.Fatalf("rejection %+v", te)
	}
	if err := lim.Allow(ctx, "globex"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if len(rs.reqs) != 3 || rs.reqs[0].Keyspace != "manual" || rs.reqs[0].Limits[0].Name != name || rs.reqs[0].Keys[0] != "acme" {
		t.Fatalf("the configured store saw %+v", rs.reqs)
	}
	if len(h.events) != 3 || h.events[0].Name != name || !h.events[0].Allowed || h.events[1].Allowed {
		t.Fatalf("the hook saw %+v", h.events)
	}
}

func TestNewRateLimiterLocalScope(t *testing.T) {
	fs := &rateFailingStore{}
	configureForTest(t, WithStore(fs))
	lim := NewRateLimiter(rateUnique(t), RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Hour, Scope: ScopeLocal})
	ctx := context.Background()
	if err := lim.Allow(ctx, ""); err != nil {
		t.Fatal(err)
	}
	rateThrottled(t, lim.Allow(ctx, ""))
	if fs.calls != 0 {
		t.Fatal("ScopeLocal asked the configured store")
	}
}

func TestNewRateLimiterPanics(t *testing.T) {
	name := rateUnique(t)
	NewRateLimiter(name, RateSpec{Algorithm: GCRA, Quota: 5, Duration: time.Second})
	for _, tc := range []struct {
		what, name string
		spec       RateSpec
		want       string
	}{
		{"no name", "", RateSpec{Algorithm: GCRA, Quota: 1, Duration: time.Second}, "needs a name"},
		{"two names", name + "/x", RateSpec{Name: "other", Algorithm: GCRA, Quota: 1, Duration: time.Second}, "spec.Name"},
		{"no quota", name + "/q", RateSpec{Algorithm: GCRA, Duration: time.Second}, "invalid spec"},
		{"no algorithm", name + "/a", RateSpec{Quota: 1, Duration: time.Second}, "invalid spec"},
		{"redefined", name, RateSpec{Algorithm: GCRA, Quota: 6, Duration: time.Second}, "defined twice"},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Errorf("%s: panic %q, want one containing %q", tc.what, msg, tc.want)
				}
			}()
			NewRateLimiter(tc.name, tc.spec)
		}()
	}
	// The same definition again is the same limit, as for two wrappers.
	a := NewRateLimiter(name, RateSpec{Name: name, Algorithm: GCRA, Quota: 5, Duration: time.Second})
	b := NewRateLimiter(name, RateSpec{Algorithm: GCRA, Quota: 5, Duration: time.Second})
	if a.specs[0].limit != b.specs[0].limit {
		t.Fatal("one definition, two limits")
	}
}
