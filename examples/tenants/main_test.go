package main

import (
	"bytes"
	"context"
	"testing"
)

// TestRun runs the example and checks every number it prints: the plans'
// quotas, the shadow run of the word budget, the override file's larger
// quota for acme and enforced budget, and a bad file refused with the
// overrides in force kept.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	want := `second 1, the generated limits (pro 5/s, free 2/s; words in shadow):
  served: acme 5, globex 2, initech 2
  rejected: search 21; would reject (shadow): words 2
second 2, with overrides.txt in force (acme 8/s; words enforced, 900/s):
  served: acme 7, globex 2, initech 2
  rejected: search 16, words 3; would reject (shadow): none
a bad override file is refused, the overrides in force stay:
  1:23: unknown argument "qouta" for sliding_window; did you mean "quota"?
second 3, still with overrides.txt:
  served: acme 7, globex 2, initech 2
  rejected: search 16, words 3; would reject (shadow): none
`
	if got := out.String(); got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
}
