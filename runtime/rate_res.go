package runtime

import (
	"sync/atomic"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// rateRes is what a Rate derives from one configuration: the values in
// force for each directive (the generated ones, or an override's), which
// directives are decided in memory (and their tables) and which by the
// configured store. It is immutable; a Rate replaces it when the
// configuration changes.
type rateRes struct {
	cfg    *config
	sys    bool // cfg.clock is SystemClock
	allMem bool
	// fast: one directive, decided in memory: Allow's allocation-free
	// path, for calls whose values in force (eff0) are enforced and
	// constant.
	fast bool
	// eff[i] is spec i's values in force; keyed[i] those of keys with an
	// override of their own (keyed is nil when no spec has one).
	eff   []effSpec
	keyed []keyedEff
	store Store
	avail AvailabilityReporter // store, when it implements it
}

// effSpec is one directive's values in force under one configuration.
type effSpec struct {
	p       ratemath.Params // valid unless perCall leaves values to the call
	limit   *Limit          // the limit in force: its identity and values (the per-call ones 0)
	perCall PerCall         // values each call gives (RateSpec.PerCall less the overridden ones)
	bound   int64           // µs a call may wait; -1 unbounded
	fail    FailPolicy
	mode    Mode
	t       *memTable   // decided in memory: its table; nil when the store decides
	hot     *hotKeys    // store-decided: the rejection memory (§7)
	share   *localShare // store-decided: the fail=local share
	// params keeps the params of the latest per-call values seen (see
	// perCallParams); nil without per-call values.
	params *paramCache
}

// paramCache keeps the params of a directive's latest per-call values.
type paramCache struct {
	// slots holds the params of the latest values seen, by a hash of the
	// values.
	slots [8]atomic.Pointer[ratemath.Params]
	// quota, when only quota is per call, is the params derived last:
	// AllowCall's memory path reuses them for a call of the same quota
	// without a call or a hash (a limit whose callers mostly share a
	// tier).
	quota atomic.Pointer[ratemath.Params]
}

// keyedEff holds the values in force of the keys of one directive that
// have an override of their own: a few in a slice, searched by length
// first (cheaper than hashing the key), more in a map.
type keyedEff struct {
	few  []keyEff
	many map[string]*effSpec
}

type keyEff struct {
	key string
	e   *effSpec
}

// maxFewKeys is how many keys keyedEff keeps in its slice.
const maxFewKeys = 8

// get returns the values in force for key, or nil when it has no override
// of its own.
func (k *keyedEff) get(key string) *effSpec {
	if k.many != nil {
		return k.many[key]
	}
	for i := range k.few {
		if len(k.few[i].key) == len(key) && k.few[i].key == key {
			return k.few[i].e
		}
	}
	return nil
}

// effFor returns the values in force of directive i for key.
func (res *rateRes) effFor(i int, key string) *effSpec {
	if res.keyed != nil {
		if e := res.keyed[i].get(key); e != nil {
			return e
		}
	}
	return &res.eff[i]
}

// eff0 returns the values in force of the first directive for key.
func (res *rateRes) eff0(key string) *effSpec { return res.effFor(0, key) }

// now returns the decision time in µs since the Unix epoch.
func (res *rateRes) now() int64 {
	if res.sys {
		return monoBaseMicros + int64(time.Since(monoBase)/time.Microsecond)
	}
	return res.cfg.clock.Now().UnixMicro()
}

// load returns the configuration in force and what r derives from it, or
// nil and nil when limits are off (WithLimitsOff).
func (r *Rate) load() (*config, *rateRes) {
	cfg := loadConfig()
	if cfg.limitsOff {
		return nil, nil
	}
	res := r.res.Load()
	if res == nil || res.cfg != cfg {
		res = r.resolve(cfg)
	}
	return cfg, res
}

// resolve derives and caches what r needs from cfg.
func (r *Rate) resolve(cfg *config) *rateRes {
	if !envOverridesDone.Load() {
		loadEnvOverrides()
		cfg = loadConfig() // with the environment's overrides, if they were just put in force
	}
	res := &rateRes{cfg: cfg, sys: cfg.clock == SystemClock, eff: make([]effSpec, len(r.specs)), allMem: true}
	mem, _ := cfg.store.(*MemoryStore)
	if mem == nil {
		mem = defaultMemory
	}
	local := false
	for i := range r.specs {
		s := &r.specs[i]
		e := &res.eff[i]
		*e = effSpec{p: s.p, limit: s.limit, perCall: s.PerCall, bound: ratemath.Micros(s.Wait),
			fail: s.Fail, mode: s.Mode}
		if s.p.Algo.Paces && s.Wait == 0 {
			e.bound = -1 // it waits its turn by nature: only the context bounds the wait
		}
		if s.PerCall != 0 {
			e.params = new(paramCache)
		}
		if cfg.store == nil || cfg.store == Store(mem) || s.Scope == ScopeLocal {
			e.t = mem.table(cfg.keyspace, s.limit)
		} else {
			res.allMem = false
			e.hot = newHotKeys()
			e.share = &localShare{t: localShares.table(cfg.keyspace, s.limit)}
		}
		var ovs *rateOverrides
		if cfg.overrides != nil {
			ovs = cfg.overrides.rate[limitID{s.Name, s.Algorithm}]
		}
		if ovs == nil {
			local = local || (e.hot != nil && e.fail == FailLocal)
			continue
		}
		base := *e // the generated values: a key's override replaces the one without key= as a whole
		if ovs.all != nil {
			*e = s.override(base, ovs.all)
		}
		local = local || (e.hot != nil && e.fail == FailLocal)
		if len(ovs.keys) > 0 {
			if res.keyed == nil {
				res.keyed = make([]keyedEff, len(r.specs))
			}
			k := &res.keyed[i]
			if len(ovs.keys) > maxFewKeys {
				k.many = make(map[string]*effSpec, len(ovs.keys))
			}
			for key, o := range ovs.keys {
				ke := s.override(base, o)
				if k.many != nil {
					k.many[key] = &ke
				} else {
					k.few = append(k.few, keyEff{key, &ke})
				}
				local = local || (ke.hot != nil && ke.fail == FailLocal)
			}
		}
	}
	res.fast = len(r.specs) == 1 && res.allMem
	if !res.allMem {
		res.store = cfg.store
		res.avail, _ = cfg.store.(AvailabilityReporter)
		if pc, ok := cfg.store.(ProcessCounter); ok && local {
			pc.Processes(cfg.keyspace) // the store starts counting the keyspace's processes
		}
	}
	r.res.Store(res)
	return res
}

// override returns e with the values override o sets.
func (s *rateSpec) override(e effSpec, o *rateOverride) effSpec {
	if e.params != nil {
		e.params = new(paramCache) // the values in force changed
	}
	if o.has&(ovQuota|ovDuration|ovBurst|ovBucket) != 0 {
		l := *e.limit
		if o.has&ovQuota != 0 {
			l.Quota, e.perCall = o.Quota, e.perCall&^PerCallQuota
		}
		if o.has&ovDuration != 0 {
			l.Duration = o.Duration
		}
		if o.has&ovBurst != 0 {
			l.Burst, e.perCall = o.Burst, e.perCall&^PerCallBurst
		} else if e.perCall&PerCallQuota == 0 && s.Burst == 0 && s.p.Algo.UsesBurst {
			l.Burst = l.Quota // the default burst follows an overridden quota
		}
		if o.has&ovBucket != 0 {
			l.Bucket, e.perCall = o.Bucket, e.perCall&^PerCallBucket
		}
		e.limit = &l
		if e.perCall == 0 {
			if p, err := limitParams(&l); err == nil { // ParseOverrides validated it
				e.p = p
			}
		}
	}
	if o.has&ovWait != 0 {
		e.bound = ratemath.Micros(o.Wait)
		if s.p.Algo.Paces && o.Wait == 0 {
			e.bound = -1
		}
	}
	if o.has&ovFail != 0 {
		e.fail = o.Fail
	}
	if o.has&ovMode != 0 {
		e.mode = o.Mode
	}
	return e
}
