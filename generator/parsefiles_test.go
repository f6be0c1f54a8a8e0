package generator

import "testing"

func TestSameConstraint(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"linux || darwin", "darwin || linux", true},
		{"linux", "linux && !windows", true},
		{"unix", "linux", false},
		{"linux && integration", "integration && linux", true},
		{"linux", "linux && integration", false},
		{"", "linux", false},
		{"cgo", "cgo", true},
		{"amd64 && linux", "linux && amd64", true},
	}
	for _, tt := range tests {
		if got := sameConstraint(tt.a, tt.b); got != tt.want {
			t.Errorf("sameConstraint(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
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
