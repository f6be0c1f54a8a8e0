package charts

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// svg accumulates an SVG document. Every coordinate is an integer, so the
// output does not depend on floating-point details of the platform.
type svg struct{ b bytes.Buffer }

func (s *svg) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

// text writes a <text> element; attrs are extra attributes, already
// formatted.
func (s *svg) text(x, y int, attrs, body string) {
	s.printf(`<text x="%d" y="%d"%s>`, x, y, attrs)
	_ = xml.EscapeText(&s.b, []byte(body)) // writes to a bytes.Buffer: cannot fail
	s.b.WriteString("</text>\n")
}

func (s *svg) rect(x, y, w, h int, attrs string) {
	if w <= 0 || h <= 0 {
		return
	}
	s.printf(`<rect x="%d" y="%d" width="%d" height="%d"%s/>`+"\n", x, y, w, h, attrs)
}

func (s *svg) line(x1, y1, x2, y2 int, attrs string) {
	s.printf(`<line x1="%d" y1="%d" x2="%d" y2="%d"%s/>`+"\n", x1, y1, x2, y2, attrs)
}

// open starts a document of w×h pixels on a white background (the charts
// stay readable on dark themes).
func (s *svg) open(w, h int, title string) {
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">`+"\n", w, h, w, h)
	s.b.WriteString("<title>")
	_ = xml.EscapeText(&s.b, []byte(title))
	s.b.WriteString("</title>\n")
	s.rect(0, 0, w, h, ` fill="#fff"`)
}

func (s *svg) close() []byte {
	s.b.WriteString("</svg>\n")
	return s.b.Bytes()
}
