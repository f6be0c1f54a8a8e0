package runtime

import (
	"strconv"
	"time"
)

// Algorithm is a rate algorithm.
type Algorithm uint8

// The rate algorithms; their String values are the directive policies.
const (
	FixedWindow Algorithm = iota + 1
	SlidingWindow
	TokenBucket
	GCRA
	LeakyBucket
)

var algorithmNames = [...]string{
	FixedWindow:   "fixed_window",
	SlidingWindow: "sliding_window",
	TokenBucket:   "token_bucket",
	GCRA:          "gcra",
	LeakyBucket:   "leaky_bucket",
}

func (a Algorithm) String() string {
	if int(a) < len(algorithmNames) && algorithmNames[a] != "" {
		return algorithmNames[a]
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// Limit is one rate limit: its identity and parameters. It is immutable once
// built; stores may use a *Limit as a map key.
type Limit struct {
	Name      string // identity: limits with the same Name and Algorithm are one limit
	Algorithm Algorithm
	Quota     int64
	Duration  time.Duration
	Burst     int64 // token_bucket, gcra: the most calls admitted at once (0 means Quota)
	Bucket    int64 // leaky_bucket: the most calls waiting their turn
}
