package runtime

import (
	"context"
	"reflect"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// callSpec is one directive's part of one call: the values in force (e),
// the params (e's, or derived from the call's own values), key and cost.
type callSpec struct {
	i    int // index in r.specs
	e    *effSpec
	p    *ratemath.Params // &e.p, or the params of the call's own values
	key  string
	cost int64
}

// own reports whether the call has values of its own (per-call values).
func (c *callSpec) own() bool { return c.p != &c.e.p }

// limit returns the limit in force for the call: e's, or one with the
// call's own values.
func (c *callSpec) limit() Limit {
	l := *c.e.limit
	if c.own() {
		l.Quota, l.Burst, l.Bucket = c.p.Quota, c.p.Burst, c.p.Bucket
		if !c.p.Algo.UsesBurst {
			l.Burst = 0
		}
	}
	return l
}

// allowCalls decides a call: one Call per directive, in order.
func (r *Rate) allowCalls(ctx context.Context, cfg *config, res *rateRes, calls []Call) error {
	var buf [4]callSpec
	cs := buf[:0]
	if len(calls) > len(buf) {
		cs = make([]callSpec, 0, len(calls))
	}
	nShadow := 0
	for i := range r.specs {
		s, c := &r.specs[i], &calls[i]
		e := res.effFor(i, c.Key)
		if e.mode == ModeOff {
			continue
		}
		x := callSpec{i: i, e: e, p: &e.p, key: c.Key, cost: c.Cost}
		var err error
		if c.Cost < 0 {
			err = r.invalidCost(s, c.Cost)
		} else if e.perCall != 0 {
			x.p, err = r.perCallParams(s, e, c)
		}
		if err != nil {
			if e.mode != ModeShadow {
				return err
			}
			// A shadow limit never fails a call: the hook hears of it.
			x.p = &e.p
			r.emit(cfg, []callSpec{x}, false, -1, 0, 0, err, true)
			continue
		}
		cs = append(cs, x)
		if e.mode == ModeShadow {
			nShadow++
		}
	}
	switch {
	case len(cs) == 0:
		return nil
	case nShadow == 0:
		return r.enforce(ctx, cfg, res, cs, 0)
	case nShadow == len(cs):
		r.shadow(ctx, cfg, res, cs)
		return nil
	}
	// Enforced limits first, then, if they admit the call, the shadow ones
	// (each as one all-or-nothing decision).
	var ebuf, sbuf [4]callSpec
	enf, sh := ebuf[:0], sbuf[:0]
	for _, c := range cs {
		if c.e.mode == ModeShadow {
			sh = append(sh, c)
		} else {
			enf = append(enf, c)
		}
	}
	if err := r.enforce(ctx, cfg, res, enf, 0); err != nil {
		return err
	}
	r.shadow(ctx, cfg, res, sh)
	return nil
}

// enforce decides a call over cs, waiting where the directives allow it;
// waited is how long (µs) the call has waited already.
func (r *Rate) enforce(ctx context.Context, cfg *config, res *rateRes, cs []callSpec, waited int64) error {
	for {
		d, err := r.decide(ctx, res, cs, r.maxWait(ctx, cs, waited))
		if err, again := r.finish(ctx, cfg, res, cs, d, err, &waited); !again {
			return err
		}
	}
}

// shadow decides a call over cs, all in mode=shadow, as enforce would in
// one decision, leaving the same state, but lets the call go ahead at once
// whatever the decision, and tells the hook: a call enforce would reject is
// an event with Allowed false and Shadow true. A call enforce would make
// wait goes ahead at once too, reported with Allowed true, Shadow true and
// the wait it was spared (as a shadow concurrency limiter reports a call
// that would have queued): a reservation (token_bucket, gcra, leaky_bucket)
// is kept, so the state is enforce's; a window limit whose wait= would have
// covered its RetryAfter (enforce would sleep and ask again) consumes
// nothing.
func (r *Rate) shadow(ctx context.Context, cfg *config, res *rateRes, cs []callSpec) {
	d, err := r.decide(ctx, res, cs, r.maxWait(ctx, cs, 0))
	var storeErr error
	if err != nil {
		storeErr = r.storeError(err)
		if !d.Allowed && d.Reason == 0 { // fail=closed
			r.emit(cfg, cs, false, -1, 0, 0, storeErr, true)
			return
		}
	}
	if d.Allowed { // a call enforce would make wait went ahead at once: Shadow
		r.emit(cfg, cs, true, -1, 0, ratemath.Micros(d.Delay), storeErr, d.Delay > 0)
		return
	}
	i := d.Rejected
	if i < 0 || i >= len(cs) {
		i = 0
	}
	e := cs[i].e
	ra := ratemath.Micros(d.RetryAfter)
	if d.Reason == ReasonQuota && !r.specs[cs[i].i].reserve && e.bound > 0 && ra <= clipWait(ctx, e.bound, 0) {
		r.emit(cfg, cs, true, -1, 0, ra, storeErr, true)
		return
	}
	r.emit(cfg, cs, false, i, d.Reason, 0, storeErr, true)
}

// maxWait is how far ahead (µs, -1 unbounded) the call may reserve: the
// tightest bound of its reserving limits, clipped by the context's deadline;
// 0 when no limit reserves.
func (r *Rate) maxWait(ctx context.Context, cs []callSpec, waited int64) int64 {
	m, any := int64(-1), false
	for j := range cs {
		if !r.specs[cs[j].i].reserve {
			continue
		}
		any = true
		b := cs[j].e.bound
		if b > 0 {
			b = max(b-waited, 0)
		}
		if b >= 0 && (m < 0 || b < m) {
			m = b
		}
	}
	if !any || m == 0 {
		return 0
	}
	return clipWait(ctx, m, 0)
}

// memCalls returns the memory part of cs (all of it when idx is nil) as
// memCalls in buf, and in idx the index in cs of each.
func memCalls(cs []callSpec, buf []memCall, idx []int) ([]memCall, []int) {
	for j := range cs {
		if c := &cs[j]; c.e.t != nil {
			buf = append(buf, memCall{t: c.e.t, p: c.p, key: c.key, cost: c.cost})
			if idx != nil {
				idx = append(idx, j)
			}
		}
	}
	return buf, idx
}

// decide asks the memory tables and the store for one decision over cs;
// Rejected in the result indexes cs. When the store fails, the error is
// returned with an admitting decision under fail=open and a rejecting one
// under fail=closed.
func (r *Rate) decide(ctx context.Context, res *rateRes, cs []callSpec, maxWait int64) (Decision, error) {
	var mbuf [4]memCall
	if res.allMem {
		mc, _ := memCalls(cs, mbuf[:0], nil)
		return decideCalls(mc, res.now(), maxWait), nil
	}
	for j := range cs { // a cost no limit could ever admit needs no round trip (nor may a remembered rejection answer it)
		if cs[j].cost > cs[j].p.MaxCost {
			return Decision{Rejected: j, Reason: ReasonCost}, nil
		}
	}
	// The clock is read only when needed: a store whose breaker is open
	// answers for limits all decided by it without it.
	now := decisionTime{res: res}
	if d, ok := r.hotRejection(cs, &now, maxWait); ok {
		return d, nil
	}
	dm := Decision{Allowed: true, Rejected: -1, Remaining: maxInt64}
	var ibuf [4]int
	mc, idx := memCalls(cs, mbuf[:0], ibuf[:0])
	if len(mc) > 0 {
		dm = decideCalls(mc, now.get(), maxWait)
		if !dm.Allowed {
			dm.Rejected = idx[dm.Rejected]
			return dm, nil
		}
	}
	var ds Decision
	var err error
	if res.avail != nil {
		err = res.avail.Unavailable()
	}
	if err == nil {
		sent := now.get() // before the request: a remembered rejection never outlasts the store's
		if ds, err = res.store.Decide(ctx, storeRequest(res, cs, maxWait)); err == nil && !ds.Allowed {
			undoMem(cs, sent)
			j := storeIndex(cs, ds.Rejected)
			ds.Rejected = j
			if ds.Reason == ReasonQuota {
				c := &cs[j]
				c.e.hot.remember(c.key, c.cost, c.p, sent, ratemath.Micros(ds.RetryAfter), maxWait)
			}
			return ds, nil
		}
	}
	if err != nil {
		closed, local := false, false
		for j := range cs {
			if cs[j].e.t == nil {
				closed = closed || cs[j].e.fail == FailClosed
				local = local || cs[j].e.fail == FailLocal
			}
		}
		switch {
		case closed:
			if len(mc) > 0 {
				undoMem(cs, now.get())
			}
			return Decision{Rejected: -1}, err
		case local:
			return r.decideLocal(res, cs, dm, now.get(), maxWait), err
		}
		return dm, err
	}
	ds.Delay = max(ds.Delay, dm.Delay)
	ds.Remaining = min(ds.Remaining, dm.Remaining)
	return ds, nil
}

// decisionTime is a decision's time (µs), read from the clock on first use.
type decisionTime struct {
	res *rateRes
	t   int64
	ok  bool
}

func (d *decisionTime) get() int64 {
	if !d.ok {
		d.t, d.ok = d.res.now(), true
	}
	return d.t
}

// storeIndex returns the index in cs of the k-th store-decided limit (the
// first when k is out of range).
func storeIndex(cs []callSpec, k int) int {
	first := -1
	n := 0
	for j := range cs {
		if cs[j].e.t != nil {
			continue
		}
		if first < 0 {
			first = j
		}
		if n == k {
			return j
		}
		n++
	}
	return max(first, 0)
}

// hotRejection returns the rejection of a call that a store-decided limit's
// rejection memory (hotKeys) answers without asking the store; ok is false
// when the store must decide.
func (r *Rate) hotRejection(cs []callSpec, now *decisionTime, maxWait int64) (d Decision, ok bool) {
	for j := range cs {
		c := &cs[j]
		if c.e.hot == nil {
			continue
		}
		if ra := c.e.hot.rejected(c.key, c.cost, c.p, now, maxWait); ra > 0 {
			return Decision{Rejected: j, RetryAfter: time.Duration(ra) * time.Microsecond, Reason: ReasonQuota}, true
		}
	}
	return Decision{}, false
}

// storeRequest builds the store's part of a decision over cs.
func storeRequest(res *rateRes, cs []callSpec, maxWait int64) *Request {
	mw := time.Duration(-1)
	if maxWait >= 0 {
		mw = time.Duration(maxWait) * time.Microsecond
	}
	n, plain := 0, true
	for j := range cs {
		if cs[j].e.t == nil {
			n++
			plain = plain && !cs[j].own() && cs[j].cost == 1
		}
	}
	if n == 1 { // the common case, in one allocation
		one := &oneKeyRequest{}
		c := &cs[storeIndex(cs, 0)]
		one.key[0], one.limit[0], one.cost[0] = c.key, c.e.limit, c.cost
		if c.own() {
			l := c.limit() // per-call values: one more allocation, not a larger request for every call
			one.limit[0] = &l
		}
		one.Request = Request{Keyspace: res.cfg.keyspace, Limits: one.limit[:], Keys: one.key[:], MaxWait: mw}
		if c.cost != 1 {
			one.Request.Costs = one.cost[:]
		}
		return &one.Request
	}
	req := &Request{Keyspace: res.cfg.keyspace, Limits: make([]*Limit, 0, n), Keys: make([]string, 0, n), MaxWait: mw}
	if !plain {
		req.Costs = make([]int64, 0, n)
	}
	for j := range cs {
		c := &cs[j]
		if c.e.t != nil {
			continue
		}
		l := c.e.limit
		if c.own() {
			cp := c.limit()
			l = &cp
		}
		req.Limits, req.Keys = append(req.Limits, l), append(req.Keys, c.key)
		if !plain {
			req.Costs = append(req.Costs, c.cost)
		}
	}
	return req
}

// oneKeyRequest is a Request over one limit, with its slices.
type oneKeyRequest struct {
	Request
	key   [1]string
	limit [1]*Limit
	cost  [1]int64
}

// cancelMem gives back what the memory part of an admitted decision reserved.
func cancelMem(res *rateRes, cs []callSpec) {
	now := res.now()
	for j := range cs {
		if c := &cs[j]; c.e.t != nil {
			c.e.t.cancelOne(c.p, c.key, now, c.cost)
		}
	}
}

// undoMem takes back the memory part of a decision, made at time now, that
// the store then rejected (all-or-nothing): see memTable.undoOne.
func undoMem(cs []callSpec, now int64) {
	for j := range cs {
		if c := &cs[j]; c.e.t != nil {
			c.e.t.undoOne(c.p, c.key, now, c.cost)
		}
	}
}

// cancel gives back what an admitted decision reserved.
func (r *Rate) cancel(ctx context.Context, res *rateRes, cs []callSpec) {
	cancelMem(res, cs)
	if res.store != nil {
		// The caller's context has ended; the give-back must still happen.
		_ = res.store.Cancel(context.WithoutCancel(ctx), storeRequest(res, cs, 0))
	}
}

// storeError returns storeUnavailable(r.function, err). It keeps the error it
// built last and returns it again for the same err, so that a store failing
// every call with one error value (an open breaker's) costs no allocation
// per call.
func (r *Rate) storeError(err error) error {
	comparable := reflect.TypeOf(err).Comparable()
	if w := r.storeErr.Load(); w != nil && comparable && w.cause == err {
		return w.err
	}
	w := &wrappedStoreErr{cause: err, err: storeUnavailable(r.function, err)}
	if comparable {
		r.storeErr.Store(w)
	}
	return w.err
}

// finish acts on decision d: sleeps an admitted call's Delay, sleeps and asks
// again (again = true) for a window limit whose wait= covers RetryAfter, or
// builds the rejection. waited accumulates the µs slept.
func (r *Rate) finish(ctx context.Context, cfg *config, res *rateRes, cs []callSpec, d Decision, err error, waited *int64) (_ error, again bool) {
	var storeErr error // reported to the hook with the final decision
	if err != nil {
		if !d.Allowed && d.Reason == 0 { // fail=closed
			storeErr = r.storeError(err)
			r.emit(cfg, cs, false, -1, 0, *waited, storeErr, false)
			return storeErr, false
		}
		if cfg.hook != nil {
			storeErr = r.storeError(err)
		}
	}
	if d.Allowed {
		if d.Delay > 0 {
			if serr := sleep(ctx, cfg.clock, d.Delay); serr != nil {
				r.cancel(ctx, res, cs)
				*waited += ratemath.Micros(d.Delay)
				r.emit(cfg, cs, false, -1, ReasonDeadline, *waited, serr, false)
				return serr, false
			}
			*waited += ratemath.Micros(d.Delay)
		}
		if cfg.hook != nil {
			r.emit(cfg, cs, true, -1, 0, *waited, storeErr, false)
		}
		return nil, false
	}
	j := d.Rejected
	if j < 0 || j >= len(cs) {
		j = 0
	}
	s, e := &r.specs[cs[j].i], cs[j].e
	ra := ratemath.Micros(d.RetryAfter)
	if d.Reason == ReasonQuota && !s.reserve && e.bound > 0 && ra <= e.bound-*waited && ra <= clipWait(ctx, e.bound, *waited) {
		if serr := sleep(ctx, cfg.clock, d.RetryAfter); serr != nil {
			*waited += ra
			r.emit(cfg, cs, false, j, ReasonDeadline, *waited, serr, false)
			return serr, false
		}
		*waited += ra
		return nil, true
	}
	rej := r.reject(ctx, s, e, cs[j].key, d.Reason, d.RetryAfter, *waited)
	if cfg.hook != nil {
		r.emit(cfg, cs, false, j, rej.(*ThrottledError).Reason, *waited, storeErr, false)
	}
	return rej, false
}

// sleep waits d on clk, or until ctx ends (returning its error).
func sleep(ctx context.Context, clk Clock, d time.Duration) error {
	ch, stop := clk.NewTimer(d)
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
}

// emit tells the hook, if any, about the decision of every directive of
// cs; rejected indexes cs (-1: all). shadow marks the decision of shadow
// limits that let a call go ahead which enforce would have rejected or
// made wait.
func (r *Rate) emit(cfg *config, cs []callSpec, allowed bool, rejected int, reason Reason, waited int64, err error, shadow bool) {
	h := cfg.hook
	if h == nil {
		return
	}
	for j := range cs {
		s := &r.specs[cs[j].i]
		ev := Event{Policy: s.policy, Name: s.Name, Key: cs[j].key, Allowed: allowed,
			Wait: time.Duration(waited) * time.Microsecond, Err: err, Shadow: shadow}
		if !allowed && (rejected < 0 || rejected == j) {
			ev.Reason = reason
		}
		h.OnDecision(ev)
	}
}
