package generator

import (
	"slices"
	"testing"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// TestRatePoliciesAreTheRuntimeAlgorithms: the directive table's rate
// policies are exactly the runtime's algorithms, in order, each rendered as
// its runtime constant.
func TestRatePoliciesAreTheRuntimeAlgorithms(t *testing.T) {
	var got, want []string
	for _, p := range policies {
		if p.kind == kindRate {
			got = append(got, p.name)
		}
	}
	for _, a := range throttle.Algorithms() {
		want = append(want, a.String())
		if c := algorithms[a.String()]; "runtime."+c != a.GoString() {
			t.Errorf("%v is rendered as throttle.%s", a, c)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("rate policies %v, runtime algorithms %v", got, want)
	}
}
