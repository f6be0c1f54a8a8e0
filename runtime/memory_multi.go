package runtime

import (
	"crypto/sha256"
	"hash/maphash"
	"sync"
	"time"
	"unsafe"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// maxStackLimits is how many limits one decision handles without allocating.
const maxStackLimits = 8

// lockRef is one lock a multi-limit decision takes, with its place in the
// global lock order (table id, then shard; the unkeyed slot first).
type lockRef struct {
	order uint64
	mu    *sync.Mutex
	slot  *oneSlot // instead of mu: a gcra or leaky_bucket word
	none  bool     // a skipped limit (cost 0): nothing to lock
}

func (l *lockRef) lock() {
	if l.none {
		return
	}
	if l.slot != nil {
		l.slot.lockWord()
	} else {
		l.mu.Lock()
	}
}

func (l *lockRef) unlock() {
	if l.none {
		return
	}
	if l.slot != nil {
		l.slot.unlockWord()
	} else {
		l.mu.Unlock()
	}
}

// memCall is one limit's part of a decision made in memory.
type memCall struct {
	t    *memTable
	p    *ratemath.Params // the params in force for this call
	key  string
	cost int64 // >= 0; 0: skipped
}

// refCalls appends to dst one call of cost 1 per ref, with keys[i] for
// refs[i] (both complete and parallel): the limiter's calls of cost 1.
func refCalls(dst []memCall, refs []*memRef, keys []string) []memCall {
	for i, r := range refs {
		dst = append(dst, memCall{t: r.t, p: &r.p, key: keys[i], cost: 1})
	}
	return dst
}

// decideCalls decides one call over several limits of one MemoryStore,
// all-or-nothing: it locks every state it needs in a fixed order (so
// concurrent decisions cannot deadlock), decides each limit on its own state,
// and commits every new state only if all of them admit the call. A limit of
// cost 0 is skipped (nothing locked, read or written; it counts for neither
// Remaining nor Delay); when every cost is 0 the call is admitted with
// Remaining 0. A cost above a limit's MaxCost rejects the call at once
// (ReasonCost, RetryAfter 0, Rejected the first such limit), nothing read.
// It does not allocate for up to maxStackLimits limits, nor keep calls.
func decideCalls(calls []memCall, now, maxWait int64) Decision {
	active := 0
	for i := range calls {
		c := &calls[i]
		if c.cost > c.p.MaxCost {
			return Decision{Rejected: i, Reason: ReasonCost}
		}
		if c.cost > 0 {
			active++
		}
	}
	if active == 0 {
		return Decision{Allowed: true, Rejected: -1}
	}
	if len(calls) == 1 {
		c := &calls[0]
		return toDecision(c.t.decideOne(c.p, c.key, now, maxWait, c.cost))
	}
	n := len(calls)
	var (
		lbuf [maxStackLimits]lockRef
		ebuf [maxStackLimits]entry
		pbuf [maxStackLimits]bool
		obuf [maxStackLimits]ratemath.Outcome
		sbuf [maxStackLimits]int
		tbuf [maxStackLimits]uint32
		jbuf [maxStackLimits]int
		hbuf [maxStackLimits]int64
		dbuf [maxStackLimits][sha256.Size]byte
	)
	// The methods of m only index these slices, never store them: so the
	// arrays stay on the stack.
	m := multiDecision{calls: calls}
	if n <= maxStackLimits {
		m.locks, m.shardIdx, m.tags, m.slots = lbuf[:n], sbuf[:n], tbuf[:n], jbuf[:n]
		m.ents, m.present, m.outs, m.held = ebuf[:n], pbuf[:n], obuf[:n], hbuf[:n]
		m.digests = dbuf[:n]
	} else {
		m.locks, m.shardIdx, m.tags, m.slots = make([]lockRef, n), make([]int, n), make([]uint32, n), make([]int, n)
		m.ents, m.present, m.outs, m.held = make([]entry, n), make([]bool, n), make([]ratemath.Outcome, n), make([]int64, n)
		m.digests = make([][sha256.Size]byte, n)
	}
	m.planLocks()
	m.lock()
	allowed := true
	for i := range calls {
		if !m.decide(i, now, maxWait) {
			allowed = false
		}
	}
	// Publish the held words first: a commit's insert may rebuild a
	// table, which moves them.
	m.publishWords(allowed)
	if allowed {
		m.commit(now)
	}
	d := m.result(allowed)
	m.unlock()
	return d
}

// multiDecision is the work of one decideCalls call: per limit, in the
// order of calls, where its state lives, the state read and the outcome.
// A call of cost 0 has no lock (lockRef.none) and is not read, decided or
// committed.
// It lives on the caller's stack, and so do its slices' arrays as long as
// its methods only index them (storing a slice through the pointer would
// move them to the heap).
type multiDecision struct {
	calls    []memCall
	locks    []lockRef // sorted by order once planned
	shardIdx []int     // the shard of a keyed state; -1: the unkeyed slot
	tags     []uint32  // the word tag of a keyed state's hash
	slots    []int     // the word table slot of a present keyed word
	ents     []entry   // the state read, then as decided
	present  []bool    // the state existed
	outs     []ratemath.Outcome
	held     []int64             // a word state as read, to publish back on rejection
	digests  [][sha256.Size]byte // the digest of a long key (see key)
}

// key returns limit i's key as its table keeps it; planLocks has written
// the digest of a long key.
func (m *multiDecision) key(i int) memKey {
	if k := m.calls[i].key; len(k) <= maxPlainKey {
		return memKey{s: k}
	}
	return memKey{s: unsafe.String(&m.digests[i][0], sha256.Size), long: true}
}

// planLocks finds the lock of every limit's state, and sorts them in the
// global lock order (table id, then shard; the unkeyed slot first).
func (m *multiDecision) planLocks() {
	for i := range m.calls {
		r := &m.calls[i]
		if r.cost == 0 {
			m.locks[i] = lockRef{none: true}
			m.shardIdx[i], m.tags[i] = -1, 0
			continue
		}
		if r.key == "" {
			if isWord(r.p) {
				m.locks[i] = lockRef{order: r.t.id << 32, slot: &r.t.one}
			} else {
				m.locks[i] = lockRef{order: r.t.id << 32, mu: &r.t.one.mu}
			}
			m.shardIdx[i], m.tags[i] = -1, 0
			continue
		}
		k := keyOf(r.key, &m.digests[i])
		h := maphash.String(r.t.seed, k.s)
		s := int(h & r.t.mask)
		m.locks[i] = lockRef{order: r.t.id<<32 | uint64(s+1), mu: &r.t.shards[s].mu}
		m.shardIdx[i], m.tags[i] = s, wordTag(h)
	}
	locks := m.locks
	for i := 1; i < len(locks); i++ { // insertion sort: n is small
		for j := i; j > 0 && locks[j].order < locks[j-1].order; j-- {
			locks[j], locks[j-1] = locks[j-1], locks[j]
		}
	}
}

// lock takes every planned lock once, in order; unlock releases them.
func (m *multiDecision) lock() {
	for i := range m.locks {
		if i == 0 || m.locks[i].order != m.locks[i-1].order {
			m.locks[i].lock()
		}
	}
}

func (m *multiDecision) unlock() {
	for i := len(m.locks) - 1; i >= 0; i-- {
		if i == 0 || m.locks[i].order != m.locks[i-1].order {
			m.locks[i].unlock()
		}
	}
}

// read returns limit i's state under the held locks, and whether it
// exists. A keyed word is held (frozen) until publishWords, so that no
// lock-free update slips in between (see wordTable).
func (m *multiDecision) read(i int) (e entry, ok bool) {
	r := &m.calls[i]
	switch s := m.shardIdx[i]; {
	case s < 0 && isWord(r.p):
		return entry{st: ratemath.WordState(r.t.one.held), exp: maxInt64}, r.t.one.held != 0
	case s < 0:
		return r.t.one.e, r.t.one.ok
	case isWord(r.p):
		e.exp = maxInt64 // a word's staleness is in the word itself
		w := &r.t.shards[s].w
		j := w.find(m.tags[i], m.key(i))
		if j < 0 {
			return e, false
		}
		word := w.hold(j)
		m.slots[i] = j
		if word == frozenWord { // this decision holds it already: same limit and key twice
			word = m.ents[sameWord(m.calls, m.shardIdx, m.slots, i)].st.Word()
		}
		e.st = ratemath.WordState(word)
		return e, true
	default:
		if ep := r.t.shards[s].get(m.key(i)); ep != nil {
			return *ep, true
		}
		return e, false
	}
}

// decide reads limit i's state and decides the call on it, without
// committing; it reports whether the limit admits the call.
func (m *multiDecision) decide(i int, now, maxWait int64) bool {
	c := &m.calls[i]
	if c.cost == 0 {
		m.outs[i] = ratemath.Outcome{Allowed: true}
		return true
	}
	p := c.p
	e, ok := m.read(i)
	var before int64
	if isWord(p) {
		before = e.st.Word()
	}
	var o ratemath.Outcome
	if p.Algo.Words == 0 {
		if e.log == nil {
			e.log = new(ratemath.Log) // kept only if the call is admitted
		}
		o = p.Algo.DecideLog(p, e.log, now, c.cost)
	} else {
		var st ratemath.State
		st, o = p.Algo.Decide(p, e.st, !ok || now >= e.exp, now, maxWait, c.cost)
		if o.Allowed {
			e.st = st
		}
	}
	if o.Allowed {
		e.exp = now + o.TTL
	}
	m.ents[i], m.present[i], m.outs[i], m.held[i] = e, ok, o, before
	return o.Allowed
}

// publishWords releases the keyed words read holds: as decided when the
// call is admitted, as they were otherwise.
func (m *multiDecision) publishWords(allowed bool) {
	for i := range m.calls {
		r := &m.calls[i]
		if s := m.shardIdx[i]; s >= 0 && m.present[i] && isWord(r.p) {
			word := m.ents[i].st.Word()
			if !allowed {
				word = m.held[i]
			}
			r.t.shards[s].w.set(m.slots[i], word)
		}
	}
}

// commit writes every limit's new state (the call is admitted by all).
func (m *multiDecision) commit(now int64) {
	for i := range m.calls {
		r := &m.calls[i]
		if r.cost == 0 {
			continue
		}
		e, key := m.ents[i], m.key(i)
		if r.p.Algo.Words == 0 {
			e.log.Push(now, r.cost, r.p.Quota)
		}
		switch s := m.shardIdx[i]; {
		case s < 0 && isWord(r.p):
			r.t.one.held = e.st.Word()
		case s < 0:
			r.t.one.e, r.t.one.ok = e, true
		case isWord(r.p):
			if !m.present[i] {
				r.t.shards[s].w.insert(r.p, m.tags[i], key, e.st.Word(), now, r.t.perShard)
			}
		case m.present[i]:
			*r.t.shards[s].get(key) = e
		default:
			ep := new(entry)
			*ep = e
			r.t.shards[s].insert(key, ep, now, r.t.perShard)
		}
	}
}

// result combines the outcomes: when admitted, the least Remaining and the
// largest Delay of the limits that took part (cost > 0); when rejected, the
// first limit rejecting for its cost if any (RetryAfter 0), else the
// rejecting limit with the largest RetryAfter (the first on ties), and
// ReasonQuota if any limit rejected for its quota.
func (m *multiDecision) result(allowed bool) Decision {
	d := Decision{Allowed: allowed, Rejected: -1, Remaining: maxInt64}
	for i := range m.outs {
		if !allowed && m.outs[i].Reason == ratemath.ReasonCost {
			return Decision{Rejected: i, Reason: ReasonCost}
		}
	}
	for i := range m.outs {
		o := &m.outs[i]
		if m.calls[i].cost == 0 {
			continue
		}
		if allowed {
			d.Remaining = min(d.Remaining, o.Remaining())
			d.Delay = max(d.Delay, time.Duration(o.Delay)*time.Microsecond)
			continue
		}
		if o.Allowed {
			continue
		}
		if ra := time.Duration(o.RetryAfter) * time.Microsecond; d.Rejected < 0 || ra > d.RetryAfter {
			d.RetryAfter, d.Rejected = ra, i
		}
		if d.Reason != ReasonQuota {
			d.Reason = Reason(o.Reason)
		}
	}
	if !allowed {
		d.Remaining = 0
	}
	return d
}

// sameWord returns the earlier limit of a decision that holds the same
// keyed word as limit i (the same table, shard and slot).
func sameWord(calls []memCall, shardIdx, slots []int, i int) int {
	for k := range i {
		if calls[k].cost > 0 && calls[k].t == calls[i].t && shardIdx[k] == shardIdx[i] && slots[k] == slots[i] {
			return k
		}
	}
	panic("throttle: a held word without its holder")
}
