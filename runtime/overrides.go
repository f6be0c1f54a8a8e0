package runtime

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

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

// Len returns how many override lines o holds.
func (o Overrides) Len() int {
	if o.set == nil {
		return 0
	}
	return o.set.lines
}

// WithOverrides puts o in force, replacing the set in force as a whole:
// limits o does not name return to their generated values. It takes effect
// from the next decision; every limit keeps its state (counts, timestamps,
// tokens, running and waiting calls). Concurrency limiters whose capacity
// grows hand the new slots to their waiting calls at once; a capacity that
// shrinks never stops running calls: new calls wait until fewer than the new
// capacity run.
func WithOverrides(o Overrides) Option {
	return func(c *config) { c.overrides = o.set }
}

// overrideSet is a parsed override text. It is never modified once
// ParseOverrides returns it.
type overrideSet struct {
	rate  map[limitID]*rateOverrides
	conc  map[string]*concOverride // by limiter name (pool= or function)
	lines int                      // override lines, for Len
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
// (all, nil when none) and those of single keys. A key's line replaces the
// line without key= for that key as a whole: arguments the key's line does
// not give keep the generated values, not those of the line without key=.
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

// OverrideProblem is one error of an override text: where (Line and Col
// count from 1; Col counts bytes, as go/token does) and what.
type OverrideProblem struct {
	Line, Col int
	Msg       string
}

// String returns "line:col: message".
func (p OverrideProblem) String() string {
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) + ": " + p.Msg
}

// OverrideError is the error of ParseOverrides and LoadOverrides for a text
// with errors: every problem found, in the order of the text. Its Error is
// one "line:col: message" line per problem, each prefixed with "Path:" when
// Path is set (LoadOverrides).
type OverrideError struct {
	Path     string // the file's path; "" for ParseOverrides
	Problems []OverrideProblem
}

func (e *OverrideError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.Path != "" {
			b.WriteString(e.Path)
			b.WriteByte(':')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// ParseOverrides parses an override text and checks it against the limits
// registered in this program (the rate limits and the named concurrency
// limiters its wrappers and NewRateLimiter and NewConcurrency calls have
// created).
//
// The text has one override per line; blank lines and comments (from a '#'
// that starts a word to the end of the line) are ignored:
//
//	# NAME                  POLICY         ARGUMENTS                      [key=VALUE]
//	weather-vendor          gcra           quota=50 burst=10
//	example.com/users.Get   sliding_window quota=100 duration=1m mode=shadow
//	example.com/users.Get   sliding_window quota=1000 key=acme
//	api                     concurrency    capacity=64 queue=128 priority_quota=low:0.2
//
// NAME is a limit's identity (its name=, else the function's full name
// importpath.Func; a concurrency limiter's pool=, else the function's full
// name) and POLICY its policy. Values (and NAME) are written as in
// directives: bare, a Go-quoted "string" or a `raw string`. The arguments,
// checked as the directive checks them (literals only, no constants):
//
//	rate policies  quota, duration, burst (token_bucket, gcra), bucket
//	               (leaky_bucket), wait, fail (open|closed|local),
//	               mode (enforce|shadow|off), and key=VALUE
//	concurrency    capacity, queue, consumer_quota, priority_quota,
//	               order (lifo|fifo), max_wait, mode
//
// Arguments not given keep the generated values. key=VALUE makes the line
// apply to the calls whose key (as the wrapper computes it) is VALUE only;
// such a line wins, as a whole, over the line without key=. The
// expressions and identities (key= as an expression, consumer, priority,
// cost, name, pool, scope) cannot be overridden. Two lines for the same
// name, policy and key are an error.
//
// On any error, ParseOverrides returns the zero Overrides and an
// *OverrideError listing every problem as "line:col: message", with a
// "did you mean" for misspelt names, policies and arguments. An empty text
// (or one of comments only) gives an empty, non-zero set: in force, it
// returns every limit to its generated values.
//
// ParseOverrides is safe for concurrent use.
func ParseOverrides(text string) (Overrides, error) {
	set, problems := parseOverrides(text, registeredLimits())
	if len(problems) > 0 {
		return Overrides{}, &OverrideError{Problems: problems}
	}
	return Overrides{set: set}, nil
}

// LoadOverrides reads the override file at path and parses it as
// ParseOverrides does. The errors of a file with errors are prefixed with
// its path ("path:line:col: message").
func LoadOverrides(path string) (Overrides, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Overrides{}, fmt.Errorf("throttle: overrides: %w", err)
	}
	o, err := ParseOverrides(string(b))
	if oe, ok := err.(*OverrideError); ok {
		oe.Path = path
	}
	return o, err
}
