package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesAndChecks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var stderr strings.Builder
	if code := run(ctx, []string{"-check", "-out", dir}, &stderr); code != 1 {
		t.Fatalf("-check on an empty dir: exit %d, want 1 (%s)", code, stderr.String())
	}
	if code := run(ctx, []string{"-out", dir}, &stderr); code != 0 {
		t.Fatalf("write: exit %d (%s)", code, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "algorithms.svg"))
	if err != nil || !strings.HasPrefix(string(data), "<svg ") {
		t.Fatalf("algorithms.svg: %v %.40q", err, data)
	}
	stderr.Reset()
	if code := run(ctx, []string{"-check", "-out", dir}, &stderr); code != 0 {
		t.Fatalf("-check after writing: exit %d (%s)", code, stderr.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}} {
		var stderr strings.Builder
		if code := run(context.Background(), args, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
