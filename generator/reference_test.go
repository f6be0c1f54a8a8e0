package generator

import (
	"os"
	"path/filepath"
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

// TestDirectiveReference checks that the reference lists every policy and
// argument of the table, and that the README, when it embeds the
// reference between the markers, embeds the current one.
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
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Skip(err)
	}
	const begin, end = "<!-- BEGIN DIRECTIVE REFERENCE -->\n", "<!-- END DIRECTIVE REFERENCE -->"
	i, j := strings.Index(string(readme), begin), strings.Index(string(readme), end)
	if i < 0 || j < i {
		t.Skip("README.md does not embed the directive reference")
	}
	if got := string(readme[i+len(begin) : j]); got != ref {
		t.Errorf("README.md's directive reference is out of date: replace the text between the markers with generator.DirectiveReference()")
	}
}
