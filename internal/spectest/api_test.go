package spectest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	throttle "github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// The names and signatures docs/spec.md section 4 fixes. This file does not compile
// when one of them changes.
var (
	_ error                                                               = throttle.ErrThrottled
	_ error                                                               = throttle.ErrTimeout
	_ error                                                               = throttle.ErrStoreUnavailable
	_ error                                                               = (*throttle.ThrottledError)(nil)
	_ fmt.Stringer                                                        = throttle.Reason(0)
	_ throttle.Priority                                                   = throttle.PriorityHigh
	_ throttle.Priority                                                   = throttle.PriorityNormal
	_ throttle.Priority                                                   = throttle.PriorityLow
	_ func(string) throttle.Priority                                      = throttle.ParsePriority
	_ func(context.Context, throttle.Priority) context.Context            = throttle.WithPriority
	_ func(...throttle.Option)                                            = throttle.Configure
	_ func(throttle.Store) throttle.Option                                = throttle.WithStore
	_ func(string) throttle.Option                                        = throttle.WithKeyspace
	_ func(redis.UniversalClient, ...redisstore.Option) *redisstore.Store = redisstore.New
	_ throttle.Store                                                      = (*redisstore.Store)(nil)
	_ error                                                               = throttle.ErrInvalidCost
	_ throttle.Reason                                                     = throttle.ReasonCost
	_ func(string) (throttle.Overrides, error)                            = throttle.ParseOverrides
	_ func(throttle.Overrides) throttle.Option                            = throttle.WithOverrides
	_ func(string) (throttle.Overrides, error)                            = throttle.LoadOverrides
	_ func(throttle.Hook) throttle.Option                                 = throttle.WithHook
)

// TestEventFields: the fields docs/spec.md §4 names on runtime.Event,
// Shadow (§6) among them.
func TestEventFields(t *testing.T) {
	e := throttle.Event{Policy: "gcra", Name: "n", Key: "k", Allowed: false, Reason: throttle.ReasonQuota, Err: nil, Shadow: true}
	var (
		_ string          = e.Policy
		_ string          = e.Name
		_ string          = e.Key
		_ bool            = e.Allowed
		_ throttle.Reason = e.Reason
		_ error           = e.Err
		_ bool            = e.Shadow
	)
	var h throttle.Hook = hookFunc(func(throttle.Event) {})
	h.OnDecision(e)
}

type hookFunc func(throttle.Event)

func (f hookFunc) OnDecision(e throttle.Event) { f(e) }

// TestErrInvalidCost: a distinct error, found through wrapping, that is not
// a rejection.
func TestErrInvalidCost(t *testing.T) {
	err := fmt.Errorf("call: %w", throttle.ErrInvalidCost)
	if !errors.Is(err, throttle.ErrInvalidCost) {
		t.Error("a wrapped ErrInvalidCost does not satisfy errors.Is")
	}
	if errors.Is(throttle.ErrInvalidCost, throttle.ErrThrottled) || errors.Is(throttle.ErrThrottled, throttle.ErrInvalidCost) {
		t.Error("ErrInvalidCost and ErrThrottled are confused")
	}
}

func TestThrottledErrorFields(t *testing.T) {
	te := &throttle.ThrottledError{Policy: "gcra", Key: "k", Reason: throttle.ReasonQuota, RetryAfter: time.Second}
	var (
		_ string          = te.Policy
		_ string          = te.Key
		_ throttle.Reason = te.Reason
		_ time.Duration   = te.RetryAfter
	)
	var err error = fmt.Errorf("wrapped: %w", te)
	if !errors.Is(err, throttle.ErrThrottled) {
		t.Error("a wrapped *ThrottledError does not satisfy errors.Is(err, ErrThrottled)")
	}
	var got *throttle.ThrottledError
	if !errors.As(err, &got) || got != te {
		t.Error("errors.As does not find the *ThrottledError")
	}
	if errors.Is(errors.New("throttled"), throttle.ErrThrottled) {
		t.Error("an unrelated error satisfies ErrThrottled")
	}
}

func TestReasonStrings(t *testing.T) {
	for r, want := range map[throttle.Reason]string{
		throttle.ReasonQuota:         "rejected due to quota",
		throttle.ReasonFullQueue:     "rejected due to full queue",
		throttle.ReasonPriorityQuota: "rejected due to priority quota",
		throttle.ReasonConsumerQuota: "rejected due to consumer quota",
		throttle.ReasonDeadline:      "rejected due to deadline",
		throttle.ReasonCost:          "rejected due to cost",
	} {
		if got := r.String(); got != want {
			t.Errorf("Reason(%d).String() = %q, want %q", r, got, want)
		}
		if got := fmt.Sprint(r); got != want {
			t.Errorf("fmt.Sprint(Reason(%d)) = %q, want %q", r, got, want)
		}
	}
}

func TestErrTimeout(t *testing.T) {
	for _, err := range []error{throttle.ErrTimeout, fmt.Errorf("call: %w", throttle.ErrTimeout)} {
		if !errors.Is(err, throttle.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v: errors.Is ErrTimeout %v, DeadlineExceeded %v; want both",
				err, errors.Is(err, throttle.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
		}
	}
	if errors.Is(context.DeadlineExceeded, throttle.ErrTimeout) {
		t.Log("note: context.DeadlineExceeded itself satisfies ErrTimeout")
	}
	if errors.Is(throttle.ErrTimeout, context.Canceled) {
		t.Error("ErrTimeout satisfies context.Canceled")
	}
}

func TestParsePriority(t *testing.T) {
	for in, want := range map[string]throttle.Priority{
		"high": throttle.PriorityHigh, "HIGH": throttle.PriorityHigh, "High": throttle.PriorityHigh,
		"low": throttle.PriorityLow, "LoW": throttle.PriorityLow,
		"normal": throttle.PriorityNormal, "NORMAL": throttle.PriorityNormal,
		"": throttle.PriorityNormal, "urgent": throttle.PriorityNormal, " high": throttle.PriorityNormal,
	} {
		if got := throttle.ParsePriority(in); got != want {
			t.Errorf("ParsePriority(%q) = %v, want %v", in, got, want)
		}
	}
	if throttle.PriorityHigh == throttle.PriorityNormal || throttle.PriorityLow == throttle.PriorityNormal || throttle.PriorityHigh == throttle.PriorityLow {
		t.Error("the priorities are not distinct")
	}
}

func TestWithPriorityReturnsDerivedContext(t *testing.T) {
	type k struct{}
	parent := context.WithValue(context.Background(), k{}, "v")
	ctx := throttle.WithPriority(parent, throttle.PriorityLow)
	if ctx.Value(k{}) != "v" {
		t.Error("WithPriority does not derive from its parent")
	}
}

// TestRuntimeStandardLibraryOnly: docs/spec.md's package table says runtime/ uses
// the standard library only, so generated code compiles anywhere.
func TestRuntimeStandardLibraryOnly(t *testing.T) {
	res := run(t, repoRoot, []string{"GOFLAGS=-mod=readonly"}, "go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "github.com/throttlegen/throttlegen/runtime")
	if res.code != 0 {
		t.Fatalf("go list: %v", res)
	}
	for _, p := range strings.Fields(res.stdout) {
		if p != "github.com/throttlegen/throttlegen/runtime" && !strings.HasPrefix(p, "github.com/throttlegen/throttlegen/runtime/internal/") {
			t.Errorf("runtime depends on %s", p)
		}
	}
}
