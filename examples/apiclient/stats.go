package main

import (
	"sync"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// statsHook counts the decisions the program prints. It is a
// throttle.Hook, safe for concurrent use.
type statsHook struct {
	mu sync.Mutex
	s  stats
}

type stats struct {
	cacheHits, cacheMisses                int
	rateAllowed, rateWaited, rateRejected int
}

// OnDecision implements throttle.Hook.
func (h *statsHook) OnDecision(e throttle.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch e.Policy {
	case "cache":
		if e.Err != nil {
			return
		}
		if e.Allowed {
			h.s.cacheHits++
		} else {
			h.s.cacheMisses++
		}
	case "gcra":
		switch {
		case !e.Allowed:
			h.s.rateRejected++
		case e.Wait > 0:
			h.s.rateAllowed++
			h.s.rateWaited++
		default:
			h.s.rateAllowed++
		}
	}
}

func (h *statsHook) snapshot() stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.s
}
