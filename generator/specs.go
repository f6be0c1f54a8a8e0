package generator

import (
	"fmt"
	"strconv"
	"strings"
)

// This file renders directives as the runtime's spec literals, listing
// only fields that differ from their defaults.

var algorithms = map[string]string{
	"fixed_window":   "FixedWindow",
	"sliding_window": "SlidingWindow",
	"token_bucket":   "TokenBucket",
	"gcra":           "GCRA",
	"leaky_bucket":   "LeakyBucket",
}

func intLit(i int64) string { return strconv.FormatInt(i, 10) }

// floatLit renders f as a Go float literal: with a dot or an exponent, so
// that it is not read as an integer.
func floatLit(f float64) string {
	s := fmt.Sprintf("%#v", f)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// rateSpec renders one rate directive as a runtime.RateSpec, listing only
// fields that differ from their defaults.
func (w *writer) rateSpec(d *directive) string {
	fields := make([]string, 0, 6)
	if a := d.get("name"); a != nil {
		fields = append(fields, field("Name", strconv.Quote(a.s)))
	}
	fields = append(fields,
		field("Algorithm", w.rt(algorithms[d.policy])),
		field("Quota", intLit(d.get("quota").i)),
		field("Duration", w.duration(d.get("duration").d, true)))
	if a := d.get("burst"); a != nil {
		fields = append(fields, field("Burst", intLit(a.i)))
	}
	if a := d.get("bucket"); a != nil {
		fields = append(fields, field("Bucket", intLit(a.i)))
	}
	if a := d.get("wait"); a != nil && a.d > 0 {
		fields = append(fields, field("Wait", w.duration(a.d, true)))
	}
	if a := d.get("fail"); a != nil && a.s == "closed" {
		fields = append(fields, field("Fail", w.rt("FailClosed")))
	}
	if a := d.get("scope"); a != nil && a.s == "local" {
		fields = append(fields, field("Scope", w.rt("ScopeLocal")))
	}
	if d.get("key") != nil {
		fields = append(fields, field("Keyed", "true"))
	}
	return literal(w.rt("RateSpec"), fields)
}

func (w *writer) quotas(qs []quota) string {
	items := make([]string, len(qs))
	for i, q := range qs {
		var fs []string
		if q.name != "" {
			fs = append(fs, field("Name", strconv.Quote(q.name)))
		}
		items[i] = literal("", append(fs, field("Fraction", floatLit(q.fraction))))
	}
	return literal("[]"+w.rt("Quota"), items)
}

func (w *writer) concurrencySpec(name string, d *directive) string {
	fields := []string{field("Name", strconv.Quote(name)), field("Capacity", intLit(d.get("capacity").i))}
	if a := d.get("queue"); a != nil && a.i > 0 {
		fields = append(fields, field("Queue", intLit(a.i)))
	}
	if a := d.get("consumer_quota"); a != nil {
		fields = append(fields, field("ConsumerQuotas", w.quotas(a.quotas)))
	}
	if a := d.get("priority_quota"); a != nil {
		fields = append(fields, field("PriorityQuotas", w.quotas(a.quotas)))
	}
	if a := d.get("order"); a != nil && a.s == "fifo" {
		fields = append(fields, field("Order", w.rt("FIFO")))
	}
	if a := d.get("max_wait"); a != nil && a.d > 0 {
		fields = append(fields, field("MaxWait", w.duration(a.d, true)))
	}
	if a := d.get("scope"); a != nil && a.s == "global" {
		fields = append(fields, field("Scope", w.rt("ScopeGlobal")))
	}
	return literal(w.rt("ConcurrencySpec"), fields)
}

func (w *writer) retrySpec(fn *function, d *directive) string {
	fields := []string{field("Name", strconv.Quote(fn.fullName)), field("Attempts", intLit(d.get("attempts").i))}
	if a := d.get("backoff"); a != nil && a.s == "constant" {
		fields = append(fields, field("Backoff", w.rt("Constant")))
	}
	if a := d.get("base"); a != nil {
		fields = append(fields, field("Base", w.duration(a.d, true)))
	}
	if a := d.get("max"); a != nil {
		fields = append(fields, field("Max", w.duration(a.d, true)))
	}
	if a := d.get("jitter"); a != nil && a.s == "none" {
		fields = append(fields, field("Jitter", w.rt("NoJitter")))
	}
	if a := d.get("on"); a != nil {
		var on []string
		for _, it := range a.on {
			switch it.word {
			case "throttled":
				on = append(on, w.rt("OnThrottled"))
			case "timeout":
				on = append(on, w.rt("OnTimeout"))
			case "error":
				on = append(on, w.rt("OnError"))
			}
		}
		if len(on) == 0 {
			on = append(on, w.rt("OnNone"))
		}
		// A field's value is at the top level: gofmt spaces the operators.
		fields = append(fields, field("On", strings.Join(on, " | ")))
	}
	if a := d.get("budget"); a != nil {
		fields = append(fields, field("Budget", floatLit(a.f)))
	}
	return literal(w.rt("RetrySpec"), fields)
}

func (w *writer) cacheSpec(fn *function, d *directive) string {
	fields := []string{field("Name", strconv.Quote(fn.fullName)), field("TTL", w.duration(d.get("ttl").d, true))}
	if a := d.get("size"); a != nil {
		fields = append(fields, field("Size", intLit(a.i)))
	}
	if a := d.get("store"); a != nil && a.s == "shared" {
		fields = append(fields, field("Shared", "true"))
	}
	return literal(w.rt("CacheSpec"), fields)
}
