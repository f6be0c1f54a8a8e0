package charts

import (
	"context"
	"fmt"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// Algo is one algorithm as the charts show it: the directive a user would
// write and the limit the runtime builds from it.
type Algo struct {
	Directive string // e.g. "//throttle:gcra quota=10 duration=1s"
	Note      string // one line on what to look for
	Limit     runtime.Limit
}

// Algos are the five rate algorithms, all at 10 calls per second.
var Algos = []Algo{
	{
		Directive: "//throttle:fixed_window quota=10 duration=1s",
		Note:      "windows restart on each whole second: the burst straddling 3s gets 2x the limit within one second",
		Limit:     runtime.Limit{Algorithm: runtime.FixedWindow, Quota: 10, Duration: time.Second},
	},
	{
		Directive: "//throttle:sliding_window quota=10 duration=1s",
		Note:      "never more than 10 calls in any 1s interval: the burst is cut hardest",
		Limit:     runtime.Limit{Algorithm: runtime.SlidingWindow, Quota: 10, Duration: time.Second},
	},
	{
		Directive: "//throttle:token_bucket quota=10 duration=1s burst=10",
		Note:      "a full bucket absorbs the start of the burst, then calls pass as tokens refill",
		Limit:     runtime.Limit{Algorithm: runtime.TokenBucket, Quota: 10, Duration: time.Second, Burst: 10},
	},
	{
		Directive: "//throttle:gcra quota=10 duration=1s burst=10",
		Note:      "the same admissions as token_bucket, from one number of state",
		Limit:     runtime.Limit{Algorithm: runtime.GCRA, Quota: 10, Duration: time.Second, Burst: 10},
	},
	{
		Directive: "//throttle:leaky_bucket quota=10 duration=1s bucket=5",
		Note:      "calls wait their turn, 100ms apart; a call finding 5 waiting is rejected",
		Limit:     runtime.Limit{Algorithm: runtime.LeakyBucket, Quota: 10, Duration: time.Second, Bucket: 5},
	},
}

// Outcome is what the runtime decided for one call.
type Outcome uint8

// The outcomes a chart distinguishes.
const (
	Admitted Outcome = iota // runs at once
	Waited                  // admitted for a later turn (leaky_bucket)
	Rejected
)

// Call is one call of the trace and its decision.
type Call struct {
	At      time.Duration // arrival, from Start
	Outcome Outcome
	Delay   time.Duration // for Waited: how long after At the call runs
}

// Simulate replays arrivals against a fresh in-memory store holding only a's
// limit. leaky_bucket waits by nature and without a deadline, so it decides
// with an unbounded MaxWait; the others decide as wrappers without wait= do.
func Simulate(ctx context.Context, a Algo, arrivals []time.Duration) ([]Call, error) {
	store := runtime.NewMemoryStore()
	l := a.Limit
	l.Name = "charts." + l.Algorithm.String()
	var maxWait time.Duration
	if l.Algorithm == runtime.LeakyBucket {
		maxWait = -1
	}
	req := &runtime.Request{Keyspace: "charts", Limits: []*runtime.Limit{&l}, Keys: []string{""}, MaxWait: maxWait}
	calls := make([]Call, 0, len(arrivals))
	for _, at := range arrivals {
		req.Now = Start.Add(at)
		d, err := store.Decide(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("charts: %s at %v: %w", l.Algorithm, at, err)
		}
		c := Call{At: at, Outcome: Rejected}
		switch {
		case d.Allowed && d.Delay > 0:
			c.Outcome, c.Delay = Waited, d.Delay
		case d.Allowed:
			c.Outcome = Admitted
		}
		calls = append(calls, c)
	}
	return calls, nil
}
