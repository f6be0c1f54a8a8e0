package runtime

import (
	"fmt"
	"sync"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// The registry gives every limit identity (name and algorithm) one *Limit,
// shared by every Rate naming it, so that functions with the same name= and
// policy share one limit, and refuses conflicting definitions of one
// identity.
var registry struct {
	mu     sync.Mutex
	limits map[limitID]*Limit
}

type limitID struct {
	name string
	alg  Algorithm
}

// registerLimit returns the shared *Limit of l's identity, registering l when
// it is the first. It panics when an earlier definition has other
// parameters.
func registerLimit(function string, l Limit) *Limit {
	a := ratemath.MustLookup(uint8(l.Algorithm))
	if !a.UsesBurst {
		l.Burst = 0
	} else if l.Burst == 0 {
		l.Burst = l.Quota
	}
	if !a.UsesBucket {
		l.Bucket = 0
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.limits == nil {
		registry.limits = make(map[limitID]*Limit)
	}
	id := limitID{l.Name, l.Algorithm}
	if old := registry.limits[id]; old != nil {
		if *old != l {
			panic(fmt.Sprintf("throttle: %s: limit %s %q defined twice with different parameters "+
				"(quota=%d duration=%v burst=%d bucket=%d and quota=%d duration=%v burst=%d bucket=%d)",
				function, l.Algorithm, l.Name, old.Quota, old.Duration, old.Burst, old.Bucket,
				l.Quota, l.Duration, l.Burst, l.Bucket))
		}
		return old
	}
	p := new(Limit)
	*p = l
	registry.limits[id] = p
	return p
}
