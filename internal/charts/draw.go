package charts

import (
	"fmt"
	"strconv"
	"time"
)

// Geometry, in pixels. The plot's width is a whole number of bins.
const (
	bin      = 200 * time.Millisecond
	nBins    = int(Span / bin)
	binW     = 14
	plotW    = nBins * binW
	marginL  = 64
	marginR  = 24
	width    = marginL + plotW + marginR
	headerH  = 44  // a panel's directive and note
	plotH    = 120 // a panel's plot
	footerH  = 34  // a panel's time axis
	panelH   = headerH + plotH + footerH
	titleH   = 76 // a document's title and subtitle
	legendH  = 26
	perQuota = 10 // the limit of every algorithm, calls per second
)

// Colours (Okabe-Ito, readable with colour-blindness).
const (
	colAdmitted = "#0072B2"
	colWaited   = "#56B4E9"
	colRejected = "#D55E00"
	colStarted  = "#000000"
	colLimit    = "#444444"
	colPhase    = "#F1F1F1"
	colGrid     = "#DDDDDD"
	colMuted    = "#666666"
)

// series is one algorithm's calls counted per bin.
type series struct {
	algo     Algo
	admitted []int // per bin of arrival
	waited   []int // per bin of arrival
	rejected []int // per bin of arrival
	started  []int // per bin of the time the call runs (arrival + delay)
	waits    bool  // some call waited
	total    [3]int
}

func count(a Algo, calls []Call) series {
	s := series{algo: a, admitted: make([]int, nBins), waited: make([]int, nBins),
		rejected: make([]int, nBins), started: make([]int, nBins)}
	for _, c := range calls {
		i := int(c.At / bin)
		s.total[c.Outcome]++
		switch c.Outcome {
		case Admitted:
			s.admitted[i]++
		case Waited:
			s.waited[i]++
			s.waits = true
		case Rejected:
			s.rejected[i]++
		}
		if c.Outcome != Rejected {
			if j := int((c.At + c.Delay) / bin); j < nBins {
				s.started[j]++
			}
		}
	}
	return s
}

// scale maps call counts to pixels: top is the largest count of any bin,
// rounded up to an even number, plus two.
type scale struct{ top int }

func newScale(all []series) scale {
	top := 2
	for _, s := range all {
		for i := range nBins {
			top = max(top, s.admitted[i]+s.waited[i]+s.rejected[i], s.started[i])
		}
	}
	// round up to an even number, plus headroom for the phase labels
	return scale{top: (top+1)/2*2 + 2}
}

// px is the height in pixels of n calls.
func (sc scale) px(n int) int { return n * plotH / sc.top }

// document draws the given series, one panel each, under a title and a
// legend.
func document(title string, all []series, sc scale) []byte {
	var s svg
	h := titleH + legendH + len(all)*panelH
	s.open(width, h, title)
	s.text(marginL, 24, ` font-size="17" font-weight="bold"`, title)
	for i, line := range subtitle() {
		s.text(marginL, 44+i*17, ` fill="`+colMuted+`"`, line)
	}
	legend(&s, titleH, anyWaits(all))
	for i, se := range all {
		panel(&s, titleH+legendH+i*panelH, se, sc)
	}
	return s.close()
}

func anyWaits(all []series) bool {
	for _, s := range all {
		if s.waits {
			return true
		}
	}
	return false
}

// subtitle describes the trace, in two lines.
func subtitle() []string {
	phases := ""
	for i, ph := range Phases {
		if i > 0 {
			phases += ", "
		}
		phases += fmt.Sprintf("%s %d/s", ph.Name, ph.PerSecond)
	}
	return []string{
		fmt.Sprintf("%d calls over %v (%s); every algorithm allows %d calls/s.",
			len(Arrivals()), Span, phases, perQuota),
		"Each call decided by the real runtime (in-memory store) at its arrival time on a simulated clock: go generate ./docs/charts",
	}
}

