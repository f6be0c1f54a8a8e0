package generator

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/go/packages"
)

// bigPackage writes a package of n annotated functions of varied shapes.
func bigPackage(tb testing.TB, dir string, n int) {
	var b strings.Builder
	b.WriteString("package big\n\nimport (\n\t\"context\"\n\t\"errors\"\n)\n\nvar ErrX = errors.New(\"x\")\n\ntype Svc struct{}\n\n")
	for i := range n {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "// F%d is rate limited per tenant.\n//\n//throttle:gcra quota=10 duration=1s burst=20 key=tenant\nfunc F%d(ctx context.Context, tenant, id string) (string, error) { return id, nil }\n\n", i, i)
		case 1:
			fmt.Fprintf(&b, "//throttle:fixed_window quota=100 duration=1m key=n\n//throttle:concurrency capacity=8 queue=4 consumer=name\nfunc F%d(n int, name string) int { return n }\n\n", i)
		case 2:
			fmt.Fprintf(&b, "//throttle:retry attempts=3 on=throttled,ErrX\n//throttle:token_bucket quota=5 duration=1s\n//throttle:timeout duration=2s\nfunc F%d(ctx context.Context, xs ...int) error { return nil }\n\n", i)
		case 3:
			fmt.Fprintf(&b, "//throttle:sliding_window quota=3 duration=1s key=k\nfunc (s *Svc) M%d(ctx context.Context, k []byte) ([]byte, error) { return k, nil }\n\n", i)
		case 4:
			fmt.Fprintf(&b, "//throttle:leaky_bucket quota=10 duration=1s bucket=3\nfunc G%d[T any](ctx context.Context, v T) (T, error) { return v, nil }\n\n", i)
		}
	}
	writeFileTB(tb, filepath.Join(dir, "big.go"), b.String())
}

// BenchmarkGenerate1000 generates one package holding 1,000 annotated
// functions and reports the time spent loading (packages.Load) and in the
// generator's own phases (parse, check, plan, emit), and the latter's share
// of the whole run.
func BenchmarkGenerate1000(b *testing.B) {
	mod, env := tempModule(b)
	bigPackage(b, filepath.Join(mod, "big"), 1000)
	// unchanged: the package is as the previous run saw it (go list answers
	// from the build cache).
	b.Run("unchanged", func(b *testing.B) {
		benchGenerate(b, &Config{Dir: mod, Patterns: []string{"./big"}, Env: env}, nil)
	})
	// edited: the package changed since the last run, as when go generate
	// follows an edit, so go list compiles it again during the load.
	b.Run("edited", func(b *testing.B) {
		n := 0
		benchGenerate(b, &Config{Dir: mod, Patterns: []string{"./big"}, Env: env}, func() {
			n++
			writeFileTB(b, filepath.Join(mod, "big", "edit.go"), fmt.Sprintf("package big\n\n// Edit %d.\nfunc edited%d() {}\n", n, n))
		})
	})
}

// benchGenerate measures load and generate; edit, when not nil, changes the
// package before each load.
func benchGenerate(b *testing.B, cfg *Config, edit func()) {
	defer debug.SetGCPercent(debug.SetGCPercent(runGCPercent)) // as Run does
	if pkgs, fset, errs := load(cfg); len(errs) > 0 {          // warm the build cache
		b.Fatal(errs)
	} else if _, err := generate(cfg, pkgs, fset); err != nil {
		b.Fatal(err)
	}
	var loadTime, genTime, loadCPU, genCPU time.Duration
	var size int
	for b.Loop() {
		if edit != nil {
			edit()
		}
		s0, c0 := cpuTimes()
		t0 := time.Now()
		pkgs, fset, errs := load(cfg)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		t1 := time.Now()
		s1, c1 := cpuTimes()
		files, err := generate(cfg, pkgs, fset)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		s2, _ := cpuTimes()
		loadTime += t1.Sub(t0)
		genTime += t2.Sub(t1)
		loadCPU += s1 - s0 + c1 - c0
		genCPU += s2 - s1
		size = len(files[0].Content)
	}
	n := float64(b.N)
	b.ReportMetric(float64(loadTime.Milliseconds())/n, "load-ms/op")
	b.ReportMetric(float64(genTime.Milliseconds())/n, "generate-ms/op")
	b.ReportMetric(100*float64(genTime)/float64(loadTime+genTime), "generate-%")
	if loadCPU > 0 {
		// CPU time is steadier than wall time on a busy machine.
		b.ReportMetric(float64(loadCPU.Milliseconds())/n, "load-cpu-ms/op")
		b.ReportMetric(float64(genCPU.Milliseconds())/n, "generate-cpu-ms/op")
		b.ReportMetric(100*float64(genCPU)/float64(loadCPU+genCPU), "generate-cpu-%")
	}
	b.ReportMetric(float64(size), "output-bytes")
}

