package runtime

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// FailPolicy says what a limiter does when its store cannot answer.
type FailPolicy uint8

// The fail policies of the fail= argument.
const (
	FailOpen   FailPolicy = iota // admit the call (the default)
	FailClosed                   // reject it with an error wrapping ErrStoreUnavailable
	// FailLocal decides the call in this process, by an in-memory limit
	// holding this process's share: quota, burst and bucket divided by the
	// number of processes the store saw deciding in the keyspace during the
	// last minute (ProcessCounter; 1 for a store that does not count them),
	// rounded up. When the store answers again, decisions return to it;
	// local decisions are not replayed.
	FailLocal
)

// Scope says where a limiter keeps its state.
type Scope uint8

// The scopes of the scope= argument.
const (
	// ScopeDefault: rate policies use the configured store, concurrency is local.
	ScopeDefault Scope = iota
	// ScopeLocal: always this process (the in-memory store).
	ScopeLocal
	// ScopeGlobal: across processes, through the configured store.
	ScopeGlobal
)

// RateSpec is the parameters of one rate limit: a rate directive's
// arguments as the generator writes them, or what NewRateLimiter is given.
// Algorithm, Quota and Duration are required; the other fields' zero values
// are the directive's defaults.
type RateSpec struct {
	Name      string // the limit's identity; "" means the function's name
	Algorithm Algorithm
	Quota     int64
	Duration  time.Duration
	Burst     int64         // token_bucket, gcra: 0 means Quota
	Bucket    int64         // leaky_bucket: how many calls may wait their turn
	Wait      time.Duration // how long a rejected call may wait for permission
	Fail      FailPolicy
	Scope     Scope
	Keyed     bool // informational: the directive has key=
	// Mode is ModeEnforce (the zero value), ModeShadow or ModeOff.
	Mode Mode
	// PerCall says which of Quota, Burst and Bucket each call gives (Call);
	// the fields themselves are then ignored (a per-call Quota needs no
	// Quota here).
	PerCall PerCall
}

// Rate holds every rate directive of one function, or the one limit of a
// NewRateLimiter. Generated code creates one per function at package
// initialisation and calls Allow or AllowKeys on each call; code that cannot
// carry a directive creates one with NewRateLimiter and calls Allow.
//
// Model: a call is admitted only if every directive admits it, and a rejected
// call consumes from none of them. Each directive's limit is identified by its
// name and algorithm; Rates naming the same identity share its state. The
// configuration (store, keyspace, hook, clock) is read at call time; what a
// Rate derives from it is cached until the next Configure. Limits decided in
// memory (no store configured, a *MemoryStore configured, or scope=local) take
// a path without interface calls or allocations; others make one Store.Decide
// per attempt.
//
// Waiting: token_bucket and gcra with wait=, and leaky_bucket always, reserve
// a future turn in the store and sleep until it; a wait the context's deadline
// cannot cover fails at once, and a wait cut short by the context gives its
// reservation back (Store.Cancel). fixed_window and sliding_window with wait=
// sleep the RetryAfter and decide again, within wait= and the deadline. With
// several reserving directives, a call reserves at most the smallest of their
// wait bounds ahead. Sleeps use the configured Clock.
//
// Values: each directive decides with the values in force for the call: an
// override for its key, else an override for the limit (Overrides, read
// from the configuration), else the call's per-call values (RateSpec.PerCall,
// Call), else the generated ones. A call consumes its Cost in units from
// each directive, all-or-nothing; a directive in ModeOff is skipped, and the
// directives in ModeShadow decide after the enforced ones (see Mode) and
// never reject or delay the call.
//
// Directives decided by different stores (scope=local next to a configured
// shared store) are decided in memory first, then by the store; when the
// store rejects, what the memory limits reserved is given back (a window's
// count is not).
//
// Rejections are read-only values: rejections of one limit identical in
// every field (same key, reason and RetryAfter, i.e. decided in the same
// microsecond) may be the same *ThrottledError, so that a flood of
// rejections does not allocate one error per call.
//
// A Rate is safe for concurrent use.
type Rate struct {
	function string
	specs    []rateSpec
	res      atomic.Pointer[rateRes]
	storeErr atomic.Pointer[wrappedStoreErr] // see storeError
}

// wrappedStoreErr is a store's error and the limiter's error wrapping it.
type wrappedStoreErr struct{ cause, err error }

// rateSpec is a RateSpec resolved at NewRate.
type rateSpec struct {
	RateSpec
	limit   *Limit          // the registered limit (its identity and generated values)
	p       ratemath.Params // limit's params; only Algo when a value is per call
	policy  string
	reserve bool // p.Algo.Reserves: waits are reservations (else a retry loop)
	// last is the latest rejection built for this limit, returned again for
	// an identical one (see rejection). It sits on its own cache line: it
	// changes while the fields above are read by every call.
	_    [64]byte
	last atomic.Pointer[ThrottledError]
	_    [56]byte
}

