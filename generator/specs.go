package generator

import (
	"go/types"
	"strings"

	"github.com/dave/jennifer/jen"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// This file renders directives as the runtime's spec literals, listing
// only fields that differ from their defaults. A value written as a
// constant is rendered as that constant (constants.go), always listed, as
// its value may change.

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
func rateSpec(r *renderer, d *directive) jen.Code {
	fields := []jen.Code{}
	if a := d.get("name"); a != nil {
		fields = append(fields, field("Name", jen.Lit(a.s)))
	}
	fields = append(fields, field("Algorithm", rt(algorithms[d.policy])))
	if a := d.get("quota"); a.perCall == nil {
		fields = append(fields, field("Quota", intCode(r, a, types.Int64)))
	}
	fields = append(fields, field("Duration", durCode(r, d.get("duration"))))
	if a := d.get("burst"); a != nil && a.perCall == nil {
		fields = append(fields, field("Burst", intCode(r, a, types.Int64)))
	}
	if a := d.get("bucket"); a != nil && a.perCall == nil {
		fields = append(fields, field("Bucket", intCode(r, a, types.Int64)))
	}
	if a := d.get("wait"); a != nil && (a.constant != nil || a.d > 0) {
		fields = append(fields, field("Wait", durCode(r, a)))
	}
	if a := d.get("fail"); a != nil && a.s == "closed" {
		fields = append(fields, field("Fail", rt("FailClosed")))
	} else if a != nil && a.s == "local" {
		fields = append(fields, field("Fail", rt("FailLocal")))
	}
	if a := d.get("scope"); a != nil && a.s == "local" {
		fields = append(fields, field("Scope", rt("ScopeLocal")))
	}
	if d.get("key") != nil {
		fields = append(fields, field("Keyed", jen.True()))
	}
	fields = append(fields, modeField(d)...)
	var perCall jen.Code
	for _, v := range perCallFields {
		if a := d.get(v.arg); a != nil && a.perCall != nil {
			if perCall == nil {
				perCall = rt(v.bit)
			} else {
				perCall = jen.Add(perCall).Op("|").Add(rt(v.bit))
			}
		}
	}
	if perCall != nil {
		fields = append(fields, field("PerCall", perCall))
	}
	return rt("RateSpec").Values(fields...)
}

// perCallFields are the arguments of rate policies that may be per call:
// their runtime.Call field and runtime.PerCall bit.
var perCallFields = []struct{ arg, field, bit string }{
	{"quota", "Quota", "PerCallQuota"},
	{"burst", "Burst", "PerCallBurst"},
	{"bucket", "Bucket", "PerCallBucket"},
}

// modeField is the Mode field of a rate or concurrency spec: none for
// mode=enforce, the default.
func modeField(d *directive) []jen.Code {
	switch a := d.get("mode"); {
	case a == nil || a.s == "enforce":
		return nil
	case a.s == "shadow":
		return []jen.Code{field("Mode", rt("ModeShadow"))}
	default:
		return []jen.Code{field("Mode", rt("ModeOff"))}
	}
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

func concurrencySpec(r *renderer, name string, d *directive) jen.Code {
	fields := []jen.Code{field("Name", jen.Lit(name)), field("Capacity", intCode(r, d.get("capacity"), types.Int))}
	if a := d.get("queue"); a != nil && (a.constant != nil || a.i > 0) {
		fields = append(fields, field("Queue", intCode(r, a, types.Int)))
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
	if a := d.get("max_wait"); a != nil && (a.constant != nil || a.d > 0) {
		fields = append(fields, field("MaxWait", durCode(r, a)))
	}
	if a := d.get("scope"); a != nil && a.s == "global" {
		fields = append(fields, field("Scope", rt("ScopeGlobal")))
	}
	fields = append(fields, modeField(d)...)
	return rt("ConcurrencySpec").Values(fields...)
}

func retrySpec(r *renderer, fn *function, d *directive) jen.Code {
	fields := []jen.Code{field("Name", jen.Lit(fn.fullName)), field("Attempts", intCode(r, d.get("attempts"), types.Int))}
	if a := d.get("backoff"); a != nil && a.s == "constant" {
		fields = append(fields, field("Backoff", rt("Constant")))
	}
	if a := d.get("base"); a != nil {
		fields = append(fields, field("Base", durCode(r, a)))
	}
	if a := d.get("max"); a != nil {
		fields = append(fields, field("Max", durCode(r, a)))
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
		fields = append(fields, field("Budget", fracCode(r, a)))
	}
	return rt("RetrySpec").Values(fields...)
}

func cacheSpec(r *renderer, fn *function, d *directive) jen.Code {
	fields := []jen.Code{field("Name", jen.Lit(fn.fullName)), field("TTL", durCode(r, d.get("ttl")))}
	if a := d.get("size"); a != nil {
		fields = append(fields, field("Size", intCode(r, a, types.Int)))
	}
	if a := d.get("store"); a != nil && a.s == "shared" {
		fields = append(fields, field("Shared", jen.True()))
	}
	return rt("CacheSpec").Values(fields...)
}

// intCode writes an integer argument for a field of basic type kind: its
// literal value, or its constant by name, converted when the constant has
// a type of its own.
func intCode(r *renderer, a *arg, kind types.BasicKind) jen.Code {
	if a.constant == nil {
		return jen.Lit(int(a.i))
	}
	return constCode(r, a.constant, types.Typ[kind])
}

// fracCode writes a fraction argument for a float64 field.
func fracCode(r *renderer, a *arg) jen.Code {
	if a.constant == nil {
		return jen.Lit(a.f)
	}
	return constCode(r, a.constant, types.Typ[types.Float64])
}

// durCode writes a duration argument: a multiple of its unit, or its
// constant (a time.Duration) by name.
func durCode(r *renderer, a *arg) jen.Code {
	if a.constant == nil {
		return durationCode(a.d)
	}
	c, _ := r.expr(a.constant.expr, a.constant.info)
	return c
}

// constCode writes a checked constant expression for a field of type t.
func constCode(r *renderer, k *keyExpr, t types.Type) jen.Code {
	c, _ := r.expr(k.expr, k.info)
	if b, ok := k.typ.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 || types.Identical(k.typ, t) {
		return c
	}
	return jen.Add(typeCodeOf(t)).Call(c)
}

// typeCodeOf writes a predeclared basic type.
func typeCodeOf(t types.Type) jen.Code { return jen.Id(t.(*types.Basic).Name()) }
