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
}

func (l *lockRef) lock() {
	if l.slot != nil {
		l.slot.lockWord()
	} else {
		l.mu.Lock()
	}
}

func (l *lockRef) unlock() {
	if l.slot != nil {
		l.slot.unlockWord()
	} else {
		l.mu.Unlock()
	}
}

// decideRefs decides one call over several limits of one MemoryStore,
// all-or-nothing: it locks every state it needs in a fixed order (so
// concurrent decisions cannot deadlock), decides each limit on its own state,
// and commits every new state only if all of them admit the call.
func decideRefs(refs []*memRef, keys []string, now, maxWait int64) Decision {
	if len(refs) == 1 {
		r := refs[0]
		return toDecision(r.t.decideOne(&r.p, keys[0], now, maxWait))
	}
	n := len(refs)
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
	m := multiDecision{refs: refs, keys: keys}
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
	for i := range refs {
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

// multiDecision is the work of one decideRefs call: per limit, in the
// order of refs, where its state lives, the state read and the outcome.
// It lives on the caller's stack, and so do its slices' arrays as long as
// its methods only index them (storing a slice through the pointer would
// move them to the heap).
type multiDecision struct {
	refs     []*memRef
	keys     []string
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
	if k := m.keys[i]; len(k) <= maxPlainKey {
		return memKey{s: k}
	}
	return memKey{s: unsafe.String(&m.digests[i][0], sha256.Size), long: true}
}

// planLocks finds the lock of every limit's state, and sorts them in the
// global lock order (table id, then shard; the unkeyed slot first).
func (m *multiDecision) planLocks() {
	for i, r := range m.refs {
		if m.keys[i] == "" {
			if isWord(&r.p) {
				m.locks[i] = lockRef{order: r.t.id << 32, slot: &r.t.one}
			} else {
				m.locks[i] = lockRef{order: r.t.id << 32, mu: &r.t.one.mu}
			}
			m.shardIdx[i], m.tags[i] = -1, 0
			continue
		}
		k := keyOf(m.keys[i], &m.digests[i])
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
	r := m.refs[i]
	switch s := m.shardIdx[i]; {
	case s < 0 && isWord(&r.p):
		return entry{st: ratemath.WordState(r.t.one.held), exp: maxInt64}, r.t.one.held != 0
	case s < 0:
		return r.t.one.e, r.t.one.ok
	case isWord(&r.p):
		e.exp = maxInt64 // a word's staleness is in the word itself
		w := &r.t.shards[s].w
		j := w.find(m.tags[i], m.key(i))
		if j < 0 {
			return e, false
		}
		word := w.hold(j)
		m.slots[i] = j
		if word == frozenWord { // this decision holds it already: same limit and key twice
			word = m.ents[sameWord(m.refs, m.shardIdx, m.slots, i)].st.Word()
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
	p := &m.refs[i].p
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
		o = p.Algo.DecideLog(p, e.log, now)
	} else {
		var st ratemath.State
		st, o = p.Algo.Decide(p, e.st, !ok || now >= e.exp, now, maxWait)
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
	for i, r := range m.refs {
		if s := m.shardIdx[i]; s >= 0 && m.present[i] && isWord(&r.p) {
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
	for i, r := range m.refs {
		e, key := m.ents[i], m.key(i)
		if r.p.Algo.Words == 0 {
			e.log.Push(now, r.p.Quota)
		}
		switch s := m.shardIdx[i]; {
		case s < 0 && isWord(&r.p):
			r.t.one.held = e.st.Word()
		case s < 0:
			r.t.one.e, r.t.one.ok = e, true
		case isWord(&r.p):
			if !m.present[i] {
				r.t.shards[s].w.insert(&r.p, m.tags[i], key, e.st.Word(), now, r.t.perShard)
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
// largest Delay; when rejected, the rejecting limit with the largest
// RetryAfter (the first on ties), and ReasonQuota if any limit rejected for
// its quota.
func (m *multiDecision) result(allowed bool) Decision {
	d := Decision{Allowed: allowed, Rejected: -1, Remaining: maxInt64}
	for i := range m.outs {
		o := &m.outs[i]
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
func sameWord(refs []*memRef, shardIdx, slots []int, i int) int {
	for k := range i {
		if refs[k].t == refs[i].t && shardIdx[k] == shardIdx[i] && slots[k] == slots[i] {
			return k
		}
	}
	panic("throttle: a held word without its holder")
}
