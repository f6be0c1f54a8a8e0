package generator

import (
	"strings"

	"github.com/dave/jennifer/jen"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// This file renders directives as the runtime's spec literals, listing
// only fields that differ from their defaults.

// algorithms maps each rate policy to the name of its runtime.Algorithm
// constant, from the runtime's table.
var algorithms = func() map[string]string {
	m := make(map[string]string)
	for _, a := range throttle.Algorithms() {
		m[a.String()] = strings.TrimPrefix(a.GoString(), "runtime.")
	}
	return m
}()

// rateSpec renders one rate directive as a runtime.RateSpec, listing only
// fields that differ from their defaults.
func rateSpec(d *directive) jen.Code {
	fields := []jen.Code{}
	if a := d.get("name"); a != nil {
		fields = append(fields, field("Name", jen.Lit(a.s)))
	}
	fields = append(fields,
		field("Algorithm", rt(algorithms[d.policy])),
		field("Quota", jen.Lit(int(d.get("quota").i))),
		field("Duration", durationCode(d.get("duration").d)))
	if a := d.get("burst"); a != nil {
		fields = append(fields, field("Burst", jen.Lit(int(a.i))))
	}
	if a := d.get("bucket"); a != nil {
		fields = append(fields, field("Bucket", jen.Lit(int(a.i))))
	}
	if a := d.get("wait"); a != nil && a.d > 0 {
		fields = append(fields, field("Wait", durationCode(a.d)))
	}
	if a := d.get("fail"); a != nil && a.s == "closed" {
		fields = append(fields, field("Fail", rt("FailClosed")))
	}
	if a := d.get("scope"); a != nil && a.s == "local" {
		fields = append(fields, field("Scope", rt("ScopeLocal")))
	}
	if d.get("key") != nil {
		fields = append(fields, field("Keyed", jen.True()))
	}
	return rt("RateSpec").Values(fields...)
}

func quotasCode(qs []quota) jen.Code {
	items := make([]jen.Code, len(qs))
	for i, q := range qs {
		var fs []jen.Code
		if q.name != "" {
			fs = append(fs, field("Name", jen.Lit(q.name)))
		}
		items[i] = jen.Values(append(fs, field("Fraction", jen.Lit(q.fraction)))...)
	}
	return jen.Index().Add(rt("Quota")).Values(items...)
}

func concurrencySpec(name string, d *directive) jen.Code {
	fields := []jen.Code{field("Name", jen.Lit(name)), field("Capacity", jen.Lit(int(d.get("capacity").i)))}
	if a := d.get("queue"); a != nil && a.i > 0 {
		fields = append(fields, field("Queue", jen.Lit(int(a.i))))
	}
	if a := d.get("consumer_quota"); a != nil {
		fields = append(fields, field("ConsumerQuotas", quotasCode(a.quotas)))
	}
	if a := d.get("priority_quota"); a != nil {
		fields = append(fields, field("PriorityQuotas", quotasCode(a.quotas)))
	}
	if a := d.get("order"); a != nil && a.s == "fifo" {
		fields = append(fields, field("Order", rt("FIFO")))
	}
	if a := d.get("max_wait"); a != nil && a.d > 0 {
		fields = append(fields, field("MaxWait", durationCode(a.d)))
	}
	if a := d.get("scope"); a != nil && a.s == "global" {
		fields = append(fields, field("Scope", rt("ScopeGlobal")))
	}
	return rt("ConcurrencySpec").Values(fields...)
}

func retrySpec(fn *function, d *directive) jen.Code {
	fields := []jen.Code{field("Name", jen.Lit(fn.fullName)), field("Attempts", jen.Lit(int(d.get("attempts").i)))}
	if a := d.get("backoff"); a != nil && a.s == "constant" {
		fields = append(fields, field("Backoff", rt("Constant")))
	}
	if a := d.get("base"); a != nil {
		fields = append(fields, field("Base", durationCode(a.d)))
	}
	if a := d.get("max"); a != nil {
		fields = append(fields, field("Max", durationCode(a.d)))
	}
	if a := d.get("jitter"); a != nil && a.s == "none" {
		fields = append(fields, field("Jitter", rt("NoJitter")))
	}
	if a := d.get("on"); a != nil {
		var on jen.Code
		for _, it := range a.on {
			var c jen.Code
			switch it.word {
			case "throttled":
				c = rt("OnThrottled")
			case "timeout":
				c = rt("OnTimeout")
			case "error":
				c = rt("OnError")
			default:
				continue
			}
			if on == nil {
				on = c
			} else {
				on = jen.Add(on).Op("|").Add(c)
			}
		}
		if on == nil {
			on = rt("OnNone")
		}
		fields = append(fields, field("On", on))
	}
	if a := d.get("budget"); a != nil {
		fields = append(fields, field("Budget", jen.Lit(a.f)))
	}
	return rt("RetrySpec").Values(fields...)
}

func cacheSpec(fn *function, d *directive) jen.Code {
	fields := []jen.Code{field("Name", jen.Lit(fn.fullName)), field("TTL", durationCode(d.get("ttl").d))}
	if a := d.get("size"); a != nil {
		fields = append(fields, field("Size", jen.Lit(int(a.i))))
	}
	if a := d.get("store"); a != nil && a.s == "shared" {
		fields = append(fields, field("Shared", jen.True()))
	}
	return rt("CacheSpec").Values(fields...)
}
