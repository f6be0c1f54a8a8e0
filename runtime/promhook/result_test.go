package promhook

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/throttlegen/throttlegen/runtime"
)

// documentedResults reads the values of the result label from the table in
// the package doc, so that the doc and the code cannot drift apart.
func documentedResults(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("promhook.go")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(src), "// The values of result, by policy:\n")
	if !ok {
		t.Fatal("promhook.go: the result table is gone from the package doc")
	}
	row := regexp.MustCompile(`^//\t([a-z_]+)\s{2,}`)
	out := map[string]bool{}
	for line := range strings.Lines(table) {
		if strings.TrimSpace(line) == "//" && len(out) > 0 {
			break // the blank line after the table
		}
		if m := row.FindStringSubmatch(line); m != nil && m[1] != "result" {
			out[m[1]] = true
		}
	}
	if len(out) < 10 {
		t.Fatalf("read only %v from the result table", out)
	}
	return out
}

// events returns events of every shape the runtime sends: every policy,
// allowed or not, every Reason, with and without an error of each kind.
func events() []runtime.Event {
	var reasons []runtime.Reason
	for r := runtime.Reason(0); !strings.HasPrefix(r.String(), "Reason(") || r == 0; r++ {
		reasons = append(reasons, r)
	}
	var evs []runtime.Event
	for _, p := range []string{"fixed_window", "sliding_window", "token_bucket", "gcra", "leaky_bucket", "concurrency", "retry", "cache"} {
		for _, allowed := range []bool{false, true} {
			for _, r := range reasons {
				for _, err := range []error{nil, context.Canceled, context.DeadlineExceeded, fmt.Errorf("%w: dial", runtime.ErrStoreUnavailable)} {
					evs = append(evs, runtime.Event{Policy: p, Name: "f", Allowed: allowed, Reason: r, Err: err})
				}
			}
		}
	}
	return evs
}

// TestEveryResultDocumented: whatever the runtime sends, the result label is
// documented in the package doc, is a plain label value, and is never
// "error".
func TestEveryResultDocumented(t *testing.T) {
	doc := documentedResults(t)
	valid := regexp.MustCompile(`^[a-z_]+$`)
	for _, e := range events() {
		got := result(e)
		if got == "error" || !valid.MatchString(got) || !doc[got] {
			t.Errorf("%+v: result %q is not a documented value (%v)", e, got, doc)
		}
	}
}

func TestResult(t *testing.T) {
	storeErr := fmt.Errorf("%w: dial tcp", runtime.ErrStoreUnavailable)
	for _, tc := range []struct {
		e    runtime.Event
		want string
	}{
		{runtime.Event{Policy: "gcra", Allowed: true}, "allowed"},
		{runtime.Event{Policy: "gcra", Allowed: true, Err: storeErr}, "allowed"}, // fail=open
		{runtime.Event{Policy: "gcra", Err: storeErr}, "store_unavailable"},      // fail=closed
		{runtime.Event{Policy: "gcra", Reason: runtime.ReasonQuota}, "quota"},
		{runtime.Event{Policy: "gcra"}, "other_limit"}, // a sibling directive rejected the call
		{runtime.Event{Policy: "leaky_bucket", Reason: runtime.ReasonDeadline, Err: context.Canceled}, "deadline"},
		{runtime.Event{Policy: "concurrency", Reason: runtime.ReasonFullQueue}, "full_queue"},
		{runtime.Event{Policy: "concurrency", Reason: runtime.ReasonPriorityQuota}, "priority_quota"},
		{runtime.Event{Policy: "concurrency", Reason: runtime.ReasonConsumerQuota}, "consumer_quota"},
		{runtime.Event{Policy: "concurrency", Reason: runtime.ReasonDeadline}, "deadline"},
		{runtime.Event{Policy: "concurrency", Err: context.Canceled}, "canceled"},
		{runtime.Event{Policy: "retry", Allowed: true}, "allowed"},
		{runtime.Event{Policy: "retry"}, "denied"},
		{runtime.Event{Policy: "cache", Allowed: true}, "hit"},
		{runtime.Event{Policy: "cache"}, "miss"},
	} {
		if got := result(tc.e); got != tc.want {
			t.Errorf("%+v: result %q, want %q", tc.e, got, tc.want)
		}
	}
	if got := reasonLabel(runtime.Reason(200)); got == "" || strings.Contains(got, " ") {
		t.Errorf("unknown reason labelled %q", got)
	}
}

// TestShadowResultsDocumented: the result of every shadow decision is a
// value of the result table, or the "wait" the Shadow mode section adds.
func TestShadowResultsDocumented(t *testing.T) {
	doc := documentedResults(t)
	src, _ := os.ReadFile("promhook.go")
	if !regexp.MustCompile(`(?m)^//\twait\s{2,}concurrency\s`).Match(src) {
		t.Fatal("promhook.go: the Shadow mode section does not document wait")
	}
	for _, e := range events() {
		e.Shadow = true
		got := shadowResult(e)
		if got != "wait" && !doc[got] || got == "allowed" {
			t.Errorf("%+v: shadow result %q is not documented", e, got)
		}
	}
}

func TestShadowResult(t *testing.T) {
	for _, tc := range []struct {
		e    runtime.Event
		want string
	}{
		{runtime.Event{Policy: "gcra", Shadow: true, Reason: runtime.ReasonQuota}, "quota"},
		{runtime.Event{Policy: "gcra", Shadow: true, Reason: runtime.ReasonCost}, "cost"},
		{runtime.Event{Policy: "concurrency", Shadow: true, Reason: runtime.ReasonFullQueue}, "full_queue"},
		{runtime.Event{Policy: "concurrency", Shadow: true, Reason: runtime.ReasonConsumerQuota}, "consumer_quota"},
		{runtime.Event{Policy: "concurrency", Shadow: true, Allowed: true}, "wait"},
	} {
		if got := shadowResult(tc.e); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.e, got, tc.want)
		}
	}
}
