package runtime

import (
	"hash/maphash"
	"sync"
	"time"
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
		obuf [maxStackLimits]outcome
		sbuf [maxStackLimits]int
		tbuf [maxStackLimits]uint32
		jbuf [maxStackLimits]int
		hbuf [maxStackLimits]int64
	)
	locks, ents, present, outs, shardIdx, tags := lbuf[:0], ebuf[:0], pbuf[:0], obuf[:0], sbuf[:0], tbuf[:0]
	slots, held := jbuf[:n], hbuf[:0] // slots[i]: the word table slot of a present keyed word
	if n > maxStackLimits {
		locks, ents = make([]lockRef, 0, n), make([]entry, 0, n)
		present, outs, shardIdx = make([]bool, 0, n), make([]outcome, 0, n), make([]int, 0, n)
		tags, slots, held = make([]uint32, 0, n), make([]int, n), make([]int64, 0, n)
	}
	for i, r := range refs {
		if keys[i] == "" {
			if wordAlg(r.p.alg) {
				locks = append(locks, lockRef{order: r.t.id << 32, slot: &r.t.one})
			} else {
				locks = append(locks, lockRef{order: r.t.id << 32, mu: &r.t.one.mu})
			}
			shardIdx, tags = append(shardIdx, -1), append(tags, 0)
			continue
		}
		h := maphash.String(r.t.seed, keys[i])
		s := int(h & r.t.mask)
		locks = append(locks, lockRef{order: r.t.id<<32 | uint64(s+1), mu: &r.t.shards[s].mu})
		shardIdx, tags = append(shardIdx, s), append(tags, wordTag(h))
	}
	for i := 1; i < len(locks); i++ { // insertion sort: n is small
		for j := i; j > 0 && locks[j].order < locks[j-1].order; j-- {
			locks[j], locks[j-1] = locks[j-1], locks[j]
		}
	}
	for i := range locks {
		if i == 0 || locks[i].order != locks[i-1].order {
			locks[i].lock()
		}
	}

	allowed := true
	for i, r := range refs {
		var e entry
		var ok bool
		if s := shardIdx[i]; s < 0 && wordAlg(r.p.alg) {
			e.st.a, ok, e.exp = r.t.one.held, r.t.one.held != 0, maxInt64
		} else if s < 0 {
			e, ok = r.t.one.e, r.t.one.ok
		} else if wordAlg(r.p.alg) {
			// The word is held (frozen) until the commit below, so that no
			// lock-free update slips in between (see wordTable).
			w := &r.t.shards[s].w
			if j := w.find(tags[i], keys[i]); j >= 0 {
				e.st.a, ok, slots[i] = w.hold(j), true, j
				if e.st.a == frozenWord { // this decision holds it already: same limit and key twice
					e.st.a = ents[sameWord(refs, shardIdx, slots, i)].st.a
				}
			}
			e.exp = maxInt64 // a word's staleness is in the word itself
		} else if ep := r.t.shards[s].m[keys[i]]; ep != nil {
			e, ok = *ep, true
		}
		before := e.st.a
		var o outcome
		if r.p.alg == SlidingWindow {
			if e.log == nil {
				e.log = new(swLog) // kept only if the call is admitted
			}
			o = slidingWindow(&r.p, e.log, now)
		} else {
			fresh := !ok || now >= e.exp
			var st state
			st, o = decide(&r.p, e.st, fresh, now, maxWait)
			if o.allowed {
				e.st = st
			}
		}
		if o.allowed {
			e.exp = now + o.ttl
		} else {
			allowed = false
		}
		ents, present, outs, held = append(ents, e), append(present, ok), append(outs, o), append(held, before)
	}

	// Publish the held words first: a commit's insert may rebuild a
	// table, which moves them.
	for i, r := range refs {
		if s := shardIdx[i]; s >= 0 && present[i] && wordAlg(r.p.alg) {
			word := ents[i].st.a // as decided; the state before, when rejected
			if !allowed {
				word = held[i]
			}
			r.t.shards[s].w.set(slots[i], word)
		}
	}

	d := Decision{Allowed: allowed, Rejected: -1, Remaining: maxInt64}
	for i, r := range refs {
		o := &outs[i]
		if allowed {
			e := ents[i]
			if r.p.alg == SlidingWindow {
				e.log.push(now, r.p.q)
			}
			if s := shardIdx[i]; s < 0 && wordAlg(r.p.alg) {
				r.t.one.held = e.st.a
			} else if s < 0 {
				r.t.one.e, r.t.one.ok = e, true
			} else if sh := &r.t.shards[s]; wordAlg(r.p.alg) {
				if !present[i] {
					sh.w.insert(&r.p, tags[i], keys[i], e.st.a, now, r.t.perShard)
				}
			} else if present[i] {
				*sh.m[keys[i]] = e
			} else {
				ep := new(entry)
				*ep = e
				sh.insert(keys[i], ep, now, r.t.perShard)
			}
			d.Remaining = min(d.Remaining, o.remaining())
			d.Delay = max(d.Delay, time.Duration(o.delay)*time.Microsecond)
			continue
		}
		if o.allowed {
			continue
		}
		if ra := time.Duration(o.retryAfter) * time.Microsecond; d.Rejected < 0 || ra > d.RetryAfter {
			d.RetryAfter, d.Rejected = ra, i
		}
		if d.Reason != ReasonQuota {
			d.Reason = o.reason
		}
	}
	if !allowed {
		d.Remaining = 0
	}

	for i := len(locks) - 1; i >= 0; i-- {
		if i == 0 || locks[i].order != locks[i-1].order {
			locks[i].unlock()
		}
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