// legend draws the key at y.
func legend(s *svg, y int, waits bool) {
	x := marginL
	item := func(col, label string) {
		s.rect(x, y+4, 12, 12, ` fill="`+col+`"`)
		s.text(x+17, y+14, "", label)
		x += 17 + textWidth(label) + 24
	}
	item(colAdmitted, "admitted")
	if waits {
		item(colWaited, "admitted, waits its turn")
	}
	item(colRejected, "rejected")
	s.line(x, y+10, x+24, y+10, ` stroke="`+colLimit+`" stroke-width="1.5" stroke-dasharray="5 3"`)
	s.text(x+30, y+14, "", "limit (10 calls/s)")
	x += 30 + textWidth("limit (10 calls/s)") + 24
	if waits {
		s.line(x, y+10, x+24, y+10, ` stroke="`+colStarted+`" stroke-width="2"`)
		s.text(x+30, y+14, "", "calls starting (after their wait)")
	}
}

// textWidth estimates the width in pixels of s at 12px.
func textWidth(s string) int { return len(s) * 13 / 2 }

// panel draws one algorithm at y: its directive, a note, and a stacked bar
// per bin of what the runtime decided for the calls arriving in it.
func panel(s *svg, y int, se series, sc scale) {
	s.text(marginL, y+18, ` font-family="Menlo, Consolas, monospace" font-size="13" font-weight="bold"`, se.algo.Directive)
	sum := fmt.Sprintf("admitted %d", se.total[Admitted])
	if se.waits {
		sum += fmt.Sprintf(" · waited %d", se.total[Waited])
	}
	sum += fmt.Sprintf(" · rejected %d", se.total[Rejected])
	s.text(marginL+plotW, y+18, ` text-anchor="end" font-weight="bold"`, sum)
	s.text(marginL, y+36, ` fill="`+colMuted+`"`, se.algo.Note)

	top := y + headerH
	base := top + plotH
	// phases
	for _, ph := range Phases {
		x0 := marginL + int(ph.From/bin)*binW
		x1 := marginL + int(ph.To/bin)*binW
		if ph.Name != "quiet" {
			s.rect(x0, top, x1-x0, plotH, ` fill="`+colPhase+`"`)
		}
		s.text((x0+x1)/2, top+12, ` text-anchor="middle" font-size="11" fill="`+colMuted+`"`, ph.Name)
	}
	// grid and y axis
	step := 2
	for sc.top/step > 6 {
		step *= 2
	}
	for v := 0; v <= sc.top; v += step {
		yy := base - sc.px(v)
		if v > 0 {
			s.line(marginL, yy, marginL+plotW, yy, ` stroke="`+colGrid+`" stroke-width="1"`)
		}
		s.text(marginL-6, yy+4, ` text-anchor="end" font-size="11"`, strconv.Itoa(v))
	}
	cy := top + plotH/2
	s.text(marginL-34, cy, fmt.Sprintf(` text-anchor="middle" font-size="11" fill="%s" transform="rotate(-90 %d %d)"`, colMuted, marginL-34, cy),
		"calls per "+bin.String())
	// bars
	for i := range nBins {
		x := marginL + i*binW + 1
		h := base
		for _, part := range []struct {
			n   int
			col string
		}{{se.admitted[i], colAdmitted}, {se.waited[i], colWaited}, {se.rejected[i], colRejected}} {
			ph := sc.px(part.n)
			s.rect(x, h-ph, binW-2, ph, ` fill="`+part.col+`"`)
			h -= ph
		}
	}
	// the limit: 10 calls/s is this many calls per bin
	ly := base - sc.px(perQuota*int(bin/time.Millisecond)/1000)
	s.line(marginL, ly, marginL+plotW, ly, ` stroke="`+colLimit+`" stroke-width="1.5" stroke-dasharray="5 3"`)
	if se.waits {
		s.b.WriteString(`<polyline fill="none" stroke="` + colStarted + `" stroke-width="2" points="`)
		for i := range nBins {
			yy := base - sc.px(se.started[i])
			x := marginL + i*binW
			if i > 0 {
				s.b.WriteByte(' ')
			}
			s.printf("%d,%d %d,%d", x, yy, x+binW, yy)
		}
		s.b.WriteString("\"/>\n")
	}
	// time axis
	s.line(marginL, base, marginL+plotW, base, ` stroke="#222" stroke-width="1"`)
	perSec := int(time.Second / bin)
	for sec := 0; sec <= int(Span/time.Second); sec++ {
		x := marginL + sec*perSec*binW
		s.line(x, base, x, base+5, ` stroke="#222" stroke-width="1"`)
		s.text(x, base+18, ` text-anchor="middle" font-size="11"`, strconv.Itoa(sec)+"s")
	}
}
