package generator

import (
	"fmt"
	"go/build/constraint"
	"math/rand/v2"
	"testing"
)

func TestFindPlatform(t *testing.T) {
	host := platform{goos: "linux", goarch: "amd64", cgo: true}
	tests := []struct {
		expr string
		want string // goos/goarch cgo tags, or "" for none
	}{
		{"linux", "linux/amd64 true []"},
		{"windows", "windows/amd64 false []"},
		{"linux || darwin", "linux/amd64 true []"},
		{"!js", "linux/amd64 true []"},
		{"js && wasm", "js/wasm false []"},
		{"go1.22", "linux/amd64 true []"},
		{"!go1.22", ""},
		{"linux && windows", ""},
		{"integration", "linux/amd64 true [integration]"},
		{"windows && !cgo && (a || b)", "windows/amd64 false [a]"},
		{"unix && !linux", "darwin/arm64 false []"},
		{"ios", "ios/arm64 false []"},
		{"android && 386", "android/386 false []"},
		{"cgo && windows", "windows/amd64 true []"},
		{"a && b && c && d && e && f && g && h && i", ""},
	}
	for _, tt := range tests {
		pl, ok := findPlatform(tt.expr, host)
		got := ""
		if ok {
			got = fmt.Sprintf("%s/%s %v %v", pl.goos, pl.goarch, pl.cgo, pl.tags)
		}
		if got != tt.want {
			t.Errorf("findPlatform(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
	// Whatever it picks, the expression holds there: on random
	// expressions over a few tags, findPlatform finds a platform exactly
	// when brute force over every port and tag set does.
	rng := rand.New(rand.NewPCG(1, 2))
	atoms := []string{"linux", "windows", "darwin", "unix", "amd64", "arm64", "wasm", "js", "cgo", "x", "y", "go1.21", "go1.99"}
	var gen func(depth int) string
	gen = func(depth int) string {
		if depth == 0 || rng.IntN(3) == 0 {
			a := atoms[rng.IntN(len(atoms))]
			if rng.IntN(2) == 0 {
				return "!" + a
			}
			return a
		}
		op := " && "
		if rng.IntN(2) == 0 {
			op = " || "
		}
		return "(" + gen(depth-1) + op + gen(depth-1) + ")"
	}
	for range 2000 {
		expr := gen(3)
		x, err := constraint.Parse("//go:build " + expr)
		if err != nil {
			t.Fatal(err)
		}
		pl, ok := findPlatform(expr, host)
		if ok && !x.Eval(pl.holds) {
			t.Fatalf("findPlatform(%q) = %+v, where it does not hold", expr, pl)
		}
		brute := false
		for _, port := range ports {
			for _, cgo := range []bool{false, true} {
				for _, tags := range [][]string{nil, {"x"}, {"y"}, {"x", "y"}} {
					if x.Eval(platform{goos: port[0], goarch: port[1], cgo: cgo, tags: tags}.holds) {
						brute = true
					}
				}
			}
		}
		if ok != brute {
			t.Fatalf("findPlatform(%q) found %v, brute force %v", expr, ok, brute)
		}
	}
}

func TestFileNameConstraint(t *testing.T) {
	tests := map[string]string{
		"a.go": "", "a_linux.go": "linux", "a_linux_amd64.go": "linux_amd64", "a_arm64.go": "arm64",
		"a_test.go": "", "a_windows_test.go": "windows", "linux.go": "", "a_foo.go": "",
	}
	for name, want := range tests {
		if got := fileNameConstraint(name); got != want {
			t.Errorf("fileNameConstraint(%q) = %q, want %q", name, got, want)
		}
	}
}
