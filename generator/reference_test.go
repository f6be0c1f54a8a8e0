package generator

import (
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
