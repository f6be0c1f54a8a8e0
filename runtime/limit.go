package runtime

import (
	"strconv"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// Algorithm is a rate algorithm.
type Algorithm uint8

// The rate algorithms; their String values are the directive policies.
// Each is one row of the runtime's algorithm table, which holds its name
// and its arithmetic (see Algorithms).
const (
	FixedWindow Algorithm = iota + 1
	SlidingWindow
	TokenBucket
	GCRA
	LeakyBucket
)

// String returns a's policy name ("gcra"), or "Algorithm(n)" for an
// unknown algorithm.
func (a Algorithm) String() string {
	if d := ratemath.Lookup(uint8(a)); d != nil {
		return d.Name
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// GoString returns a's Go name ("runtime.GCRA"), for %#v and for tools
// that write Go code.
func (a Algorithm) GoString() string {
	if d := ratemath.Lookup(uint8(a)); d != nil {
		return "runtime." + d.GoName
	}
	return "runtime.Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// Algorithms returns every rate algorithm, in order: the rate policies a
// directive may name. The generator derives its policy table from it.
func Algorithms() []Algorithm {
	as := make([]Algorithm, len(ratemath.Algorithms))
	for i := range ratemath.Algorithms {
		as[i] = Algorithm(ratemath.Algorithms[i].ID)
	}
	return as
}

// limitParams validates l and derives its parameters (ratemath.Derive).
func limitParams(l *Limit) (ratemath.Params, error) {
	return ratemath.Derive(uint8(l.Algorithm), l.Quota, l.Duration, l.Burst, l.Bucket)
}

// Limit is one rate limit: its identity (Name and Algorithm) and the
// values in force for a decision. The values of one limit may change from
// one Request to the next (per-call values, overrides): a Store keys the
// limit's state by its identity, never by the *Limit, and keeps that state
// across such changes. A Limit is read-only once in a Request.
type Limit struct {
	Name      string // identity: limits with the same Name and Algorithm are one limit
	Algorithm Algorithm
	Quota     int64
	Duration  time.Duration
	Burst     int64 // token_bucket, gcra: the most calls admitted at once (0 means Quota)
	Bucket    int64 // leaky_bucket: the most calls waiting their turn
}
