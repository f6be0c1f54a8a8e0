package main

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"sync"
	"time"
)

// Vendor is a stand-in for the weather vendor: it serves GET
// /forecast?city=NAME and enforces its own limit, independently of
// throttlegen, with a token bucket over the wall clock. It counts what it
// served and what it refused, so a run can show that the client kept to the
// vendor's quota. A Vendor is safe for concurrent use.
type Vendor struct {
	Rate  float64 // calls per second
	Burst float64 // the most calls at once

	mu       sync.Mutex
	tokens   float64
	last     time.Time
	served   int
	refused  int
	first    time.Time
	latest   time.Time
	perCity  map[string]int
	initDone bool
}

// VendorStats is what a Vendor has seen.
type VendorStats struct {
	Served, Refused int
	Span            time.Duration // from the first to the latest request
	MaxPerCity      int           // the most calls for any one city
}

// NewVendor returns a vendor allowing rate calls per second with bursts of
// burst.
func NewVendor(rate, burst float64) *Vendor {
	return &Vendor{Rate: rate, Burst: burst, perCity: map[string]int{}}
}

// ServeHTTP implements http.Handler.
func (v *Vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/forecast" {
		http.NotFound(w, r)
		return
	}
	city := r.URL.Query().Get("city")
	if !v.admit(city, time.Now()) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	h := fnv.New32a()
	h.Write([]byte(city))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Forecast{City: city, TempC: int(h.Sum32()%40) - 5})
}

func (v *Vendor) admit(city string, now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.initDone {
		v.initDone, v.tokens, v.last, v.first = true, v.Burst, now, now
	}
	v.tokens = min(v.Burst, v.tokens+now.Sub(v.last).Seconds()*v.Rate)
	v.last, v.latest = now, now
	if v.tokens < 1 {
		v.refused++
		return false
	}
	v.tokens--
	v.served++
	v.perCity[city]++
	return true
}

// Stats returns what v has seen so far.
func (v *Vendor) Stats() VendorStats {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := VendorStats{Served: v.served, Refused: v.refused, Span: v.latest.Sub(v.first)}
	for _, n := range v.perCity {
		s.MaxPerCity = max(s.MaxPerCity, n)
	}
	return s
}
