package charts

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

func TestFilesAreDeterministic(t *testing.T) {
	ctx := context.Background()
	a, err := Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"algorithms.svg", "fixed_window.svg", "gcra.svg", "leaky_bucket.svg", "sliding_window.svg", "token_bucket.svg"}
	if got := Names(a); !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

// TestFilesAreWellFormedSVG parses every file as XML and checks the root and
// that every drawn shape lies inside the declared canvas.
func TestFilesAreWellFormedSVG(t *testing.T) {
	files, err := Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names(files) {
		t.Run(name, func(t *testing.T) {
			dec := xml.NewDecoder(bytes.NewReader(files[name]))
			var w, h int
			depth, rects, texts := 0, 0, 0
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v", err)
				}
				switch el := tok.(type) {
				case xml.StartElement:
					attr := func(n string) int {
						for _, a := range el.Attr {
							if a.Name.Local == n {
								v, err := strconv.Atoi(a.Value)
								if err != nil {
									t.Fatalf("<%s %s=%q>: not an integer", el.Name.Local, n, a.Value)
								}
								return v
							}
						}
						t.Fatalf("<%s> has no %s", el.Name.Local, n)
						return 0
					}
					if depth == 0 {
						if el.Name.Local != "svg" || el.Name.Space != "http://www.w3.org/2000/svg" {
							t.Fatalf("root is %v, want svg in the SVG namespace", el.Name)
						}
						w, h = attr("width"), attr("height")
					}
					switch el.Name.Local {
					case "rect":
						rects++
						x, y := attr("x"), attr("y")
						if x < 0 || y < 0 || x+attr("width") > w || y+attr("height") > h {
							t.Errorf("rect at %d,%d outside the %dx%d canvas", x, y, w, h)
						}
					case "text":
						texts++
						if x, y := attr("x"), attr("y"); x < 0 || x > w || y < 0 || y > h {
							t.Errorf("text at %d,%d outside the %dx%d canvas", x, y, w, h)
						}
					}
					depth++
				case xml.EndElement:
					depth--
				}
			}
			if depth != 0 || rects < nBins || texts < 20 {
				t.Errorf("depth %d, %d rects, %d texts: not a chart", depth, rects, texts)
			}
		})
	}
}

func TestArrivalsFollowThePhases(t *testing.T) {
	arr := Arrivals()
	for i := 1; i < len(arr); i++ {
		if arr[i] <= arr[i-1] {
			t.Fatalf("arrival %d at %v is not after %v", i, arr[i], arr[i-1])
		}
	}
	for _, ph := range Phases {
		n := 0
		for _, at := range arr {
			if at >= ph.From && at < ph.To {
				n++
			}
		}
		want := ph.PerSecond * int(ph.To-ph.From) / int(time.Second)
		if n != want {
			t.Errorf("%s %v–%v: %d arrivals, want %d", ph.Name, ph.From, ph.To, n, want)
		}
	}
	if arr[len(arr)-1] >= Span {
		t.Errorf("last arrival %v is past the span %v", arr[len(arr)-1], Span)
	}
}

// simulate runs the trace through the algorithm alg.
func simulate(t *testing.T, alg runtime.Algorithm) []Call {
	t.Helper()
	for _, a := range Algos {
		if a.Limit.Algorithm == alg {
			calls, err := Simulate(context.Background(), a, Arrivals())
			if err != nil {
				t.Fatal(err)
			}
			return calls
		}
	}
	t.Fatalf("no algorithm %v", alg)
	return nil
}

