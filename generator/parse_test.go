package generator

import (
	"go/token"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseDirective(t *testing.T) {
	pos := token.Position{Filename: "a.go", Line: 3, Column: 1, Offset: 10}
	d, errs := parseDirective("//throttle:gcra quota=10 duration=1s burst=20 key=\"strings.ToLower(tenant)\" name=`a b`", pos)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if d.spec.name != "gcra" || d.polPos.Column != 12 {
		t.Errorf("policy %q at col %d", d.spec.name, d.polPos.Column)
	}
	if q := d.get("quota"); q.i != 10 || q.namePos.Column != 17 || q.valuePos.Column != 23 {
		t.Errorf("quota = %d at %v/%v", q.i, q.namePos, q.valuePos)
	}
	if d.get("duration").d != time.Second || d.get("burst").i != 20 {
		t.Errorf("duration/burst wrong")
	}
	if k := d.get("key"); k.raw != "strings.ToLower(tenant)" || k.expr == nil {
		t.Errorf("key = %q", k.raw)
	}
	if n := d.get("name"); n.s != "a b" {
		t.Errorf("name = %q", n.s)
	}
}

func TestParseDirectiveErrors(t *testing.T) {
	pos := token.Position{Filename: "a.go", Line: 7, Column: 1}
	tests := []struct {
		line string
		want []string // "col: substring"
	}{
		{"//throttle:gcar quota=1 duration=1s", []string{`12: unknown policy "gcar"; did you mean "gcra"?`}},
		{"//throttle:gcra quota=1 duraton=1s", []string{`25: unknown argument "duraton" for gcra; did you mean "duration"?`, "12: gcra: missing required argument duration="}},
		{"//throttle:gcra quota=1x duration=1s", []string{"23: quota=1x: want a whole number"}},
		{"//throttle:gcra quota=0 duration=1s", []string{"23: quota=0: must be at least 1"}},
		{"//throttle:gcra quota=1 duration=1s quota=2", []string{"37: argument quota given twice"}},
		{"//throttle:gcra quota=1 duration=1s fail=opne", []string{`42: fail=opne: want one of open, closed, local; did you mean "open"?`}},
		{"//throttle:gcra quota=1 duration=1s key=\"a", []string{"41: unterminated quoted value of key"}},
		{"//throttle:gcra quota=1 duration=1s key=a+", []string{"43: key=: not a Go expression"}},
		{"//throttle:gcra quota", []string{`17: argument "quota" has no value`}},
		{"//throttle: gcra", []string{"1: malformed directive"}},
		{"// throttle:gcra", []string{"1: malformed directive"}},
		{"//Throttle:gcra", []string{"1: malformed directive"}},
		{"//throttle:concurrency capacity=2 priority_quota=urgent:0.5", []string{`50: priority_quota: unknown priority "urgent"`}},
		{"//throttle:retry attempts=3 on=throttled,,io.EOF", []string{"42: on=: empty item"}},
	}
	for _, tt := range tests {
		_, errs := parseDirective(tt.line, pos)
		if len(errs) != len(tt.want) {
			t.Errorf("%s: got %d errors %v, want %d", tt.line, len(errs), errs, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			col, msg, _ := strings.Cut(w, ": ")
			got := errs[i]
			if got.Pos.Line != 7 || strconv.Itoa(got.Pos.Column) != col || !strings.Contains(got.Msg, msg) {
				t.Errorf("%s: error %d = %v, want col %s %q", tt.line, i, got, col, msg)
			}
		}
	}
}

func TestNearMiss(t *testing.T) {
	for _, s := range []string{"// throttle:gcra", "//Throttle:gcra", "//throttle: gcra", "//  THROTTLE :x", "//throttle:"} {
		if _, ok := nearMiss(s); !ok {
			t.Errorf("nearMiss(%q) = false", s)
		}
	}
	for _, s := range []string{"//throttle:gcra", "// throttles calls", "// see throttle.go"} {
		if _, ok := nearMiss(s); ok {
			t.Errorf("nearMiss(%q) = true", s)
		}
	}
}

func TestSuggest(t *testing.T) {
	cases := map[string]string{"gcar": "gcra", "token_bukcet": "token_bucket", "fixedwindow": "fixed_window", "xyz": ""}
	for in, want := range cases {
		if got := suggest(in, policyNames()); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseDirective(f *testing.F) {
	for _, s := range []string{
		"//throttle:gcra quota=10 duration=1s burst=20 key=tenant",
		"//throttle:concurrency capacity=3 consumer_quota=0.7,billing:0.3 priority_quota=normal:0.9",
		"//throttle:retry attempts=3 on=throttled,io.EOF,\"x(a,b)\"",
		"//throttle:cache ttl=1m key=`a + b`",
		"//throttle:gcra quota=t.Plan.PerMinute duration=1s cost=\"len(ids) + 1\" mode=shadow",
		"//throttle:leaky_bucket quota=5 duration=1s bucket=depth cost=-1 mode=shadwo",
		"//throttle:concurrency capacity=n mode=off",
		"//throttle: x", "// throttle:x", "//throttle:gcra key=\"\\q\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n\r") {
			return
		}
		pos := token.Position{Filename: "f.go", Line: 5, Column: 3, Offset: 40}
		d, errs := parseDirective(line, pos)
		if d == nil && len(errs) == 0 {
			t.Fatalf("%q: no directive and no error", line)
		}
		for _, e := range errs {
			if e.Pos.Filename != "f.go" || e.Pos.Line != 5 || e.Pos.Column < 3 || e.Pos.Column > 3+len(line)+1 {
				t.Fatalf("%q: error without a sound position: %v", line, e)
			}
		}
	})
}