// NewRate returns the limiter of function (its full name, importpath.Func)
// for specs. It panics on invalid specs (the generator validates them
// first), and when a spec's identity (name and algorithm) was registered
// before with other parameters.
//
// For use by generated code only; see "For generated code" in the package
// documentation. Hand-written code uses NewRateLimiter.
func NewRate(function string, specs ...RateSpec) *Rate {
	if len(specs) == 0 {
		panic("throttle: NewRate(" + function + "): no rate spec")
	}
	r := &Rate{function: function, specs: make([]rateSpec, len(specs))}
	for i, s := range specs {
		if s.Name == "" {
			s.Name = function
		}
		a := ratemath.Lookup(uint8(s.Algorithm))
		l := Limit{Name: s.Name, Algorithm: s.Algorithm, Quota: s.Quota,
			Duration: s.Duration, Burst: s.Burst, Bucket: s.Bucket}
		if s.PerCall&PerCallQuota != 0 {
			l.Quota = 0
		}
		if s.PerCall&PerCallBurst != 0 {
			l.Burst = 0
		}
		if s.PerCall&PerCallBucket != 0 {
			l.Bucket = 0
		}
		check := l // per-call values are checked on each call; 1 stands for them here
		if s.PerCall&PerCallQuota != 0 {
			check.Quota = 1
		}
		if s.PerCall&PerCallBucket != 0 {
			check.Bucket = 1
		}
		if _, err := limitParams(&check); err != nil || s.Wait < 0 || s.Burst < 0 || s.Bucket < 0 ||
			s.Fail > FailLocal || s.Scope > ScopeGlobal || s.Mode > ModeOff ||
			s.PerCall&^(PerCallQuota|PerCallBurst|PerCallBucket) != 0 ||
			(s.PerCall&PerCallBurst != 0 && !a.UsesBurst) || (s.PerCall&PerCallBucket != 0 && !a.UsesBucket) {
			panic(fmt.Sprintf("throttle: NewRate(%s): invalid spec %+v", function, s))
		}
		rl := registerLimit(function, l)
		rs := &r.specs[i]
		rs.RateSpec, rs.limit, rs.policy = s, rl, s.Algorithm.String()
		if s.PerCall == 0 {
			rs.p, _ = limitParams(rl) // as valid as l: the registry only drops parameters the algorithm ignores
		} else {
			rs.p = ratemath.Params{Algo: a}
		}
		rs.reserve = a.Reserves
	}
	return r
}

// Allow decides a call of a function with exactly one rate directive, or of a
// limiter created with NewRateLimiter; key is the caller's key ("" for an
// unkeyed limit). It returns nil when the call may go ahead (after waiting,
// if the limit waits), a *ThrottledError when it is rejected, the context's
// error when a wait was cut short, or, under fail=closed, an error wrapping
// ErrStoreUnavailable. With WithLimitsOff it returns nil at once.
func (r *Rate) Allow(ctx context.Context, key string) error {
	if len(r.specs) != 1 {
		keys := make([]string, len(r.specs))
		for i := range keys {
			keys[i] = key
		}
		return r.AllowKeys(ctx, keys...)
	}
	// The hot path, written out: no call but the decision itself.
	cfg, res := loadConfig(), r.res.Load()
	if res == nil || res.cfg != cfg || cfg.limitsOff {
		if cfg, res = r.load(); cfg == nil {
			return nil // WithLimitsOff
		}
	}
	if res.fast && cfg.hook == nil {
		e := &res.eff[0]
		if res.keyed != nil {
			e = res.eff0(key)
		}
		if e.mode == ModeEnforce && e.perCall == 0 {
			if e.bound == 0 && e.p.Algo.ID == uint8(GCRA) {
				// r.takeGCRA, written out: the call would cost 4% here
				// (BenchmarkRateAllowed/gcra, 44 against 46 ns).
				var ra int64
				if key == "" {
					ra = e.t.one.takeGCRA(&e.p, res, 1)
				} else {
					ra = e.t.takeKeyedGCRA(&e.p, key, res.now(), 1)
				}
				if ra == 0 {
					return nil
				}
				return r.specs[0].rejection(key, ReasonQuota, time.Duration(ra)*time.Microsecond)
			}
			return r.allowMem(ctx, cfg, res, e, &e.p, key, 1)
		}
		if e.mode == ModeShadow && e.perCall == 0 {
			shadowMem(ctx, res, e, &e.p, key, 1)
			return nil
		}
	}
	calls := [1]Call{{Key: key, Cost: 1}}
	return r.allowCalls(ctx, cfg, res, calls[:])
}

// takeGCRA decides a call of cost 1 <= cost <= p.MaxCost on the one gcra
// limit of a Rate decided in memory that does not wait: the hottest path,
// lock-free (see oneSlot.takeGCRA).
func (r *Rate) takeGCRA(res *rateRes, e *effSpec, p *ratemath.Params, key string, cost int64) error {
	var ra int64
	if key == "" {
		ra = e.t.one.takeGCRA(p, res, cost)
	} else {
		ra = e.t.takeKeyedGCRA(p, key, res.now(), cost)
	}
	if ra == 0 {
		return nil
	}
	return r.specs[0].rejection(key, ReasonQuota, time.Duration(ra)*time.Microsecond)
}

