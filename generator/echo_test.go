package generator

import (
	"go/token"
	"strings"
	"testing"
)

// TestEchoAtMost200Bytes feeds megabyte-long input to every place of a
// directive and checks that no message repeats more than maxEcho bytes of
// it.
func TestEchoAtMost200Bytes(t *testing.T) {
	huge := strings.Repeat("é", 1<<19) // 1 MB, multi-byte characters
	lines := []string{
		"//throttle:" + huge + " quota=1 duration=1s",
		"//throttle:gcra " + huge + "=1 quota=1 duration=1s",
		"//throttle:gcra quota=" + huge + "! duration=1s",
		"//throttle:gcra quota=1 duration=" + huge + "!",
		"//throttle:gcra quota=1 duration=1s fail=" + huge,
		"//throttle:gcra quota=1 duration=1s key=a " + huge,
		"//throttle:gcra quota=1 duration=1s key=\"" + huge + " +\"",
		"//throttle:concurrency capacity=1 consumer_quota=" + huge + ":2",
		"//throttle:concurrency capacity=1 priority_quota=" + huge + ":0.5",
		"//throttle:gcra quota=1 duration=1s " + huge,
		"//throttle:gcra quota=1 duration=1s key=\"a " + huge + "\"",
	}
	for i, line := range lines {
		_, errs := parseDirective(line, token.Position{Filename: "a.go", Line: 1, Column: 1})
		if len(errs) == 0 {
			t.Errorf("line %d: no error", i)
		}
		for _, e := range errs {
			if len(e.Msg) > maxEcho+200 {
				t.Errorf("line %d: a %d-byte message: %.300s", i, len(e.Msg), e.Msg)
			}
		}
	}
}

func TestClip(t *testing.T) {
	if got := clip("short"); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
	s := strings.Repeat("ab", 100) + "é" + strings.Repeat("c", 50)
	got := clip(s)
	if !strings.HasPrefix(got, strings.Repeat("ab", 100)) || !strings.HasSuffix(got, "… (52 more bytes)") {
		t.Errorf("clip cut at a character boundary: got %q", got)
	}
}

func TestUnquotedSpaces(t *testing.T) {
	pos := token.Position{Filename: "a.go", Line: 1, Column: 1}
	for line, want := range map[string]string{
		"//throttle:gcra quota=1 duration=1s key=user + region name=x": `41: quote values that hold spaces: key="user + region"`,
		"//throttle:gcra quota=1 duration=2 * time.Second":             `34: quote values that hold spaces: duration="2 * time.Second"`,
		"//throttle:gcra quota=1 duration=1s key=\"a\" b":              `45: argument "b" has no value: write name=value`,
	} {
		_, errs := parseDirective(line, pos)
		if len(errs) != 1 || !strings.HasSuffix(errs[0].Error(), want) {
			t.Errorf("%s:\n got %v\nwant …%s", line, errs, want)
		}
	}
}
