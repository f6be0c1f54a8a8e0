package runtime

import (
	"math"
	"time"
)

// concSettings are the settings a concurrency limiter decides with: its
// spec with the override in force applied, quotas compiled. They are
// immutable; the limiter swaps them (under its mutex) when the override set
// in force changes, keeping its running and waiting calls.
type concSettings struct {
	// The fields every decision reads come first, to share a cache line.

	// from is the override set these settings were derived from: the
	// limiter derives them again when the set in force is another one.
	// unresolved before the limiter's first call.
	from         *overrideSet
	mode         Mode
	hasPrioQ     bool
	hasConsumerQ bool
	capacity     int
	prioMax      [numPrioClasses]int // priority quotas: the most running calls of each class

	queue         int
	order         Order
	maxWait       time.Duration
	consumerAll   int            // from unnamed consumer quotas; math.MaxInt when none
	consumerNamed map[string]int // named consumer quotas, min'ed with consumerAll
	ov            *concOverride  // the override applied; nil when none
}

// unresolved marks the settings of a limiter that has not decided yet, so
// that its first call takes the cold path (which loads THROTTLEGEN_OVERRIDES
// and applies the set in force).
var unresolved = &overrideSet{}

// newSettings compiles spec with ov (nil: none) applied.
func newSettings(spec ConcurrencySpec, ov *concOverride, from *overrideSet) *concSettings {
	if ov != nil {
		if ov.has&ovCapacity != 0 {
			spec.Capacity = ov.Capacity
		}
		if ov.has&ovQueue != 0 {
			spec.Queue = ov.Queue
		}
		if ov.has&ovConsumerQuota != 0 {
			spec.ConsumerQuotas = ov.ConsumerQuotas
		}
		if ov.has&ovPriorityQuota != 0 {
			spec.PriorityQuotas = ov.PriorityQuotas
		}
		if ov.has&ovOrder != 0 {
			spec.Order = ov.Order
		}
		if ov.has&ovMaxWait != 0 {
			spec.MaxWait = ov.MaxWait
		}
		if ov.has&ovMode != 0 {
			spec.Mode = ov.Mode
		}
	}
	s := &concSettings{from: from, ov: ov, capacity: spec.Capacity, queue: spec.Queue,
		order: spec.Order, maxWait: spec.MaxWait, mode: spec.Mode, consumerAll: math.MaxInt}
	for _, q := range spec.ConsumerQuotas {
		if q.Name == "" {
			s.consumerAll = min(s.consumerAll, quotaMax(q.Fraction, spec.Capacity))
		}
	}
	for _, q := range spec.ConsumerQuotas {
		if q.Name != "" {
			if s.consumerNamed == nil {
				s.consumerNamed = map[string]int{}
			}
			m, ok := s.consumerNamed[q.Name]
			if !ok {
				m = s.consumerAll
			}
			s.consumerNamed[q.Name] = min(m, quotaMax(q.Fraction, spec.Capacity))
		}
	}
	s.hasConsumerQ = len(spec.ConsumerQuotas) > 0
	for i := range s.prioMax {
		s.prioMax[i] = math.MaxInt
	}
	for _, q := range spec.PriorityQuotas {
		m := quotaMax(q.Fraction, spec.Capacity)
		if q.Name == "" {
			for i := range s.prioMax {
				s.prioMax[i] = min(s.prioMax[i], m)
			}
			continue
		}
		cls, _ := parsePrioClass(q.Name)
		s.prioMax[cls] = min(s.prioMax[cls], m)
	}
	s.hasPrioQ = len(spec.PriorityQuotas) > 0
	return s
}

// consumerMax is the most calls consumer may run at once.
func (s *concSettings) consumerMax(consumer string) int {
	if s.consumerNamed != nil {
		if m, ok := s.consumerNamed[consumer]; ok {
			return m
		}
	}
	return s.consumerAll
}

// resolve is the cold path of a decision that found the limiter's settings
// derived from another override set than cfg's (or not derived yet): it
// loads THROTTLEGEN_OVERRIDES on the process's first decision, then derives
// the settings from the configuration in force. It returns them and that
// configuration.
func (c *Concurrency) resolve() (*concSettings, *config) {
	if !envOverridesDone.Load() {
		loadEnvOverrides() // may Configure: not under c.mu
	}
	return c.refresh(false), loadConfig()
}

// refresh derives the limiter's settings from the override set in force,
// unless they already are, and applies them to the calls it holds: waiting
// calls get the slots a larger capacity frees at once (their quotas are
// checked as after any wait); running calls are never stopped. It returns
// the settings in force. With poked (a Configure changed the set in force),
// a limiter that has not decided yet while THROTTLEGEN_OVERRIDES is still
// to be loaded takes the new values (Stats shows them) but stays
// unresolved, so that its first call still loads the file.
func (c *Concurrency) refresh(poked bool) *concSettings {
	c.mu.Lock()
	cfg := loadConfig() // under c.mu: refreshes apply in publication order
	cur := c.set.Load()
	if cur.from == cfg.overrides {
		c.mu.Unlock()
		return cur
	}
	from := cfg.overrides
	if poked && cur.from == unresolved && !envOverridesDone.Load() {
		from = unresolved
	}
	var ov *concOverride
	if cfg.overrides != nil && c.spec.Name != "" {
		ov = cfg.overrides.conc[c.spec.Name]
	}
	var s *concSettings
	if ov == cur.ov {
		cp := *cur // the same values, derived from another set
		cp.from = from
		s = &cp
	} else {
		s = newSettings(c.spec, ov, from)
	}
	c.set.Store(s)
	if s.hasConsumerQ && c.byConsumer == nil {
		c.byConsumer = map[string]*consumerCount{}
		c.sweepAt = minSweep
	}
	for _, cc := range c.byConsumer {
		cc.max = s.consumerMax(cc.name)
	}
	for c.queue.n > 0 && c.running < s.capacity { // a larger capacity: serve the waiters
		if c.grantLocked(s, c.queue.pop(s.order)) {
			c.running++
		}
	}
	c.mu.Unlock()
	if c.global != nil {
		c.global.nudge() // the dispatcher tries its waiters with the new capacity
	}
	return s
}
