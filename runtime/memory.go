package runtime

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/maphash"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// maxInt64 stands for "unbounded" in wait bounds and expiry times.
const maxInt64 = ratemath.MaxInt64

// DefaultMaxKeys is the default bound on the keys one limit keeps in a
// MemoryStore: at most 128 MiB (gcra, leaky_bucket) or 192 MiB (the other
// algorithms) per limit, whatever the keys' lengths (see MemoryStore).
const DefaultMaxKeys = 1 << 20

// MemoryStore is the in-memory Store: the default when Configure names no
// store, and what scope=local limits always use.
//
// Each limit (keyspace, name and algorithm) has its own table, so keys of
// different limits never collide. An unkeyed limit is one state; a keyed
// limit's states are spread over shards (a mutex and a table each) by a
// seeded hash of the key, so there is no global lock on the hot path. gcra
// and leaky_bucket states are one word each, updated by compare-and-swap:
// deciding a key already present takes no lock. A decision over several
// limits takes the locks it needs in a fixed order, decides every limit, and
// commits all of them or none.
//
// Memory: every state carries the time from which it is fresh again (a
// never-seen key would be decided the same way). Such idle keys are forgotten
// lazily and incrementally: each new key, and about one decision in 64 on a
// shard, looks at a few entries of that shard and forgets those fresh for a
// second or more; there is no sweeper goroutine and no stop-the-world pass.
// Each limit keeps at most MaxKeys keys (WithMaxKeys): when a shard is full,
// a new key evicts, among a random sample of that shard, the entry that
// becomes fresh soonest. Eviction forgets what that key had used, so under a flood of distinct keys
// a few keys may be admitted more often than their limit allows; memory never
// grows past the bound.
//
// A key costs a bounded number of bytes whatever its length: the store keeps
// a key of up to 64 bytes as a copy of its own, and a longer key as the
// 32 bytes of its SHA-256 (never the caller's string, which may be part of a
// larger buffer). Distinct keys never share state: a short key whose bytes
// equal a long key's digest is still another key, and SHA-256 is
// collision-resistant, so keys chosen by an attacker cannot collide either.
// A key costs at most 128 bytes in a gcra or leaky_bucket limit and 192
// bytes in the others (measured with keys of 16 to 64 bytes: 53 to 101 and
// 83 to 131 bytes; 69 and 95 for any key over 64 bytes), plus, for
// sliding_window, its log: 48 bytes and at most 32 per call in the window
// (one entry per call, whatever its cost).
// So a limit holds at most MaxKeys times that (128 or 192 MiB with the
// default MaxKeys), plus up to 36 KB for its shards. A key over 64 bytes
// costs its SHA-256 on every decision (about 1 µs for 1 KB) and no
// allocation once present; a new key allocates its copy.
//
// A MemoryStore is safe for concurrent use.
type MemoryStore struct {
	maxKeys int
	nshards int

	mu     sync.Mutex
	tables map[tableID]*memTable
	nextID uint64

	// byID is tables again, read without the mutex (the Store interface's
	// path). Both are keyed by a limit's identity, never by a *Limit: a
	// caller that brings a new *Limit on every call (per-call values,
	// overrides) adds nothing; params are derived from each Limit anew.
	byID sync.Map // tableID → *memTable
}

type tableID struct {
	keyspace, name string
	alg            Algorithm
}

// memRef is a limit resolved against a MemoryStore: its table and params.
type memRef struct {
	t *memTable
	p ratemath.Params
}

// MemoryOption configures a MemoryStore.
type MemoryOption func(*MemoryStore)