// mostInWindow returns the largest number of calls starting in any interval
// (s, s+d].
func mostInWindow(starts []time.Duration, d time.Duration) int {
	most, lo := 0, 0
	for hi := range starts {
		for starts[hi]-starts[lo] >= d {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

func admittedStarts(calls []Call) []time.Duration {
	var out []time.Duration
	for _, c := range calls {
		if c.Outcome != Rejected {
			out = append(out, c.At+c.Delay)
		}
	}
	return out
}

// The pictures' notes claim what each algorithm does; these tests hold the
// runtime's decisions to those claims.

func TestFixedWindowAdmitsTwiceTheLimitAcrossABoundary(t *testing.T) {
	calls := simulate(t, runtime.FixedWindow)
	perWindow := map[time.Duration]int{}
	for _, at := range admittedStarts(calls) {
		perWindow[at.Truncate(time.Second)]++
	}
	for w, n := range perWindow {
		if n > 10 {
			t.Errorf("window %v admitted %d > 10", w, n)
		}
	}
	if most := mostInWindow(admittedStarts(calls), time.Second); most < 15 {
		t.Errorf("at most %d admitted in any 1s interval; the burst straddling 3s should get well over 10", most)
	}
}

func TestSlidingWindowNeverExceedsTheLimitInAnyInterval(t *testing.T) {
	calls := simulate(t, runtime.SlidingWindow)
	if most := mostInWindow(admittedStarts(calls), time.Second); most != 10 {
		t.Errorf("most admitted in any 1s interval = %d, want exactly 10", most)
	}
}

func TestTokenBucketAndGCRAAgree(t *testing.T) {
	tb, gc := simulate(t, runtime.TokenBucket), simulate(t, runtime.GCRA)
	for i := range tb {
		if tb[i] != gc[i] {
			t.Fatalf("call %d at %v: token_bucket %+v, gcra %+v", i, tb[i].At, tb[i], gc[i])
		}
	}
	// never more than burst + elapsed·rate
	starts := admittedStarts(gc)
	for i := range starts {
		for j := i; j < len(starts); j++ {
			allowed := 10 + int((starts[j]-starts[i])*10/time.Second)
			if j-i+1 > allowed {
				t.Fatalf("%d calls in [%v, %v], more than %d", j-i+1, starts[i], starts[j], allowed)
			}
		}
	}
}

func TestLeakyBucketPacesAndBoundsTheQueue(t *testing.T) {
	calls := simulate(t, runtime.LeakyBucket)
	starts := admittedStarts(calls)
	waited := 0
	for i := 1; i < len(starts); i++ {
		if gap := starts[i] - starts[i-1]; gap < 100*time.Millisecond {
			t.Fatalf("calls start %v apart at %v, want >= 100ms", gap, starts[i])
		}
	}
	for i, c := range calls {
		if c.Outcome == Waited {
			waited++
		}
		// calls admitted earlier and still waiting when c arrives
		ahead := 0
		for _, d := range calls[:i] {
			if d.Outcome != Rejected && d.At+d.Delay > c.At {
				ahead++
			}
		}
		if c.Outcome == Rejected && ahead < 5 {
			t.Errorf("call at %v rejected with only %d waiting", c.At, ahead)
		}
		if c.Outcome != Rejected && ahead > 5 {
			t.Errorf("call at %v admitted with %d waiting", c.At, ahead)
		}
	}
	if waited == 0 {
		t.Error("no call waited its turn")
	}
}

// TestCommittedChartsAreCurrent is the drift check: docs/charts must hold
// what the runtime decides today.
func TestCommittedChartsAreCurrent(t *testing.T) {
	if err := Check(context.Background(), filepath.Join("..", "..", "docs", "charts")); err != nil {
		t.Fatal(err)
	}
}

func TestWriteThenCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := Check(ctx, dir); !errors.Is(err, ErrStale) {
		t.Fatalf("Check of an empty dir = %v, want ErrStale", err)
	}
	if err := Write(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, dir); err != nil {
		t.Fatalf("Check after Write: %v", err)
	}
	path := filepath.Join(dir, "gcra.svg")
	if err := os.WriteFile(path, []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, dir); !errors.Is(err, ErrStale) {
		t.Fatalf("Check after tampering = %v, want ErrStale", err)
	}
}

// TestAlgosCoverEveryAlgorithm: the charts show every rate algorithm of the
// runtime's table, once each and in its order, so a new algorithm cannot be
// left out of the README's chart.
func TestAlgosCoverEveryAlgorithm(t *testing.T) {
	want := runtime.Algorithms()
	if len(Algos) != len(want) {
		t.Fatalf("%d charted algorithms, the runtime has %d", len(Algos), len(want))
	}
	for i, a := range want {
		if got := Algos[i].Limit.Algorithm; got != a {
			t.Errorf("chart %d is %v, want %v", i, got, a)
		}
		if !strings.HasPrefix(Algos[i].Directive, "//throttle:"+a.String()+" ") {
			t.Errorf("chart %d's directive %q does not name %v", i, Algos[i].Directive, a)
		}
	}
}
