package runtime

import (
	"sync/atomic"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// localShares holds the in-memory limits of fail=local specs while their
// store cannot answer: one table per keyspace and limit, as in the store,
// apart from the default memory store so that a share never mixes with a
// scope=local limit of the same name.
var localShares = NewMemoryStore()

// localShare is the fail=local fallback of one store-decided spec: its
// table in localShares. The table (and so the state) stays the same
// however the share's values change (with the number of processes, the
// call's values or an override), as a limit keeps its state across
// overrides.
type localShare struct {
	t    *memTable
	last atomic.Pointer[shareEntry] // the share derived last
}

// shareEntry is the share p of limit l among n processes.
type shareEntry struct {
	n int
	l Limit
	p ratemath.Params
}

// params returns the params of this process's share of l among n
// processes, deriving them only when n or l's values changed.
func (ls *localShare) params(l *Limit, n int) *ratemath.Params {
	if e := ls.last.Load(); e != nil && e.n == n && e.l == *l {
		return &e.p
	}
	e := &shareEntry{n: n, l: *l}
	shareParams(l, n, &e.p)
	ls.last.Store(e)
	return &e.p
}

// shareParams derives into p the params of this process's share of limit
// l among n processes: quota, burst and bucket divided by n, rounded up.
func shareParams(l *Limit, n int, p *ratemath.Params) {
	share := *l
	share.Quota = ceilShare(l.Quota, n)
	share.Burst = ceilShare(l.Burst, n)
	share.Bucket = ceilShare(l.Bucket, n)
	var err error
	if *p, err = ratemath.Derive(uint8(share.Algorithm), share.Quota, share.Duration, share.Burst, share.Bucket); err != nil {
		*p, _ = limitParams(l) // a share of a valid limit is valid; keep the whole limit if not
	}
}

// ceilShare is ⌈v/n⌉ for v > 0, and v itself for v <= 0 (a parameter the
// algorithm does not use).
func ceilShare(v int64, n int) int64 {
	if v <= 0 {
		return v
	}
	return (v + int64(n) - 1) / int64(n)
}

// decideLocal decides a call whose store could not answer, when some of its
// store-decided specs fail locally: those are decided by their share in
// memory, the other store-decided ones admit (fail=open; a fail=closed spec
// rejects before this). dm is the decision of the memory-decided specs,
// admitted at memNow; when a share rejects, dm's reservations are taken back.
// Local decisions are final: nothing is replayed to the store.
func (r *Rate) decideLocal(res *rateRes, cs []callSpec, dm Decision, memNow, maxWait int64) Decision {
	n := 1
	if pc, ok := res.store.(ProcessCounter); ok {
		n = max(pc.Processes(res.cfg.keyspace), 1)
	}
	// Up to four fail=local limits decide without allocating.
	var callBuf [4]memCall
	var idxBuf [4]int
	calls, idx := callBuf[:0], idxBuf[:0]
	for j := range cs {
		c := &cs[j]
		if c.e.t != nil || c.e.fail != FailLocal {
			continue
		}
		l := c.limit()
		calls = append(calls, memCall{t: c.e.share.t, p: c.e.share.params(&l, n), key: c.key, cost: c.cost})
		idx = append(idx, j)
	}
	dl := decideCalls(calls, memNow, maxWait)
	if !dl.Allowed {
		undoMem(cs, memNow)
		dl.Rejected = idx[dl.Rejected]
		return dl
	}
	dl.Delay = max(dl.Delay, dm.Delay)
	dl.Remaining = min(dl.Remaining, dm.Remaining)
	return dl
}
