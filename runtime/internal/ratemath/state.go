package ratemath

// State is the per-key state of an algorithm that keeps Words (1 or 2)
// integers. What the words mean is the algorithm's: each algorithm's file
// gives them names (a constructor and accessors) and nothing else reads
// them. The stores only move states around: the memory store keeps a
// one-word state as a bare word (Word, WordState), and the Redis store
// keeps it as the string "w0" or "w0 w1".
type State struct{ w0, w1 int64 }

// WordState is the one-word state w (Algorithm.Words == 1).
func WordState(w int64) State { return State{w0: w} }

// Word is a one-word state's word.
func (s State) Word() int64 { return s.w0 }

// Reasons a decision rejects a call for: the values of runtime.Reason
// (runtime's tests check that they agree).
const (
	ReasonQuota    uint8 = 1 // runtime.ReasonQuota
	ReasonDeadline uint8 = 5 // runtime.ReasonDeadline
	ReasonCost     uint8 = 6 // runtime.ReasonCost
)

// costRejection is the outcome of a call whose cost is above p.MaxCost:
// no state can ever admit it, so it is rejected at once, RetryAfter 0.
var costRejection = Outcome{Reason: ReasonCost}

// Outcome is one algorithm's decision for one limit.
type Outcome struct {
	Allowed    bool
	Reason     uint8 // ReasonQuota, ReasonDeadline or ReasonCost when rejected
	Rem, Per   int64 // remaining is Rem/Per (Per 0 means 1): the division is left to who needs it
	Delay      int64 // µs an admitted call waits for its turn
	RetryAfter int64 // µs until a rejected call would be admitted, > 0 (0 for ReasonCost: never)
	TTL        int64 // µs after now when the committed state is fresh again
}

// Remaining is how many more units the limit would admit now.
func (o *Outcome) Remaining() int64 {
	if o.Per == 0 {
		return o.Rem
	}
	return o.Rem / o.Per
}
