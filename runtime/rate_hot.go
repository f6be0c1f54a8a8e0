package runtime

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// hotKeys is the rejection memory of one store-decided limit of a Rate
// (docs/spec.md §7, hot keys): when the store rejects a call of key k because
// of this limit's quota, with RetryAfter r, later calls of k are rejected in
// this process, without a round trip, until r has passed, their RetryAfter
// counting down to that moment.
//
// Only calls with the same values (quota, duration, burst, bucket: per-call
// values and overrides may change them) and a cost at least the rejected
// one's are rejected from memory: a call the store would judge otherwise
// asks it. A new configuration (Configure, overrides) starts with an empty
// memory.
//
// This never admits a call the store would reject, so limits stay exact
// across processes: it only rejects, and only while the store said it would
// reject. Other processes' calls can push the moment a key is admitted again
// later, never earlier. (A reservation cancelled elsewhere can make it
// earlier; the memory then rejects a call the store would have admitted, at
// most until r has passed.) The moment is r after the request was sent, on
// this process's clock: the store decided at that time or later, so the
// memory never outlasts the store's own rejection.
//
// A rejection remembered for a call that could wait up to w (reserving
// algorithms reject what they cannot reserve within w) stands for calls that
// can wait at most w.
//
// A store that forgets its state (redisstore's Clear) calls
// ForgetRejections, which ends every remembered rejection.
//
// The memory is a small direct-mapped table of the hottest keys, read
// lock-free: a key's slot holds the latest rejection of any key hashing to
// it, so a cold key only displaces another cold key's entry. It lives with
// the Rate's resolved configuration, and a new configuration starts empty.
type hotKeys struct {
	seed  maphash.Seed
	slots [hotSlots]atomic.Pointer[hotEntry]
}

// hotSlots is the size of a limit's rejection memory.
const hotSlots = 64

// hotEntry is one remembered rejection.
type hotEntry struct {
	epoch   uint64 // rejectionEpoch when remembered
	key     string
	until   int64 // µs (the Rate's clock) until which the key is rejected
	maxWait int64 // the call's wait bound in µs, -1 unbounded
	cost    int64 // the rejected call's cost: calls of this cost or more are rejected
	// The values the call was decided with: only calls with the same ones
	// are rejected.
	quota, burst, bucket, period int64
}

func newHotKeys() *hotKeys { return &hotKeys{seed: maphash.MakeSeed()} }

func (h *hotKeys) slot(key string) *atomic.Pointer[hotEntry] {
	if key == "" {
		return &h.slots[0]
	}
	return &h.slots[maphash.String(h.seed, key)%hotSlots]
}

// rejected returns how long (µs, > 0) a call of key, of cost cost, with
// params p, that may wait up to maxWait is still rejected at its decision
// time, or 0 when the store must decide.
func (h *hotKeys) rejected(key string, cost int64, p *ratemath.Params, at *decisionTime, maxWait int64) int64 {
	e := h.slot(key).Load()
	if e == nil || e.key != key || e.epoch != rejectionEpoch.Load() ||
		cost < e.cost || e.quota != p.Quota || e.burst != p.Burst || e.bucket != p.Bucket || e.period != p.Period {
		return 0
	}
	now := at.get() // only for a key with a rejection to remember: most calls read no clock here
	if now >= e.until {
		return 0
	}
	if e.maxWait >= 0 && (maxWait < 0 || maxWait > e.maxWait) {
		return 0 // this call may wait longer than the rejected one could
	}
	return e.until - now
}

// remember records that the store rejected key, for a call of cost cost
// with params p that could wait up to maxWait and was sent at time sent,
// until sent + retryAfter.
func (h *hotKeys) remember(key string, cost int64, p *ratemath.Params, sent, retryAfter, maxWait int64) {
	if retryAfter <= 0 || cost <= 0 {
		return
	}
	h.slot(key).Store(&hotEntry{epoch: rejectionEpoch.Load(), key: key, until: sent + retryAfter, maxWait: maxWait,
		cost: cost, quota: p.Quota, burst: p.Burst, bucket: p.Bucket, period: p.Period})
}

// rejectionEpoch counts the calls of ForgetRejections.
var rejectionEpoch atomic.Uint64

// ForgetRejections ends the rejections that limiters remember from their
// stores' answers (docs/spec.md §7, hot keys), so that the next call of every
// key asks its store. A Store whose state is cleared or replaced calls it:
// redisstore's Clear does.
func ForgetRejections() { rejectionEpoch.Add(1) }
