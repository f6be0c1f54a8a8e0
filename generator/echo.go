package generator

import (
	"strconv"
	"unicode/utf8"
)

// maxEcho is the most bytes of the user's input an error message repeats
// (SPEC §2): an error about a megabyte-long argument stays readable.
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
