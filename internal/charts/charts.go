package charts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// CombinedFile is the name of the picture holding every algorithm.
const CombinedFile = "algorithms.svg"

// Files returns every chart by file name: CombinedFile with one panel per
// algorithm, and one file per algorithm (its policy name plus ".svg"), all
// drawn to the same scale. The result is the same on every call.
func Files(ctx context.Context) (map[string][]byte, error) {
	arrivals := Arrivals()
	all := make([]series, 0, len(Algos))
	for _, a := range Algos {
		calls, err := Simulate(ctx, a, arrivals)
		if err != nil {
			return nil, err
		}
		all = append(all, count(a, calls))
	}
	sc := newScale(all)
	files := map[string][]byte{
		CombinedFile: document("Five rate algorithms, one bursty trace", all, sc),
	}
	for _, se := range all {
		name := se.algo.Limit.Algorithm.String()
		files[name+".svg"] = document(name+" on a bursty trace", []series{se}, sc)
	}
	return files, nil
}

// Names returns the file names of files, sorted.
func Names(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ErrStale is returned by Check when a chart on disk differs from what
// Files draws.
var ErrStale = errors.New("charts are stale")

// Write writes every chart into dir, rewriting only files whose content
// changed.
func Write(ctx context.Context, dir string) error {
	files, err := Files(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range Names(files) {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Check reports, with an error wrapping ErrStale, every chart in dir that is
// missing or differs from what Files draws.
func Check(ctx context.Context, dir string) error {
	files, err := Files(ctx)
	if err != nil {
		return err
	}
	var stale []string
	for _, name := range Names(files) {
		old, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(old, files[name]) {
			stale = append(stale, name)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("%w in %s: %v (run go generate ./docs/charts)", ErrStale, dir, stale)
	}
	return nil
}
