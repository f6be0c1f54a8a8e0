package runtime

import "time"

// Overrides is a set of changes to the limits of this program, made while
// it runs (§6 of the contract): one line per override of a rate limit or a
// concurrency limiter, named by its identity. ParseOverrides and
// LoadOverrides build one; Configure(WithOverrides(o)) puts it in force.
// The zero Overrides changes nothing.
//
// An Overrides is immutable and safe for concurrent use.
type Overrides struct {
	set *overrideSet
}

// WithOverrides puts o in force, replacing the set in force as a whole:
// limits o does not name return to their generated values. It takes effect
// from the next decision; every limit keeps its state (counts, timestamps,
// tokens, running and waiting calls).
func WithOverrides(o Overrides) Option {
	return func(c *config) { c.overrides = o.set }
}

// overrideSet is a parsed override text.
type overrideSet struct {
	rate map[limitID]*rateOverrides
	conc map[string]*concOverride // by limiter name (pool= or function)
}

// overrideField is a bit per argument an override line sets.
type overrideField uint32

// The arguments an override may set.
const (
	ovQuota overrideField = 1 << iota
	ovDuration
	ovBurst
	ovBucket
	ovWait
	ovFail
	ovMode
	ovCapacity
	ovQueue
	ovConsumerQuota
	ovPriorityQuota
	ovOrder
	ovMaxWait
)

// rateOverrides are the overrides of one rate limit: the one without key=
// (all, nil when none) and those of single keys.
type rateOverrides struct {
	all  *rateOverride
	keys map[string]*rateOverride
}

// rateOverride is one override line of a rate limit: the values it sets
// (has), the others keep the generated values.
type rateOverride struct {
	has      overrideField
	Quota    int64
	Duration time.Duration
	Burst    int64
	Bucket   int64
	Wait     time.Duration
	Fail     FailPolicy
	Mode     Mode
}

// concOverride is the override line of one concurrency limiter.
type concOverride struct {
	has            overrideField
	Capacity       int
	Queue          int
	ConsumerQuotas []Quota
	PriorityQuotas []Quota
	Order          Order
	MaxWait        time.Duration
	Mode           Mode
}

// ParseOverrides parses an override text and checks it against the limits
// registered in this program. TODO(issue 12).
func ParseOverrides(text string) (Overrides, error) { panic("TODO") }

// LoadOverrides reads and parses the override file at path. TODO(issue 12).
func LoadOverrides(path string) (Overrides, error) { panic("TODO") }
