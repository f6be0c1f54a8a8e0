package runtime

import (
	"crypto/sha256"
	"hash/maphash"
	goruntime "runtime"
	"sync"
	"sync/atomic"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// memTable holds the state of one limit (one keyspace, name and algorithm)
// in a MemoryStore. The unkeyed state (key "") lives in one slot with its own
// lock; keyed states live in shards, each a mutex and a map, chosen by a
// seeded hash of the key, so no lock is global and attacker-chosen keys
// cannot aim at one shard.
type memTable struct {
	id       uint64 // creation order: locks are taken in (id, shard) order
	one      oneSlot
	shards   []memShard
	mask     uint64
	seed     maphash.Seed
	perShard int // the most keys a shard holds
}

// oneSlot is the state of an unkeyed limit. gcra and leaky_bucket keep
// their one number in word and decide lock-free, by compare-and-swap (0 means
// fresh); a multi-limit decision holds word at lockedWord while it decides,
// and keeps the value in held meanwhile. The other algorithms keep e behind
// mu. The padding keeps the hot words off the table's read-mostly fields.
//
// serial and serialLeft make the gcra hot path adaptive (see takeGCRA).
type oneSlot struct {
	_          [64]byte
	word       atomic.Int64
	held       int64
	serialLeft atomic.Int32 // decisions left in serial mode; 0: lock-free
	serial     sync.Mutex
	mu         sync.Mutex
	e          entry
	ok         bool
	_          [64]byte
}

// serialSpan is how many decisions a contended gcra slot makes in serial
// mode before trying lock-free again.
const serialSpan = 1024

// lockedWord marks a oneSlot word held by a multi-limit decision; no state
// takes that value.
const lockedWord = -1 << 63

// isWord reports whether p's algorithm keeps a one-word state (gcra,
// leaky_bucket): the store keeps it as a bare word, in a oneSlot's word or
// a wordTable, and decides it lock-free.
func isWord(p *ratemath.Params) bool { return p.Algo.Words == 1 }

// decideWord decides a call of cost units (>= 1) on the word of a gcra or
// leaky_bucket slot, lock-free.
func (s *oneSlot) decideWord(p *ratemath.Params, now, maxWait, cost int64) ratemath.Outcome {
	for {
		cur := s.word.Load()
		if cur == lockedWord {
			goruntime.Gosched()
			continue
		}
		st, o := p.Algo.Decide(p, ratemath.WordState(cur), cur == 0, now, maxWait, cost)
		if !o.Allowed || s.word.CompareAndSwap(cur, st.Word()) {
			return o
		}
	}
}

// takeGCRA is gcra with maxWait 0 on the slot's word for a call of cost
// units, specialised for the hot path of an unkeyed gcra limit that does
// not wait: it admits (and commits) or returns the RetryAfter, exactly as
// gcra does, at the time res.now() tells. The caller handles the costs
// gcra never sees: 0 (admitted without a decision) and above p.MaxCost
// (ReasonCost); cost is in [1, p.MaxCost].
//
// It adapts to contention. Uncontended, a decision is one clock read, one
// load and one compare-and-swap. When that swap fails, another core changed
// the word in between, and the slot turns serial for its next serialSpan
// decisions: each takes s.serial, reads the clock inside it and swaps.
// Under contention this is much faster than retrying lock-free: the mutex
// lets one core make many decisions in a row while the word's cache line
// stays with it, instead of both cores trading the line on every attempt
// (BenchmarkRateAllowedParallel). Decisions are the same in either mode.
func (s *oneSlot) takeGCRA(p *ratemath.Params, res *rateRes, cost int64) (retryAfter int64) {
	if s.serialLeft.Load() == 0 {
		if ra, ok := s.tryTakeGCRA(p, res.now(), cost); ok {
			return ra
		}
		s.serialLeft.Store(serialSpan)
	}
	return s.takeGCRASerial(p, res, cost)
}

// tryTakeGCRA makes one lock-free attempt of takeGCRA at time now; ok is
// false when the word was held or changed under it.
func (s *oneSlot) tryTakeGCRA(p *ratemath.Params, now, cost int64) (retryAfter int64, ok bool) {
	return casGCRA(&s.word, p, now, cost)
}

// casGCRA makes one attempt of gcra with maxWait 0 for a call of cost
// units (in [1, p.MaxCost]) on the word w at time now: it returns the RetryAfter of a rejection, or 0 when its swap
// admitted the call; ok is false when w holds the sentinel of a held or
// frozen word (lockedWord, frozenWord) or changed under it.
func casGCRA(w *atomic.Int64, p *ratemath.Params, now, cost int64) (retryAfter int64, ok bool) {
	cur := w.Load()
	if cur == lockedWord {
		return 0, false
	}
	next, over := ratemath.GCRAStep(p, cur, now, cost) // a fresh word (0) is ≤ now
	if over > 0 {
		return over, true
	}
	return 0, w.CompareAndSwap(cur, next)
}

// takeGCRASerial is takeGCRA in serial mode. The swap still guards the
// word: multi-limit decisions and cancels do not take s.serial.
func (s *oneSlot) takeGCRASerial(p *ratemath.Params, res *rateRes, cost int64) (retryAfter int64) {
	s.serial.Lock()
	defer s.serial.Unlock()
	if left := s.serialLeft.Load(); left > 0 {
		s.serialLeft.Store(left - 1)
	}
	for {
		if ra, ok := s.tryTakeGCRA(p, res.now(), cost); ok {
			return ra
		}
		goruntime.Gosched() // a multi-limit decision holds the word
	}
}

// lockWord takes the slot's word for a multi-limit decision.
func (s *oneSlot) lockWord() {
	for {
		if v := s.word.Load(); v != lockedWord && s.word.CompareAndSwap(v, lockedWord) {
			s.held = v
			return
		}
		goruntime.Gosched()
	}
}

// unlockWord publishes held and releases the word.
func (s *oneSlot) unlockWord() { s.word.Store(s.held) }

// cancelWord gives back the reservation of a call of cost units on the
// slot's word.
func (s *oneSlot) cancelWord(p *ratemath.Params, now, cost int64) {
	for {
		cur := s.word.Load()
		if cur == lockedWord {
			goruntime.Gosched()
			continue
		}
		if cur == 0 {
			return
		}
		st, _ := p.Algo.Cancel(p, ratemath.WordState(cur), now, cost)
		if s.word.CompareAndSwap(cur, st.Word()) {
			return
		}
	}
}

// entry is one key's state; exp is the time (µs) from which the state is
// fresh again, so the entry may be forgotten.
type entry struct {
	st  ratemath.State
	exp int64
	log *ratemath.Log // sliding_window only
}

// memShard is one lock and the keys it guards. fixed_window,
// sliding_window and token_bucket states are entries of m (plain keys, as
// the table's own copies) and lm (long keys, by digest); gcra and
// leaky_bucket states are words of w.
type memShard struct {
	mu    sync.Mutex
	m     map[string]*entry
	lm    map[[sha256.Size]byte]*entry // nil until the first long key
	w     wordTable
	peak  int    // the largest len(m) since m was last rebuilt
	lpeak int    // the same for lm
	ops   uint32 // decisions since the last incremental sweep
	_     [64]byte
}

// get returns key's entry, or nil.
func (sh *memShard) get(key memKey) *entry {
	if key.long {
		return sh.lm[key.digest()]
	}
	return sh.m[key.s]
}

// entries is how many entries m and lm hold.
func (sh *memShard) entries() int { return len(sh.m) + len(sh.lm) }

// sweepEvery is how many decisions on a shard trigger one incremental sweep
// of sweepSample entries; a new key also sweeps sweepSample entries.
//
// A sweep forgets an entry idleGrace after it became fresh: a key in steady
// use whose state briefly returns to fresh between calls keeps its entry
// instead of paying for a delete and an insert on each call.
const (
	idleGrace   = 1_000_000 // µs
	sweepEvery  = 64
	sweepSample = 3
	evictSample = 8
)

func newMemTable(id uint64, nshards, perShard int) *memTable {
	return &memTable{
		id:       id,
		shards:   make([]memShard, nshards),
		mask:     uint64(nshards - 1),
		seed:     maphash.MakeSeed(),
		perShard: perShard,
	}
}

// decideOne decides one call of cost units on one key, with the params p in
// force for this call, and commits it when admitted. A cost of 0 is
// admitted without reading or writing anything (Remaining 0).
func (t *memTable) decideOne(p *ratemath.Params, key string, now, maxWait, cost int64) ratemath.Outcome {
	if cost == 0 {
		return ratemath.Outcome{Allowed: true}
	}
	if key == "" {
		s := &t.one
		if isWord(p) {
			return s.decideWord(p, now, maxWait, cost)
		}
		s.mu.Lock()
		o := t.decideEntry(p, &s.e, s.ok, now, maxWait, cost)
		if o.Allowed {
			s.ok = true
		}
		s.mu.Unlock()
		return o
	}
	var d [sha256.Size]byte
	k := keyOf(key, &d)
	h := maphash.String(t.seed, k.s)
	sh := &t.shards[h&t.mask]
	if isWord(p) {
		return t.decideKeyedWord(sh, p, h, k, now, maxWait, cost)
	}
	sh.mu.Lock()
	var o ratemath.Outcome
	if ep := sh.get(k); ep != nil {
		o = t.decideEntry(p, ep, true, now, maxWait, cost)
	} else {
		var e entry
		if o = t.decideEntry(p, &e, false, now, maxWait, cost); o.Allowed {
			ep = new(entry)
			*ep = e
			sh.insert(k, ep, now, t.perShard)
		}
	}
	if sh.ops++; sh.ops >= sweepEvery {
		sh.ops = 0
		sh.sweep(now, sweepSample)
	}
	sh.mu.Unlock()
	return o
}

// decideKeyedWord decides a keyed gcra or leaky_bucket call in shard sh,
// under its mutex (see wordTable for the lock-free updates it races with).
func (t *memTable) decideKeyedWord(sh *memShard, p *ratemath.Params, h uint64, key memKey, now, maxWait, cost int64) ratemath.Outcome {
	tag := wordTag(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	i := sh.w.find(tag, key)
	var cur int64
	if i >= 0 {
		cur = sh.w.hold(i)
	}
	st, o := p.Algo.Decide(p, ratemath.WordState(cur), i < 0, now, maxWait, cost)
	switch {
	case i >= 0 && o.Allowed:
		sh.w.set(i, st.Word())
	case i >= 0:
		sh.w.set(i, cur)
	case o.Allowed:
		sh.w.insert(p, tag, key, st.Word(), now, t.perShard)
	}
	if sweepDue(h, now) {
		sh.w.sweep(p, now, sweepSample)
	}
	return o
}

// sweepDue tells a keyed word decision whether to sweep its shard: about
// one decision in sweepEvery, chosen from the key's hash and the time, so
// lock-free decisions need no shared counter.
func sweepDue(h uint64, now int64) bool { return (h^uint64(now))&(sweepEvery-1) == 0 }

// takeKeyedGCRA is gcra with maxWait 0 on key's word for a call of cost
// units (in [1, p.MaxCost], as for takeGCRA), specialised for the hot path
// of a keyed gcra limit that does not wait: for a key already
// present, one hash, one lock-free probe and one compare-and-swap (and, for a
// key over maxPlainKey bytes, its SHA-256 first). A new key,
// or a word frozen by a change of the table, goes to decideKeyedWord under
// the shard's mutex. It admits (and commits) or returns the RetryAfter,
// exactly as decideKeyedWord with gcra does.
func (t *memTable) takeKeyedGCRA(p *ratemath.Params, key string, now, cost int64) (retryAfter int64) {
	var d [sha256.Size]byte
	k := keyOf(key, &d)
	h := maphash.String(t.seed, k.s)
	sh := &t.shards[h&t.mask]
	if a, i := sh.w.lookup(wordTag(h), k); a != nil {
		w := &a.words[i]
		for {
			if ra, ok := casGCRA(w, p, now, cost); ok {
				if sweepDue(h, now) && sh.mu.TryLock() {
					sh.w.sweep(p, now, sweepSample)
					sh.mu.Unlock()
				}
				return ra
			}
			if w.Load() == frozenWord {
				break
			}
		}
	}
	if o := t.decideKeyedWord(sh, p, h, k, now, 0, cost); !o.Allowed {
		return o.RetryAfter
	}
	return 0
}

// decideEntry decides on e (present or not) and, when admitted, updates e in
// place. The caller holds the lock guarding e.
func (t *memTable) decideEntry(p *ratemath.Params, e *entry, present bool, now, maxWait, cost int64) ratemath.Outcome {
	fresh := !present || now >= e.exp
	if p.Algo.Words == 0 {
		if e.log == nil {
			var l ratemath.Log
			o := p.Algo.DecideLog(p, &l, now, cost)
			if o.Allowed {
				l.Push(now, cost, p.Quota)
				e.log, e.exp = &l, now+o.TTL
			}
			return o
		}
		o := p.Algo.DecideLog(p, e.log, now, cost)
		if o.Allowed {
			e.log.Push(now, cost, p.Quota)
			e.exp = now + o.TTL
		}
		return o
	}
	st, o := p.Algo.Decide(p, e.st, fresh, now, maxWait, cost)
	if o.Allowed {
		e.st, e.exp = st, now+o.TTL
	}
	return o
}

// insert adds a new key, as a copy of the table's own (see memKey). When
// the shard is at its bound, it first forgets fresh entries among a sample
// and, if none was, evicts the sampled entry whose state becomes fresh
// soonest: under a flood of new keys the table stays bounded and forgets
// first the keys whose limits matter least.
func (sh *memShard) insert(key memKey, e *entry, now int64, bound int) {
	sh.sweep(now, sweepSample)
	if sh.entries() >= bound {
		sh.evict()
	}
	if key.long {
		if sh.lm == nil {
			sh.lm = make(map[[sha256.Size]byte]*entry)
		}
		sh.lm[key.digest()] = e
		sh.lpeak = max(sh.lpeak, len(sh.lm))
		return
	}
	if sh.m == nil {
		sh.m = make(map[string]*entry)
	}
	sh.m[key.owned()] = e
	sh.peak = max(sh.peak, len(sh.m))
}

// sweep looks at up to n entries of each map (map iteration starts at a
// random place) and forgets those whose state is fresh again.
func (sh *memShard) sweep(now int64, n int) {
	if sweepMap(sh.m, now, n) {
		sh.m, sh.peak = maybeShrink(sh.m, sh.peak)
	}
	if len(sh.lm) > 0 && sweepMap(sh.lm, now, n) {
		sh.lm, sh.lpeak = maybeShrink(sh.lm, sh.lpeak)
	}
}

func sweepMap[K comparable](m map[K]*entry, now int64, n int) (deleted bool) {
	for k, e := range m {
		if now >= e.exp+idleGrace {
			delete(m, k)
			deleted = true
		}
		if n--; n <= 0 {
			break
		}
	}
	return deleted
}

// evict forgets the entry closest to fresh among a random sample of each
// map.
func (sh *memShard) evict() {
	k, best := sampleVictim(sh.m)
	lk, lbest := sampleVictim(sh.lm)
	if len(sh.lm) > 0 && (len(sh.m) == 0 || lbest < best) {
		delete(sh.lm, lk)
	} else {
		delete(sh.m, k)
	}
}

// sampleVictim returns the key closest to fresh among a random sample of
// m, and when it becomes fresh.
func sampleVictim[K comparable](m map[K]*entry) (victim K, best int64) {
	best = maxInt64
	n := evictSample
	for k, e := range m {
		if e.exp < best {
			victim, best = k, e.exp
		}
		if n--; n <= 0 {
			break
		}
	}
	return victim, best
}

// maybeShrink rebuilds m when it holds less than a quarter of its peak:
// Go maps do not give memory back on delete. The cost is one shard's live
// entries, paid by the decision that crosses the threshold. It returns the
// map to keep and its peak.
func maybeShrink[K comparable](m map[K]*entry, peak int) (map[K]*entry, int) {
	if peak < 256 || len(m)*4 > peak {
		return m, peak
	}
	c := make(map[K]*entry, len(m))
	for k, e := range m {
		c[k] = e
	}
	return c, len(c)
}
