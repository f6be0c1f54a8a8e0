package generator

import (
	"fmt"
	"strings"
)

// maxPrefixEdits is how far the first word of a "//" line may be from
// "throttle:" and still be taken for a misspelt directive (docs/spec.md §2).
const maxPrefixEdits = 2

// misspeltPrefix reports whether a comment line is a directive with a
// misspelt prefix, such as //throtle:gcra or //trottle:gcra, and how to fix
// it.
//
// The model: a directive is written as Go writes its other directives
// (//go:build, //nolint:x), with no space after the slashes, and its first
// word holds a colon. A line whose first word, up to and including its
// first colon, is within maxPrefixEdits edits of "throttle:" (case aside)
// but is not "throttle:" is a misspelling. Prose ("// Throttled: ...") has
// a space after the slashes and is never taken for one.
func misspeltPrefix(text string) (string, bool) {
	if !strings.HasPrefix(text, "//") {
		return "", false
	}
	word := text[2:]
	if i := strings.IndexAny(word, " \t"); i >= 0 {
		word = word[:i]
	}
	colon := strings.IndexByte(word, ':')
	if colon < 0 {
		return "", false
	}
	head := strings.ToLower(word[:colon+1])
	const want = "throttle:"
	if head == want || len(head) > len(want)+maxPrefixEdits || editDistance(head, want) > maxPrefixEdits {
		return "", false
	}
	return fmt.Sprintf("misspelt directive prefix %q: did you mean //throttle:%s?", echoWord(word[:colon+1]), echoWord(word[colon+1:])), true
}

// echoWord shortens s for a message to at most maxEcho bytes (docs/spec.md
// §2: messages echo at most 200 bytes of the offending input), cutting at a
// rune boundary and marking the cut.
func echoWord(s string) string {
	const maxEcho = 200
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
