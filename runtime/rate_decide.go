package runtime

import (
	"context"
	"reflect"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// rateRes is what a Rate derives from one configuration: which limits are
// decided in memory (and their tables) and which by the configured store.
// It is immutable; a Rate replaces it when the configuration changes.
type rateRes struct {
	cfg    *config
	sys    bool // cfg.clock is SystemClock
	allMem bool
	// memRefs[i] is spec i's table when spec i is decided in memory. When
	// allMem, it has one entry per spec, in order.
	memRefs     []*memRef
	memIdx      []int // specs decided in memory, when not allMem
	storeIdx    []int // specs decided by store
	store       Store
	avail       AvailabilityReporter // store, when it implements it
	storeLimits []*Limit
	hot         []*hotKeys   // the rejection memory of each store-decided spec
	local       bool         // some store-decided spec fails locally
	shares      []localShare // per store-decided spec: its fail=local share
	closed      bool         // some store-decided spec fails closed
}

// now returns the decision time in µs since the Unix epoch.
func (res *rateRes) now() int64 {
	if res.sys {
		return monoBaseMicros + int64(time.Since(monoBase)/time.Microsecond)
	}
	return res.cfg.clock.Now().UnixMicro()
}

// resolve derives and caches what r needs from cfg.
func (r *Rate) resolve(cfg *config) *rateRes {
	res := &rateRes{cfg: cfg, sys: cfg.clock == SystemClock, memRefs: make([]*memRef, len(r.specs))}
	mem, _ := cfg.store.(*MemoryStore)
	if mem == nil {
		mem = defaultMemory
	}
	for i := range r.specs {
		s := &r.specs[i]
		if cfg.store == nil || cfg.store == Store(mem) || s.Scope == ScopeLocal {
			res.memRefs[i] = &memRef{t: mem.table(cfg.keyspace, s.limit), p: s.p}
			res.memIdx = append(res.memIdx, i)
			continue
		}
		res.storeIdx = append(res.storeIdx, i)
		res.storeLimits = append(res.storeLimits, s.limit)
		res.hot = append(res.hot, newHotKeys())
		res.closed = res.closed || s.Fail == FailClosed
		res.local = res.local || s.Fail == FailLocal
	}
	res.allMem = len(res.storeIdx) == 0
	if res.allMem {
		res.memIdx = nil
	} else {
		res.store = cfg.store
		res.avail, _ = cfg.store.(AvailabilityReporter)
		res.shares = make([]localShare, len(res.storeIdx))
		if pc, ok := cfg.store.(ProcessCounter); ok && res.local {
			pc.Processes(cfg.keyspace) // the store starts counting the keyspace's processes
		}
	}
	r.res.Store(res)
	return res
}

// allow decides a call, waiting where the directives allow it; waited is
// how long (µs) the call has waited already.
func (r *Rate) allow(ctx context.Context, cfg *config, res *rateRes, keys []string, waited int64) error {
	for {
		d, err := r.decide(ctx, res, keys, r.maxWait(ctx, waited))
		if err, again := r.finish(ctx, cfg, res, keys, d, err, &waited); !again {
			return err
		}
	}
}

// maxWait is how far ahead (µs, -1 unbounded) the call may reserve: the
// tightest bound of its reserving limits, clipped by the context's deadline;
// 0 when no limit reserves.
func (r *Rate) maxWait(ctx context.Context, waited int64) int64 {
	m, any := int64(-1), false
	for i := range r.specs {
		s := &r.specs[i]
		if !s.reserve {
			continue
		}
		any = true
		b := s.bound
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

// decide asks the memory tables and the store for one decision; Rejected in
// the result indexes r.specs. When the store fails, the error is returned
// with an admitting decision under fail=open and a rejecting one under
// fail=closed.
func (r *Rate) decide(ctx context.Context, res *rateRes, keys []string, maxWait int64) (Decision, error) {
	if res.allMem {
		var cb [4]memCall
		return decideCalls(refCalls(cb[:0], res.memRefs, keys), res.now(), maxWait), nil
	}
	dm := Decision{Allowed: true, Rejected: -1, Remaining: maxInt64}
	memNow := res.now()
	if d, ok := r.hotRejection(res, keys, memNow, maxWait); ok {
		return d, nil
	}
	if len(res.memIdx) > 0 {
		refs, mkeys := r.subset(res, res.memIdx, keys)
		var cb [4]memCall
		dm = decideCalls(refCalls(cb[:0], refs, mkeys), memNow, maxWait)
		if !dm.Allowed {
			dm.Rejected = res.memIdx[dm.Rejected]
			return dm, nil
		}
	}
	var ds Decision
	var err error
	if res.avail != nil {
		err = res.avail.Unavailable()
	}
	if err == nil {
		ds, err = res.store.Decide(ctx, r.storeRequest(res, keys, maxWait))
	}
	if err != nil {
		if res.closed {
			r.undoMem(res, keys, memNow)
			return Decision{Rejected: -1}, err
		}
		if res.local {
			return r.decideLocal(res, keys, dm, memNow, maxWait), err
		}
		return dm, err
	}
	if !ds.Allowed {
		r.undoMem(res, keys, memNow)
		j := ds.Rejected
		if j < 0 || j >= len(res.storeIdx) {
			j = 0
		}
		ds.Rejected = res.storeIdx[j]
		if ds.Reason == ReasonQuota {
			res.hot[j].remember(keys[ds.Rejected], memNow, ratemath.Micros(ds.RetryAfter), maxWait)
		}
		return ds, nil
	}
	ds.Delay = max(ds.Delay, dm.Delay)
	ds.Remaining = min(ds.Remaining, dm.Remaining)
	return ds, nil
}

// hotRejection returns the rejection of a call that a store-decided limit's
// rejection memory (hotKeys) answers without asking the store; ok is false
// when the store must decide.
func (r *Rate) hotRejection(res *rateRes, keys []string, now, maxWait int64) (d Decision, ok bool) {
	for j, i := range res.storeIdx {
		if ra := res.hot[j].rejected(keys[i], now, maxWait); ra > 0 {
			return Decision{Rejected: i, RetryAfter: time.Duration(ra) * time.Microsecond, Reason: ReasonQuota}, true
		}
	}
	return Decision{}, false
}

// subset returns the memory refs and keys of the specs in idx.
func (r *Rate) subset(res *rateRes, idx []int, keys []string) ([]*memRef, []string) {
	refs, ks := make([]*memRef, len(idx)), make([]string, len(idx))
	for j, i := range idx {
		refs[j], ks[j] = res.memRefs[i], keys[i]
	}
	return refs, ks
}

// storeRequest builds the store's part of a decision.
func (r *Rate) storeRequest(res *rateRes, keys []string, maxWait int64) *Request {
	mw := time.Duration(-1)
	if maxWait >= 0 {
		mw = time.Duration(maxWait) * time.Microsecond
	}
	if len(res.storeIdx) == 1 { // the common case, in one allocation
		one := &oneKeyRequest{}
		one.key[0] = keys[res.storeIdx[0]]
		one.Request = Request{Keyspace: res.cfg.keyspace, Limits: res.storeLimits, Keys: one.key[:], MaxWait: mw}
		return &one.Request
	}
	ks := make([]string, len(res.storeIdx))
	for j, i := range res.storeIdx {
		ks[j] = keys[i]
	}
	return &Request{Keyspace: res.cfg.keyspace, Limits: res.storeLimits, Keys: ks, MaxWait: mw}
}

// oneKeyRequest is a Request over one limit with its Keys.
type oneKeyRequest struct {
	Request
	key [1]string
}

// cancelMem gives back what the memory part of an admitted decision reserved.
func (r *Rate) cancelMem(res *rateRes, keys []string) {
	now := res.now()
	for i, ref := range res.memRefs {
		if ref != nil {
			ref.t.cancelOne(&ref.p, keys[i], now, 1)
		}
	}
}

// undoMem takes back the memory part of a decision, made at time now, that
// the store then rejected (all-or-nothing): see memTable.undoOne.
func (r *Rate) undoMem(res *rateRes, keys []string, now int64) {
	for i, ref := range res.memRefs {
		if ref != nil {
			ref.t.undoOne(&ref.p, keys[i], now, 1)
		}
	}
}

// cancel gives back what an admitted decision reserved.
func (r *Rate) cancel(ctx context.Context, res *rateRes, keys []string) {
	r.cancelMem(res, keys)
	if res.store != nil {
		// The caller's context has ended; the give-back must still happen.
		_ = res.store.Cancel(context.WithoutCancel(ctx), r.storeRequest(res, keys, 0))
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
func (r *Rate) finish(ctx context.Context, cfg *config, res *rateRes, keys []string, d Decision, err error, waited *int64) (_ error, again bool) {
	var storeErr error // reported to the hook with the final decision
	if err != nil {
		if !d.Allowed && d.Reason == 0 { // fail=closed
			storeErr = r.storeError(err)
			r.emit(cfg, keys, false, -1, 0, *waited, storeErr)
			return storeErr, false
		}
		if cfg.hook != nil {
			storeErr = r.storeError(err)
		}
	}
	if d.Allowed {
		if d.Delay > 0 {
			if serr := sleep(ctx, cfg.clock, d.Delay); serr != nil {
				r.cancel(ctx, res, keys)
				*waited += ratemath.Micros(d.Delay)
				r.emit(cfg, keys, false, -1, ReasonDeadline, *waited, serr)
				return serr, false
			}
			*waited += ratemath.Micros(d.Delay)
		}
		if cfg.hook != nil {
			r.emit(cfg, keys, true, -1, 0, *waited, storeErr)
		}
		return nil, false
	}
	i := d.Rejected
	if i < 0 || i >= len(r.specs) {
		i = 0
	}
	s := &r.specs[i]
	ra := ratemath.Micros(d.RetryAfter)
	if !s.reserve && s.bound > 0 && ra <= s.bound-*waited && ra <= clipWait(ctx, s.bound, *waited) {
		if serr := sleep(ctx, cfg.clock, d.RetryAfter); serr != nil {
			*waited += ra
			r.emit(cfg, keys, false, i, ReasonDeadline, *waited, serr)
			return serr, false
		}
		*waited += ra
		return nil, true
	}
	rej := r.reject(ctx, s, keys[i], d.Reason, d.RetryAfter, *waited)
	if cfg.hook != nil {
		r.emit(cfg, keys, false, i, rej.(*ThrottledError).Reason, *waited, storeErr)
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

// emit tells the hook, if any, about the decision of every directive.
func (r *Rate) emit(cfg *config, keys []string, allowed bool, rejected int, reason Reason, waited int64, err error) {
	h := cfg.hook
	if h == nil {
		return
	}
	for i := range r.specs {
		s := &r.specs[i]
		ev := Event{Policy: s.policy, Name: s.Name, Key: keys[i], Allowed: allowed,
			Wait: time.Duration(waited) * time.Microsecond, Err: err}
		if !allowed && (rejected < 0 || rejected == i) {
			ev.Reason = reason
		}
		h.OnDecision(ev)
	}
}
