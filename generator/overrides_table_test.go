package generator

import (
	"strconv"
	"strings"
	"testing"
	"time"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// TestOverridesFollowTheDirectiveTable keeps the runtime's override parser
// (which cannot import this package) in step with the directive table: on
// every rate policy and concurrency, each numeric, duration, enumerated or
// quota-list argument of the table can be overridden with a valid value,
// and each expression or identity argument is refused (docs/spec.md §6);
// key= is the override's selector of one key.
func TestOverridesFollowTheDirectiveTable(t *testing.T) {
	t.Cleanup(throttle.SaveConfig())
	for _, p := range policies {
		if p.kind != kindRate && p.kind != kindConcurrency {
			continue
		}
		name := "generator.overrides-table." + p.name
		if p.kind == kindRate {
			alg := algorithmNamed(t, p.name)
			throttle.NewRate(name, throttle.RateSpec{Algorithm: alg, Quota: 10, Duration: time.Second, Bucket: 1})
		} else {
			throttle.NewConcurrency(throttle.ConcurrencySpec{Name: name, Capacity: 2})
		}
		for _, a := range p.args {
			if a.name == "key" {
				continue // in an override, key=VALUE selects the calls of one key
			}
			var value string
			switch a.typ {
			case argInt:
				value = strconv.FormatInt(max(a.min, 1), 10)
			case argDuration:
				value = "1s"
			case argEnum:
				value = a.values[0]
			case argQuotas:
				value = "0.5"
			default:
				value = "x"
			}
			line := name + " " + p.name + " " + a.name + "=" + value
			_, err := throttle.ParseOverrides(line)
			identity := a.typ == argExpr || a.typ == argName || a.name == "scope" || a.name == "cost"
			switch {
			case identity && err == nil:
				t.Errorf("%q: accepted, want the expression or identity %s= refused", line, a.name)
			case identity && !strings.Contains(err.Error(), a.name):
				t.Errorf("%q: %v, want a refusal naming %s", line, err, a.name)
			case !identity && err != nil:
				t.Errorf("%q: %v, want %s= overridable as the directive table has it", line, err, a.name)
			}
		}
	}
}

func algorithmNamed(t *testing.T, name string) throttle.Algorithm {
	t.Helper()
	for _, a := range throttle.Algorithms() {
		if a.String() == name {
			return a
		}
	}
	t.Fatalf("no algorithm %q", name)
	return 0
}
