package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkRate/const/allowed/seq/throttlegen-2   	 3015140	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkRate/const/allowed/seq/throttlegen-2   	 3015140	       120.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkRate/const/allowed/seq/throttlegen-2   	 3015140	       500.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkRate/const/allowed/seq/xtime-2         	 1764966	       200.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkRate/const/allowed/seq/uber-2          	 2123850	       150.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkRate/const/rejected/seq/throttlegen-2  	 1848303	       90.0 ns/op	      64 B/op	       2 allocs/op
BenchmarkRate/const/rejected/seq/xtime-2        	 1000000	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkIdleKeys/idle1M/throttlegen-2          	       1	6385282209 ns/op	       50.0 B/key
BenchmarkIdleKeys/idle1M/throttled-2            	       1	4603540756 ns/op	       100.0 B/key
BenchmarkRedis/par64/throttlegen-2              	   10000	   1000 ns/op	  1000000 decisions/s	 175 B/op	  5 allocs/op
BenchmarkRedis/seqpaired/throttlegen-2          	    1000	  22000 ns/op	  20000 evalsha-ns/op	 536 B/op	  8 allocs/op
BenchmarkRedis/seqpaired/throttlegen-2          	    1000	  60000 ns/op	  50000 evalsha-ns/op	 536 B/op	  8 allocs/op
BenchmarkRedis/seqpaired/throttlegen-2          	    1000	  42000 ns/op	  40000 evalsha-ns/op	 536 B/op	  8 allocs/op
PASS
`

func TestParseMedianAndCases(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.cases); got != 5 {
		t.Fatalf("%d cases, want 5", got)
	}
	im := r.get("Rate/const/allowed/seq", "throttlegen")
	if v, _ := im.metric("ns/op"); v != 120 {
		t.Errorf("median ns/op = %v, want 120", v)
	}
	if v, ok := r.get("Redis/par64", "throttlegen").metric("decisions/s"); !ok || v != 1e6 {
		t.Errorf("decisions/s = %v, %v", v, ok)
	}
	if r.failed {
		t.Error("PASS run marked failed")
	}
}

func TestEvaluate(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		t              target
		peer           string
		ratio          float64
		holds, missing bool
	}{
		{target{Case: "Rate/const/allowed/seq", Versus: fastest, Metric: "ns/op", Max: 1, MaxAllocs: 0}, "uber", 0.8, true, false},
		{target{Case: "Rate/const/allowed/seq", Versus: "xtime", Metric: "ns/op", Max: 0.5, MaxAllocs: 0}, "xtime", 0.6, false, false},
		{target{Case: "Rate/const/rejected/seq", Versus: "xtime", Metric: "ns/op", Max: 1, MaxAllocs: 1}, "xtime", 0.9, false, false}, // 2 allocs
		{target{Case: "IdleKeys/idle1M", Versus: "throttled", Metric: "B/key", Max: 1, MaxAllocs: -1}, "throttled", 0.5, true, false},
		{target{Case: "Redis/seq", Versus: "evalsha", Metric: "ns/op", Max: 1, MaxAllocs: -1}, "evalsha", 0, false, true},
		// Per-sample ratios 1.1, 1.2, 1.05: their median, not 42000/40000
		// (the medians' ratio) nor 60000/40000.
		{target{Case: "Redis/seqpaired", Versus: "evalsha", Metric: "ns/op", Max: 1.15, MaxAllocs: 8, PeerMetric: "evalsha-ns/op"}, "evalsha", 1.1, true, false},
		{target{Case: "Redis/seqpaired", Versus: "evalsha", Metric: "ns/op", Max: 1.15, MaxAllocs: 7, PeerMetric: "evalsha-ns/op"}, "evalsha", 1.1, false, false},
		{target{Case: "Redis/seqpaired", Versus: "evalsha", Metric: "ns/op", Max: 1.15, MaxAllocs: 8, PeerMetric: "nope-ns/op"}, "evalsha", 0, false, true},
	} {
		o := evaluate(r, c.t)
		if o.missing != c.missing || o.holds != c.holds || o.peer != c.peer || (!o.missing && o.ratio != c.ratio) {
			t.Errorf("%s vs %s: got peer %s ratio %v holds %v missing %v; want %s %v %v %v",
				c.t.Case, c.t.Versus, o.peer, o.ratio, o.holds, o.missing, c.peer, c.ratio, c.holds, c.missing)
		}
	}
}

func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(strings.NewReader(sample), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"| 3 | Rate/const/allowed/seq | fastest (uber) | ns/op | 120 | 150 | 0.80x | <= 1x | 0 (<= 0) | yes |",
		"| 3 | IdleKeys/idle1M | throttled | B/key | 50 | 100 | 0.50x |",
		"| 4 | Redis/seqpaired | evalsha (evalsha-ns/op) | ns/op | 42000 | 40000 | 1.10x | <= 1.15x | 8 (<= 8) | yes — raw EVALSHA floor, interleaved |",
		"| 4 | Redis/par64 | redis_rate | ns/op | | | | <= 0.25 | | not measured |",
		"| Rate/const/allowed/seq | uber | 150 | 0 | 0 |  | 0.80x |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if code := run(strings.NewReader("PASS\n"), &out, &errOut); code != 1 {
		t.Errorf("no results: exit %d, want 1", code)
	}
	if code := run(strings.NewReader(sample+"--- FAIL: BenchmarkX\n"), &out, &errOut); code != 1 {
		t.Errorf("FAIL in input: exit %d, want 1", code)
	}
}
