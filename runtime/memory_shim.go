package runtime

// TEMPORARY (issue 12): the memory API with cost, until the cost branch
// lands; cost is ignored here. Deleted at that merge.

import "github.com/throttlegen/throttlegen/runtime/internal/ratemath"

type memCall struct {
	t    *memTable
	p    *ratemath.Params
	key  string
	cost int64
}

func decideCalls(calls []memCall, now, maxWait int64) Decision {
	refs := make([]*memRef, len(calls))
	keys := make([]string, len(calls))
	for i, c := range calls {
		refs[i] = &memRef{t: c.t, p: *c.p}
		keys[i] = c.key
	}
	return decideRefs(refs, keys, now, maxWait)
}

func (t *memTable) decideOneC(p *ratemath.Params, key string, now, maxWait, cost int64) ratemath.Outcome {
	return t.decideOne(p, key, now, maxWait)
}
func (t *memTable) cancelOneC(p *ratemath.Params, key string, now, cost int64) {
	t.cancelOne(p, key, now)
}
func (t *memTable) undoOneC(p *ratemath.Params, key string, at, cost int64) {
	t.undoOne(p, key, at)
}

var loadEnvOverrides = func() {}
