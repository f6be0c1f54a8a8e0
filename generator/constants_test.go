package generator

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestChangedConstant generates wrappers naming constants, then changes the
// constants without regenerating: a valid new value is used as is, and an
// invalid one stops the program when it starts, naming the limit and the
// value.
func TestChangedConstant(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	mod, env := tempModule(t)
	dir := filepath.Join(mod, "app")
	src := func(quota, window string) string {
		return `package main

import (
	"context"
	"fmt"
	"time"
)

const (
	MaxCalls = ` + quota + `
	Window   = ` + window + `
)

//throttle:fixed_window quota=MaxCalls duration=Window
func Get(ctx context.Context) error { return nil }

func main() {
	n := 0
	for range 100 {
		if GetThrottled(context.Background()) == nil {
			n++
		}
	}
	fmt.Println(n, "admitted")
	_ = time.Second
}
`
	}
	writeFileTB(t, filepath.Join(dir, "main.go"), src("3", "time.Hour"))
	files, err := Generate(Config{Dir: dir, Env: env})
	must(t, err)
	for _, f := range files {
		must(t, os.WriteFile(f.Path, f.Content, 0o644))
	}
	run := func() (string, error) {
		cmd := exec.Command("go", "run", ".")
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, tc := range []struct {
		quota, window string
		want          string // in the output
		fails         bool
	}{
		{"3", "time.Hour", "3 admitted", false},
		{"7", "time.Hour", "7 admitted", false}, // no regeneration
		{"0", "time.Hour", "throttle: limit example.com/cases/app.Get (fixed_window quota=MaxCalls) is 0: want a whole number from 1 to 2^53", true},
		{"3", "1500 * time.Nanosecond", "throttle: limit example.com/cases/app.Get (fixed_window duration=Window) is 1.5µs: want a positive whole number of microseconds", true},
	} {
		writeFileTB(t, filepath.Join(dir, "main.go"), src(tc.quota, tc.window))
		out, err := run()
		if (err != nil) != tc.fails || !strings.Contains(out, tc.want) {
			t.Errorf("quota=%s duration=%s: err %v, output:\n%s\nwant it to contain %q", tc.quota, tc.window, err, out, tc.want)
		}
	}
}
