package redisstore

import (
	"slices"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// TestPrepareReusesOnlyItsOwnEncoding prepares one call for a sequence of
// requests, each differing from the one before in one thing that the
// encoding depends on (or in nothing), and requires the call to carry
// exactly what a fresh call would: a pooled call keeps its last encoding
// and must not hand it to a different request.
func TestPrepareReusesOnlyItsOwnEncoding(t *testing.T) {
	base := runtime.Limit{Name: "p.f", Algorithm: runtime.GCRA, Quota: 10, Duration: time.Second, Burst: 5}
	type step struct {
		name   string
		change func(req *runtime.Request, mode *int, spread *bool)
	}
	steps := []step{
		{"same", func(*runtime.Request, *int, *bool) {}},
		{"quota", func(r *runtime.Request, _ *int, _ *bool) { l := *r.Limits[0]; l.Quota++; r.Limits[0] = &l }},
		{"same limit, new pointer", func(r *runtime.Request, _ *int, _ *bool) { l := *r.Limits[0]; r.Limits[0] = &l }},
		{"limit mutated in place", func(r *runtime.Request, _ *int, _ *bool) { r.Limits[0].Duration *= 2 }},
		{"algorithm", func(r *runtime.Request, _ *int, _ *bool) {
			l := *r.Limits[0]
			l.Algorithm = runtime.LeakyBucket
			l.Bucket = 3
			r.Limits[0] = &l
		}},
		{"name", func(r *runtime.Request, _ *int, _ *bool) { l := *r.Limits[0]; l.Name = "p.g"; r.Limits[0] = &l }},
		{"key", func(r *runtime.Request, _ *int, _ *bool) { r.Keys = []string{"user-2"} }},
		{"keyspace", func(r *runtime.Request, _ *int, _ *bool) { r.Keyspace = "other" }},
		{"max wait", func(r *runtime.Request, _ *int, _ *bool) { r.MaxWait = 30 * time.Millisecond }},
		{"now set", func(r *runtime.Request, _ *int, _ *bool) { r.Now = time.UnixMicro(1_700_000_000_000_000) }},
		{"now moved", func(r *runtime.Request, _ *int, _ *bool) { r.Now = r.Now.Add(time.Microsecond) }},
		{"now cleared", func(r *runtime.Request, _ *int, _ *bool) { r.Now = time.Time{} }},
		{"spread", func(_ *runtime.Request, _ *int, s *bool) { *s = true }},
		{"cancel", func(_ *runtime.Request, m *int, _ *bool) { *m = modeCancel }},
		{"decide", func(_ *runtime.Request, m *int, _ *bool) { *m = modeDecide }},
		{"two limits", func(r *runtime.Request, _ *int, _ *bool) {
			l := base
			l.Name = "p.h"
			r.Limits = append(slices.Clone(r.Limits), &l)
			r.Keys = append(slices.Clone(r.Keys), "")
		}},
		{"one limit again", func(r *runtime.Request, _ *int, _ *bool) { r.Limits, r.Keys = r.Limits[:1], r.Keys[:1] }},
	}
	l := base
	req := &runtime.Request{Keyspace: "ks", Limits: []*runtime.Limit{&l}, Keys: []string{"user-1"}, MaxWait: -1}
	mode, spread := modeDecide, false
	c := &call{}
	for _, st := range steps {
		st.change(req, &mode, &spread)
		c.prepare(req, mode, spread)
		want := &call{}
		want.prepare(req, mode, spread)
		if !slices.Equal(c.keys, want.keys) || c.argv != want.argv || c.body != want.body ||
			c.tag != want.tag || c.script != want.script || c.nkeys != want.nkeys || len(c.args) != len(want.args) {
			t.Fatalf("after %q: the call carries keys %q argv %x, a fresh call %q %x",
				st.name, c.keys, c.argv, want.keys, want.argv)
		}
		for i := range c.args {
			if got, w := argString(c.args[i]), argString(want.args[i]); got != w {
				t.Fatalf("after %q: argument %d is %q, want %q", st.name, i, got, w)
			}
		}
	}
}

// argString dereferences the string pointers prepare boxes into args.
func argString(a interface{}) string {
	switch v := a.(type) {
	case *string:
		return *v
	case string:
		return v
	}
	return "?"
}
