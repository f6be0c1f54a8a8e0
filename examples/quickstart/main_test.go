package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	throttle "github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// TestRun runs the example: five calls for ada pass, three are throttled, and
// grace has a limit of her own.
func TestRun(t *testing.T) {
	// A frozen clock keeps the result the same on a slow, loaded machine, and
	// a memory store of its own the same however often the test runs
	// (go test -count=N); the configuration is restored afterwards.
	t.Cleanup(throttle.SaveConfig())
	throttle.Configure(throttle.WithClock(fakeclock.New(time.Unix(1_700_000_000, 0))), throttle.WithStore(throttle.NewMemoryStore()))
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if got := strings.Count(text, "(ada): hello, ada"); got != 5 {
		t.Errorf("ada admitted %d times, want 5:\n%s", got, text)
	}
	if got := strings.Count(text, "(ada): throttled (rejected due to quota)"); got != 3 {
		t.Errorf("ada throttled %d times, want 3:\n%s", got, text)
	}
	if !strings.Contains(text, "call 9 (grace): hello, grace") {
		t.Errorf("grace was not admitted:\n%s", text)
	}
}
