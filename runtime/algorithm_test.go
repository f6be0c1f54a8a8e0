package runtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// TestAlgorithmConstants: each exported Algorithm constant is the row of
// the algorithm table of the same name, and Algorithms lists every row.
func TestAlgorithmConstants(t *testing.T) {
	consts := map[Algorithm]string{FixedWindow: "FixedWindow", SlidingWindow: "SlidingWindow",
		TokenBucket: "TokenBucket", GCRA: "GCRA", LeakyBucket: "LeakyBucket"}
	all := Algorithms()
	if len(all) != len(ratemath.Algorithms) || len(all) != len(consts) {
		t.Fatalf("Algorithms() has %d entries, the table %d rows, and there are %d constants",
			len(all), len(ratemath.Algorithms), len(consts))
	}
	for i, a := range all {
		row := &ratemath.Algorithms[i]
		if a.String() != row.Name || consts[a] != row.GoName || fmt.Sprintf("%#v", a) != "runtime."+row.GoName {
			t.Errorf("Algorithm %d: String %q, constant %q, %%#v %#v; the table says %q, %q",
				a, a.String(), consts[a], a, row.Name, row.GoName)
		}
	}
	if s := Algorithm(0).String(); s != "Algorithm(0)" {
		t.Errorf("Algorithm(0).String() = %q", s)
	}
}

// TestReasonValues: the algorithms' rejection reasons are runtime's.
func TestReasonValues(t *testing.T) {
	if Reason(ratemath.ReasonQuota) != ReasonQuota || Reason(ratemath.ReasonDeadline) != ReasonDeadline ||
		Reason(ratemath.ReasonCost) != ReasonCost {
		t.Fatalf("ratemath's reasons %d, %d, %d; runtime's %d, %d, %d",
			ratemath.ReasonQuota, ratemath.ReasonDeadline, ratemath.ReasonCost, ReasonQuota, ReasonDeadline, ReasonCost)
	}
}

// TestUnknownAlgorithmRejected: no store or limiter takes an unknown
// algorithm for another one.
func TestUnknownAlgorithmRejected(t *testing.T) {
	bad := Algorithm(len(ratemath.Algorithms) + 1)
	req := &Request{Limits: []*Limit{{Name: "unknown", Algorithm: bad, Quota: 1, Duration: time.Second, Bucket: 1}},
		Keys: []string{""}}
	if _, err := NewMemoryStore().Decide(context.Background(), req); err == nil {
		t.Error("MemoryStore.Decide decided an unknown algorithm")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewRate accepted an unknown algorithm")
		}
	}()
	NewRate("example.com/p.Unknown", RateSpec{Algorithm: bad, Quota: 1, Duration: time.Second})
}
