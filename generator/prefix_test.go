package generator

import (
	"strings"
	"testing"
)

func TestMisspeltPrefix(t *testing.T) {
	flagged := map[string]string{
		"//throtle:gcra quota=1": `misspelt directive prefix "throtle:": did you mean //throttle:gcra?`,
		"//trottle:gcra":         `misspelt directive prefix "trottle:": did you mean //throttle:gcra?`,
		"//thrtotle:x":           `did you mean //throttle:x?`,
		"//throttel:x":           `did you mean //throttle:x?`,
		"//THROTLE:x":            `misspelt directive prefix "THROTLE:"`,
		"//throttles:gcra":       `did you mean //throttle:gcra?`,
		"//hrotle:gcra":          `did you mean //throttle:gcra?`,
		"//throttlee:":           `did you mean //throttle:?`,
		"//throtle:" + strings.Repeat("x", 1<<20): "…?",
	}
	for line, want := range flagged {
		msg, bad := nearMiss(line)
		if want == "" {
			continue
		}
		if !bad || !strings.Contains(msg, want) {
			t.Errorf("nearMiss(%.40q) = %q, %v; want an error containing %q", line, msg, bad, want)
		}
		if len(msg) > 300 {
			t.Errorf("nearMiss(%.40q) echoes %d bytes", line, len(msg))
		}
	}
	ignored := []string{
		"// Throttled: whether the call was throttled",
		"// throttling: see below",
		"//go:generate go tool throttlegen",
		"//go:build linux",
		"//nolint:errcheck",
		"//lint:ignore U1000 reason",
		"//throttle",
		"//throttled",
		"//export Foo",
		"//line a.go:10",
		"// http://example.com/throttle:x",
		"//http://example.com",
		"//thermal:x",
		"//throttlegen:x",
	}
	for _, line := range ignored {
		if msg, bad := nearMiss(line); bad {
			t.Errorf("nearMiss(%q) = %q; want no error", line, msg)
		}
	}
}
