package runtime

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestDecideManyLimits: a decision over more limits than fit on the stack
// (maxStackLimits) decides all-or-nothing like a small one.
func TestDecideManyLimits(t *testing.T) {
	s := NewMemoryStore()
	req := &Request{Now: time.Unix(1_700_000_000, 0)}
	for i := range maxStackLimits + 3 {
		alg := Algorithms()[i%len(Algorithms())]
		req.Limits = append(req.Limits, &Limit{Name: "many" + strconv.Itoa(i), Algorithm: alg,
			Quota: 1, Duration: time.Hour, Bucket: 1})
		req.Keys = append(req.Keys, []string{"", "k"}[i%2])
	}
	ctx := context.Background()
	if d, err := s.Decide(ctx, req); err != nil || !d.Allowed {
		t.Fatalf("first call: %+v, %v", d, err)
	}
	if d, err := s.Decide(ctx, req); err != nil || d.Allowed || d.Reason != ReasonQuota {
		t.Fatalf("second call: %+v, %v; want a rejection for quota", d, err)
	}
}
