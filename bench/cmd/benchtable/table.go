package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// outcome is a target evaluated on a run.
type outcome struct {
	t              target
	peer           string // the peer compared (the fastest one resolved)
	oursV, peerV   float64
	ratio          float64
	allocs         float64
	haveAllocs     bool
	missing, holds bool
}

// evaluate computes t on r.
func evaluate(r *results, t target) outcome {
	o := outcome{t: t, peer: t.Versus, missing: true}
	us := r.get(t.Case, ours)
	if us == nil {
		return o
	}
	ov, ok := us.metric(t.Metric)
	if !ok {
		return o
	}
	o.allocs, o.haveAllocs = us.metric("allocs/op")
	if t.PeerMetric != "" {
		pv, ok := us.metric(t.PeerMetric)
		if !ok || pv == 0 {
			return o
		}
		o.oursV, o.peerV, o.ratio, o.missing = ov, pv, us.ratio(t.Metric, t.PeerMetric), false
		o.holds = o.judge()
		return o
	}
	var peer *impl
	if t.Versus == fastest {
		best := math.Inf(1)
		for _, im := range r.byName[t.Case].impls {
			if im.name == ours || notPeer[im.name] {
				continue
			}
			if v, ok := im.metric(t.Metric); ok && v < best {
				best, peer = v, im
			}
		}
	} else {
		peer = r.get(t.Case, t.Versus)
	}
	if peer == nil {
		return o
	}
	pv, ok := peer.metric(t.Metric)
	if !ok || pv == 0 {
		return o
	}
	o.peer, o.oursV, o.peerV, o.ratio, o.missing = peer.name, ov, pv, ov/pv, false
	o.holds = o.judge()
	return o
}

// judge tells whether o's ratio and allocations meet its target.
func (o *outcome) judge() bool {
	return o.ratio <= o.t.Max && (o.t.MaxAllocs < 0 || (o.haveAllocs && o.allocs <= o.t.MaxAllocs))
}

// writeTables prints the targets table and the full results.
func writeTables(w io.Writer, r *results, ts []target) {
	fmt.Fprintln(w, "### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| issue | case | vs | metric | throttlegen | peer | ratio | target | allocs/op (target) | holds |")
	fmt.Fprintln(w, "|---|---|---|---|---:|---:|---:|---:|---:|---|")
	held, total := 0, 0
	for _, t := range ts {
		o := evaluate(r, t)
		if o.missing {
			fmt.Fprintf(w, "| %s | %s | %s | %s | | | | <= %s | | not measured |\n",
				t.Issue, t.Case, t.Versus, t.Metric, num(t.Max))
			continue
		}
		total++
		verdict := "no"
		if o.holds {
			verdict = "yes"
			held++
		}
		vs := o.peer
		switch {
		case t.Versus == fastest:
			vs = "fastest (" + o.peer + ")"
		case t.PeerMetric != "":
			vs += " (" + t.PeerMetric + ")"
		}
		allocs := ""
		if o.haveAllocs && t.MaxAllocs >= 0 {
			allocs = num(o.allocs) + " (<= " + num(t.MaxAllocs) + ")"
		}
		if t.Note != "" {
			verdict += " — " + t.Note
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.2fx | <= %sx | %s | %s |\n",
			t.Issue, t.Case, vs, t.Metric, num(o.oursV), num(o.peerV), o.ratio, num(t.Max), allocs, verdict)
	}
	fmt.Fprintf(w, "\n%d of %d measured targets hold.\n\n", held, total)

	fmt.Fprintln(w, "### All results")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| case | impl | ns/op | B/op | allocs/op | other | throttlegen ÷ impl |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|---:|")
	for _, bc := range r.cases {
		us := r.get(bc.name, ours)
		for _, im := range bc.impls {
			main := "ns/op"
			if _, ok := im.metric("B/key"); ok {
				main = "B/key"
			}
			ratio := ""
			if us != nil {
				if a, ok := us.metric(main); ok {
					if b, ok := im.metric(main); ok && b != 0 {
						ratio = fmt.Sprintf("%.2fx", a/b)
						if main != "ns/op" {
							ratio += " (" + main + ")"
						}
					}
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", bc.name, im.name,
				cell(im, "ns/op"), cell(im, "B/op"), cell(im, "allocs/op"), others(im), ratio)
		}
	}
}

func cell(im *impl, unit string) string {
	if v, ok := im.metric(unit); ok {
		return num(v)
	}
	return ""
}

// others lists the custom metrics (b.ReportMetric) of im.
func others(im *impl) string {
	var parts []string
	for _, unit := range sortedUnits(im) {
		switch unit {
		case "ns/op", "B/op", "allocs/op":
			continue
		}
		v, _ := im.metric(unit)
		parts = append(parts, num(v)+" "+unit)
	}
	return strings.Join(parts, ", ")
}

func sortedUnits(im *impl) []string { return slices.Sorted(maps.Keys(im.samples)) }

// num formats v with at most three significant decimals.
func num(v float64) string {
	switch {
	case v >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