// BenchmarkPhases1000 runs the generator's own phases (parse, check, plan,
// emit) over one loaded package of 1,000 annotated functions, without the
// load: the benchmark to profile (go test -bench Phases1000 -cpuprofile).
func BenchmarkPhases1000(b *testing.B) {
	mod, env := tempModule(b)
	bigPackage(b, filepath.Join(mod, "big"), 1000)
	cfg := &Config{Dir: mod, Patterns: []string{"./big"}, Env: env}
	defer debug.SetGCPercent(debug.SetGCPercent(runGCPercent)) // as Run does
	pkgs, fset, errs := load(cfg)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	for b.Loop() {
		if _, err := generate(cfg, pkgs, fset); err != nil {
			b.Fatal(err)
		}
	}
}

// bareLoadMode is what a tool that needs a package's syntax and types asks
// go/packages for: the reference a whole generator run is measured against.
const bareLoadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo

// BenchmarkRunVsLoad1000 measures, in one run, the target of issue 14: a
// whole throttlegen run (Run: load, generate, write) over one package of
// 1,000 annotated functions against a bare packages.Load of the same
// package, each iteration doing both, and reports their ratio (target:
// ≤ 1.5). "unchanged": the package is as the previous run saw it;
// "edited": it changed since, so go list compiles it again (edited before
// each of the two measured operations).
func BenchmarkRunVsLoad1000(b *testing.B) {
	mod, env := tempModule(b)
	dir := filepath.Join(mod, "big")
	bigPackage(b, dir, 1000)
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "GOFLAGS" || k == "GOWORK") {
			b.Setenv(k, v)
		}
	}
	b.Chdir(dir)
	for _, edited := range []bool{false, true} {
		name := "unchanged"
		if edited {
			name = "edited"
		}
		b.Run(name, func(b *testing.B) {
			n := 0
			edit := func() {
				if edited {
					n++
					writeFileTB(b, filepath.Join(dir, "edit.go"), fmt.Sprintf("package big\n\n// Edit %d.\nfunc edited%d() {}\n", n, n))
				}
			}
			bare := func() {
				pkgs, err := packages.Load(&packages.Config{Mode: bareLoadMode}, ".")
				if err != nil || len(pkgs) != 1 || len(pkgs[0].Errors) > 0 {
					b.Fatal(err, pkgs)
				}
			}
			whole := func() {
				var stderr strings.Builder
				if code := Run(nil, io.Discard, &stderr); code != ExitOK {
					b.Fatal(code, stderr.String())
				}
			}
			bare() // warm the build cache
			whole()
			var loadTime, runTime time.Duration
			for b.Loop() {
				edit()
				t0 := time.Now()
				bare()
				t1 := time.Now()
				edit()
				t2 := time.Now()
				whole()
				t3 := time.Now()
				loadTime += t1.Sub(t0)
				runTime += t3.Sub(t2)
			}
			n64 := float64(b.N)
			b.ReportMetric(float64(loadTime.Milliseconds())/n64, "load-ms/op")
			b.ReportMetric(float64(runTime.Milliseconds())/n64, "run-ms/op")
			b.ReportMetric(float64(runTime)/float64(loadTime), "run/load")
		})
	}
}
