package main

import (
	"bufio"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results are the benchmarks of one run, by case, in input order.
type results struct {
	cases  []*benchCase
	byName map[string]*benchCase
	failed bool // the run printed a FAIL line
}

// benchCase is one case (a benchmark name less its last element) and its
// implementations.
type benchCase struct {
	name  string
	impls []*impl
}

// impl is one implementation's metrics in a case; with -count > 1, every
// metric is the median of its samples.
type impl struct {
	name    string
	samples map[string][]float64 // unit → values
}

// metric returns the median of unit's samples, and whether there is any.
func (im *impl) metric(unit string) (float64, bool) {
	s := im.samples[unit]
	if len(s) == 0 {
		return 0, false
	}
	return median(s), true
}

// median returns the median of s (0 for none), leaving s unchanged.
func median(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	s = slices.Clone(s)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// ratio returns the median over im's samples of a/b, each sample's a
// divided by the same sample's b (go test prints a benchmark's metrics on
// one line, so the i-th samples of two units come from one run of it).
func (im *impl) ratio(a, b string) float64 {
	as, bs := im.samples[a], im.samples[b]
	rs := make([]float64, 0, len(as))
	for i := range min(len(as), len(bs)) {
		if bs[i] != 0 {
			rs = append(rs, as[i]/bs[i])
		}
	}
	return median(rs)
}

// get returns the implementation name of case c, or nil.
func (r *results) get(c, name string) *impl {
	bc := r.byName[c]
	if bc == nil {
		return nil
	}
	for _, im := range bc.impls {
		if im.name == name {
			return im
		}
	}
	return nil
}

// benchLine matches "BenchmarkX/y/z-8   1000   12.5 ns/op   0 B/op ...".
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)

// parse reads go test -bench output.
func parse(in io.Reader) (*results, error) {
	r := &results{byName: map[string]*benchCase{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") {
			r.failed = true
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[3])
		if len(fields)%2 != 0 {
			continue
		}
		slash := strings.LastIndexByte(m[1], '/')
		if slash < 0 {
			continue // not Group/case/impl
		}
		cname, iname := m[1][:slash], m[1][slash+1:]
		bc := r.byName[cname]
		if bc == nil {
			bc = &benchCase{name: cname}
			r.byName[cname] = bc
			r.cases = append(r.cases, bc)
		}
		im := r.get(cname, iname)
		if im == nil {
			im = &impl{name: iname, samples: map[string][]float64{}}
			bc.impls = append(bc.impls, im)
		}
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			im.samples[fields[i+1]] = append(im.samples[fields[i+1]], v)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("no benchmark results in the input")
	}
	return r, nil
}