// shadowMem is Rate.shadow for a Rate whose one limit, in mode=shadow, is
// decided in memory without a hook: the decision leaves its state (a
// reservation is kept, as enforce would make it), and nothing else sees it.
func shadowMem(ctx context.Context, res *rateRes, e *effSpec, p *ratemath.Params, key string, cost int64) {
	if e.bound == 0 && p.Algo.ID == uint8(GCRA) && cost >= 1 && cost <= p.MaxCost {
		if key == "" {
			e.t.one.takeGCRA(p, res, cost)
		} else {
			e.t.takeKeyedGCRA(p, key, res.now(), cost)
		}
		return
	}
	var maxWait int64
	if e.bound != 0 {
		maxWait = clipWait(ctx, e.bound, 0)
	}
	e.t.decideOne(p, key, res.now(), maxWait, cost)
}

// allowMem decides a call of a Rate whose one limit is decided in memory,
// enforced, without a hook: the hot path, without allocation. e is the
// limit's values in force for key, p its params for the call.
func (r *Rate) allowMem(ctx context.Context, cfg *config, res *rateRes, e *effSpec, p *ratemath.Params, key string, cost int64) error {
	s := &r.specs[0]
	if e.bound == 0 && s.Algorithm == GCRA && cost >= 1 && cost <= p.MaxCost {
		return r.takeGCRA(res, e, p, key, cost)
	}
	var maxWait int64
	if e.bound != 0 {
		maxWait = clipWait(ctx, e.bound, 0)
	}
	o := e.t.decideOne(p, key, res.now(), maxWait, cost)
	if o.Allowed && o.Delay == 0 {
		return nil
	}
	if !o.Allowed && (s.reserve || e.bound == 0 || Reason(o.Reason) == ReasonCost) {
		return r.reject(ctx, s, e, key, Reason(o.Reason), time.Duration(o.RetryAfter)*time.Microsecond, 0)
	}
	cs := [1]callSpec{{e: e, key: key, cost: cost, p: p}}
	var waited int64
	if err, again := r.finish(ctx, cfg, res, cs[:], toDecision(o), nil, &waited); !again {
		return err
	}
	return r.enforce(ctx, cfg, res, cs[:], waited)
}

// AllowKeys decides a call of a function with several rate directives; keys
// holds one key per directive, in order. See Allow for the results.
//
// For use by generated code only; see "For generated code" in the package
// documentation.
func (r *Rate) AllowKeys(ctx context.Context, keys ...string) error {
	if len(keys) != len(r.specs) {
		panic(fmt.Sprintf("throttle: %s: AllowKeys got %d keys for %d rate directives",
			r.function, len(keys), len(r.specs)))
	}
	cfg, res := r.load()
	if cfg == nil {
		return nil // WithLimitsOff
	}
	var buf [4]Call
	calls := buf[:0]
	for _, k := range keys {
		calls = append(calls, Call{Key: k, Cost: 1})
	}
	return r.allowCalls(ctx, cfg, res, calls)
}

// clipWait bounds a limit's wait (µs, -1 unbounded), less what the call has
// waited already, by the time left before ctx's deadline.
func clipWait(ctx context.Context, bound, waited int64) int64 {
	if bound > 0 {
		bound = max(bound-waited, 0)
	}
	if dl, ok := ctx.Deadline(); ok {
		left := max(int64(time.Until(dl)/time.Microsecond), 0)
		if bound < 0 || left < bound {
			return left
		}
	}
	return bound
}

// reject builds the rejection of the call by spec s. A limit whose own wait
// bound would have covered RetryAfter, where the context's deadline did not,
// rejects for ReasonDeadline.
func (r *Rate) reject(ctx context.Context, s *rateSpec, e *effSpec, key string, reason Reason, retryAfter time.Duration, waited int64) error {
	if reason == ReasonQuota && e.bound > 0 && !s.p.Algo.Paces { // one that paces tells deadline itself
		ra := ratemath.Micros(retryAfter)
		if ra <= e.bound-waited && clipWait(ctx, e.bound, waited) < ra {
			reason = ReasonDeadline
		}
	}
	return s.rejection(key, reason, retryAfter)
}

// rejection returns the rejection of key by s. Rejections are read-only
// values: one identical to the latest rejection s built (same key, reason
// and RetryAfter, so decided in the same microsecond) is that same
// *ThrottledError, so a flood of rejections allocates at most one error per
// microsecond and limit instead of one per call.
func (s *rateSpec) rejection(key string, reason Reason, retryAfter time.Duration) *ThrottledError {
	if e := s.last.Load(); e != nil && e.RetryAfter == retryAfter && e.Reason == reason && e.Key == key {
		return e
	}
	e := &ThrottledError{Policy: s.policy, Name: s.Name, Key: key, Reason: reason, RetryAfter: retryAfter}
	s.last.Store(e)
	return e
}
