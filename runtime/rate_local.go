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

// localShare is the fail=local fallback of one store-decided spec: its limit
// with quota, burst and bucket divided by the number of processes, derived
// again when that number changes. The table (and so the state) stays the
// same across such changes, as a limit keeps its state across overrides.
type localShare struct {
	cur atomic.Pointer[shareRef]
}

type shareRef struct {
	n   int
	ref memRef
}

// ref returns the share of limit l in keyspace ks for n processes.
func (ls *localShare) ref(ks string, l *Limit, n int) *memRef {
	if c := ls.cur.Load(); c != nil && c.n == n {
		return &c.ref
	}
	share := *l
	share.Quota = ceilShare(l.Quota, n)
	share.Burst = ceilShare(l.Burst, n)
	share.Bucket = ceilShare(l.Bucket, n)
	p, err := ratemath.Derive(uint8(share.Algorithm), share.Quota, share.Duration, share.Burst, share.Bucket)
	if err != nil { // a share of a valid limit is valid; keep the whole limit if not
		p, _ = limitParams(l)
	}
	c := &shareRef{n: n, ref: memRef{t: localShares.table(ks, l), p: p}}
	ls.cur.Store(c)
	return &c.ref
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
func (r *Rate) decideLocal(res *rateRes, keys []string, dm Decision, memNow, maxWait int64) Decision {
	n := 1
	if pc, ok := res.store.(ProcessCounter); ok {
		n = max(pc.Processes(res.cfg.keyspace), 1)
	}
	// Up to four fail=local limits decide without allocating.
	var refsBuf [4]*memRef
	var keysBuf [4]string
	var idxBuf [4]int
	refs, lkeys, idx := refsBuf[:0], keysBuf[:0], idxBuf[:0]
	for j, i := range res.storeIdx {
		s := &r.specs[i]
		if s.Fail == FailLocal {
			idx = append(idx, i)
			refs = append(refs, res.shares[j].ref(res.cfg.keyspace, s.limit, n))
			lkeys = append(lkeys, keys[i])
		}
	}
	var cb [4]memCall
	return r.combineLocal(res, keys, dm, decideCalls(refCalls(cb[:0], refs, lkeys), memNow, maxWait), idx, memNow)
}

// combineLocal combines the decision dl of the local shares of specs idx
// with dm, the memory-decided specs' decision.
func (r *Rate) combineLocal(res *rateRes, keys []string, dm, dl Decision, idx []int, memNow int64) Decision {
	if !dl.Allowed {
		r.undoMem(res, keys, memNow)
		dl.Rejected = idx[dl.Rejected]
		return dl
	}
	dl.Delay = max(dl.Delay, dm.Delay)
	dl.Remaining = min(dl.Remaining, dm.Remaining)
	return dl
}
