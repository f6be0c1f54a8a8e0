package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The helpers of the override parser's messages, as the generator words
// its own (SPEC §2): echoes are clipped, misspellings get a suggestion.

// maxEcho is the most bytes of the user's input an error message repeats.
const maxEcho = 200

// clip returns s, or its first maxEcho bytes (cut at a character boundary)
// followed by a note of how much was left out.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	n := maxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "… (" + strconv.Itoa(len(s)-n) + " more bytes)"
}

// quoteClip is strconv.Quote of clip(s).
func quoteClip(s string) string { return strconv.Quote(clip(s)) }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely misspelling (two edits, one for words of four bytes
// or fewer; case is ignored).
func suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	lw := strings.ToLower(word)
	for _, c := range candidates {
		limit := 2
		if len(c) <= 4 {
			limit = 1
		}
		if d := len(lw) - len(c); d > limit || -d > limit {
			continue // cannot be within limit edits
		}
		d := editDistance(lw, strings.ToLower(c))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean formats a suggestion suffix for an error message.
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// didYouMeanOrList suggests the closest candidate, or lists them all when
// none is close.
func didYouMeanOrList(word string, candidates []string) string {
	if s := didYouMean(word, candidates); s != "" {
		return s
	}
	return " (want one of " + strings.Join(candidates, ", ") + ")"
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance between a and b, counting bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