// WithMaxKeys bounds the keys each limit keeps (default DefaultMaxKeys); n
// below 1 means 1. It bounds memory too, whatever the keys' lengths: at most
// n × 128 bytes per gcra or leaky_bucket limit and n × 192 bytes per limit
// of the other algorithms (sliding_window adds its logs; see MemoryStore).
func WithMaxKeys(n int) MemoryOption {
	return func(s *MemoryStore) { s.maxKeys = max(n, 1) }
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	s := &MemoryStore{maxKeys: DefaultMaxKeys, tables: make(map[tableID]*memTable)}
	for _, o := range opts {
		o(s)
	}
	n := 16
	for n < 8*goruntime.GOMAXPROCS(0) && n < 256 {
		n *= 2
	}
	for n > 1 && n > s.maxKeys {
		n /= 2
	}
	s.nshards = n
	return s
}

// defaultMemory is the store used when none is configured, and by
// scope=local limits when the configured store is not a MemoryStore.
var defaultMemory = NewMemoryStore()

// table returns the table of limit l in keyspace ks, creating it. The
// table is the limit's identity (keyspace, name, algorithm): its state
// stays whatever values (quota, burst, bucket, duration) later calls bring.
func (s *MemoryStore) table(ks string, l *Limit) *memTable {
	id := tableID{ks, l.Name, l.Algorithm}
	if t, ok := s.byID.Load(id); ok {
		return t.(*memTable)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[id]
	if t == nil {
		s.nextID++
		t = newMemTable(s.nextID, s.nshards, max(1, s.maxKeys/s.nshards))
		s.tables[id] = t
		s.byID.Store(id, t)
	}
	return t
}

// params validates l, the values in force for one call, and derives its
// parameters.
func (s *MemoryStore) params(l *Limit) (ratemath.Params, error) {
	p, err := limitParams(l)
	if err != nil {
		return p, fmt.Errorf("throttle: invalid limit %q (%v quota=%d duration=%v burst=%d bucket=%d): %w",
			l.Name, l.Algorithm, l.Quota, l.Duration, l.Burst, l.Bucket, err)
	}
	return p, nil
}

// ref resolves l in keyspace ks (not cached: see table).
func (s *MemoryStore) ref(ks string, l *Limit) (*memRef, error) {
	p, err := s.params(l)
	if err != nil {
		return nil, err
	}
	return &memRef{t: s.table(ks, l), p: p}, nil
}

// count returns how many keyed and unkeyed states the store holds, counting
// idle ones not yet forgotten.
func (s *MemoryStore) count() int {
	s.mu.Lock()
	tables := make([]*memTable, 0, len(s.tables))
	for _, t := range s.tables {
		tables = append(tables, t)
	}
	s.mu.Unlock()
	n := 0
	for _, t := range tables {
		t.one.mu.Lock()
		if t.one.ok || t.one.word.Load() != 0 {
			n++
		}
		t.one.mu.Unlock()
		for i := range t.shards {
			sh := &t.shards[i]
			sh.mu.Lock()
			n += sh.entries() + sh.w.n
			sh.mu.Unlock()
		}
	}
	return n
}

var errBadRequest = errors.New("throttle: request needs one key per limit (and one cost per limit, or none)")

// checkRequest checks req's shape and its costs.
func checkRequest(req *Request) error {
	if len(req.Keys) != len(req.Limits) || (req.Costs != nil && len(req.Costs) != len(req.Limits)) {
		return errBadRequest
	}
	for i, c := range req.Costs {
		if c < 0 {
			return fmt.Errorf("throttle: limit %q: cost %d: %w", req.Limits[i].Name, c, ErrInvalidCost)
		}
	}
	return nil
}

// maxStackCalls is how many limits MemoryStore.Decide and Cancel handle
// without allocating.
const maxStackCalls = 4

// calls resolves req into one memCall per limit, over the buffers given
// (used when they are large enough).
func (s *MemoryStore) calls(req *Request, pbuf []ratemath.Params, cbuf []memCall) ([]memCall, error) {
	n := len(req.Limits)
	if n > len(pbuf) {
		pbuf, cbuf = make([]ratemath.Params, n), make([]memCall, n)
	}
	for i, l := range req.Limits {
		p, err := s.params(l)
		if err != nil {
			return nil, err
		}
		pbuf[i] = p
		cbuf[i] = memCall{t: s.table(req.Keyspace, l), p: &pbuf[i], key: req.Keys[i], cost: req.Cost(i)}
	}
	return cbuf[:n], nil
}

// nowMicros returns the decision time of req: req.Now when set, else the
// configured clock.
func requestNow(req *Request) int64 {
	if !req.Now.IsZero() {
		return req.Now.UnixMicro()
	}
	return nowMicros(loadConfig().clock)
}

// Decide implements Store. Each limit's state is its identity's (keyspace,
// name, algorithm) and key's, decided with the values req's Limit carries
// for this call.
func (s *MemoryStore) Decide(ctx context.Context, req *Request) (Decision, error) {
	if len(req.Limits) == 0 {
		return Decision{}, errBadRequest
	}
	if err := checkRequest(req); err != nil {
		return Decision{}, err
	}
	var pbuf [maxStackCalls]ratemath.Params
	var cbuf [maxStackCalls]memCall
	calls, err := s.calls(req, pbuf[:], cbuf[:])
	if err != nil {
		return Decision{}, err
	}
	maxWait := int64(-1)
	if req.MaxWait >= 0 {
		maxWait = ratemath.Micros(req.MaxWait)
	}
	return decideCalls(calls, requestNow(req), maxWait), nil
}

// Cancel implements Store: it gives back, on every limit of req, the
// reservation of one admitted call of the request's cost (token_bucket,
// gcra, leaky_bucket).
func (s *MemoryStore) Cancel(ctx context.Context, req *Request) error {
	if err := checkRequest(req); err != nil {
		return err
	}
	var pbuf [maxStackCalls]ratemath.Params
	var cbuf [maxStackCalls]memCall
	calls, err := s.calls(req, pbuf[:], cbuf[:])
	if err != nil {
		return err
	}
	now := requestNow(req)
	for _, c := range calls {
		c.t.cancelOne(c.p, c.key, now, c.cost)
	}
	return nil
}

// cancelOne gives back the reservation of one call of cost units of key,
// with the params p of that call, if p's algorithm reserves (cost 0:
// nothing was reserved).
func (t *memTable) cancelOne(p *ratemath.Params, key string, now, cost int64) {
	if !p.Algo.Reserves || cost == 0 {
		return
	}
	if key == "" {
		s := &t.one
		if isWord(p) {
			s.cancelWord(p, now, cost)
			return
		}
		s.mu.Lock()
		if s.ok && now < s.e.exp {
			var ttl int64
			s.e.st, ttl = p.Algo.Cancel(p, s.e.st, now, cost)
			s.e.exp = now + ttl
		}
		s.mu.Unlock()
		return
	}
	var d [sha256.Size]byte
	k := keyOf(key, &d)
	h := maphash.String(t.seed, k.s)
	sh := &t.shards[h&t.mask]
	sh.mu.Lock()
	if isWord(p) {
		if i := sh.w.find(wordTag(h), k); i >= 0 {
			st, _ := p.Algo.Cancel(p, ratemath.WordState(sh.w.hold(i)), now, cost)
			sh.w.set(i, st.Word())
		}
	} else if e := sh.get(k); e != nil && now < e.exp {
		var ttl int64
		e.st, ttl = p.Algo.Cancel(p, e.st, now, cost)
		e.exp = now + ttl
	}
	sh.mu.Unlock()
}

// toDecision converts one outcome.
func toDecision(o ratemath.Outcome) Decision {
	d := Decision{Allowed: o.Allowed, Remaining: o.Remaining(), Rejected: -1}
	if o.Allowed {
		d.Delay = time.Duration(o.Delay) * time.Microsecond
	} else {
		d.Rejected, d.Reason = 0, Reason(o.Reason)
		d.RetryAfter = time.Duration(o.RetryAfter) * time.Microsecond
	}
	return d
}
