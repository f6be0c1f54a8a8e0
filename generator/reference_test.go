package generator

import (
	"slices"
	"strings"
	"testing"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

func TestVersionMatchesRuntime(t *testing.T) {
	if Version != throttle.Version {
		t.Errorf("generator.Version %q, runtime.Version %q: keep them in step", Version, throttle.Version)
	}
	if !throttle.SupportPackageIsVersion1 || contractConst != "SupportPackageIsVersion1" {
		t.Error("the generated contract constant is not the runtime's")
	}
}

// TestDirectiveReference checks that the reference and -h list every policy
// and argument of the table. (internal/readme keeps README.md in sync.)
func TestDirectiveReference(t *testing.T) {
	ref := DirectiveReference()
	for _, p := range policies {
		if !strings.Contains(ref, "### `"+p.name+"`") {
			t.Errorf("reference lacks policy %s", p.name)
		}
		for _, a := range p.args {
			if !strings.Contains(ref, "| `"+a.name+"` |") {
				t.Errorf("reference lacks %s argument %s", p.name, a.name)
			}
		}
	}
	usage := usageReference()
	for _, p := range policies {
		if !strings.Contains(usage, "\n  "+p.name+": ") {
			t.Errorf("-h lacks policy %s", p.name)
		}
	}
}

// TestPerCallArgs checks which arguments the table lets be per call (SPEC
// §6): quota=, burst=, bucket= and cost= of the rate policies, nothing
// else; and that every rate policy and concurrency take mode=.
func TestPerCallArgs(t *testing.T) {
	if got, want := strings.Join(perCallArgs(), " "), "quota= burst= bucket= cost="; got != want {
		t.Errorf("perCallArgs() = %q, want %q", got, want)
	}
	for _, p := range policies {
		for _, a := range p.args {
			if a.perCall && (p.kind != kindRate || a.typ != argInt) {
				t.Errorf("%s %s= is per call, but only integer arguments of rate policies may be", p.name, a.name)
			}
		}
		if hasMode := p.arg("mode") != nil; hasMode != (p.kind == kindRate || p.kind == kindConcurrency) {
			t.Errorf("%s: mode= %v", p.name, hasMode)
		}
		if hasCost := p.arg("cost") != nil; hasCost != (p.kind == kindRate) {
			t.Errorf("%s: cost= %v", p.name, hasCost)
		}
	}
	for _, name := range constantOnlyArgs() {
		if slices.Contains(perCallArgs(), name) {
			t.Errorf("%s is both constant-only and per call", name)
		}
	}
}
