package generator

import (
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
)

// Exit statuses of Run.
const (
	ExitOK    = 0 // generated, or -check found everything up to date
	ExitFail  = 1 // directive errors (with or without -check), or -check found a stale, missing or left-over file
	ExitUsage = 2 // bad flags, or -check could not decide (a package that cannot be loaded, a file that cannot be read)
)

// usageExit and usageExample are sections of -h's manual.
const (
	usageExit = `
Exit status:
  0  generated; with -check, every generated file is up to date
  1  directive errors (reported as file:line:col: message; nothing is written),
     with or without -check; with -check, also a generated file that is stale,
     missing or left over (saying which)
  2  usage errors (bad flags); with -check, also operational failures that
     leave it unable to decide (a package that cannot be loaded, a file that
     cannot be read)
`
	usageExample = `
Example:
  //go:generate go tool throttlegen

  // GetUser calls a vendor API limited to 10 calls per second per tenant.
  //
  //throttle:gcra quota=10 duration=1s burst=20 key=tenant
  func GetUser(ctx context.Context, tenant, id string) (*User, error)

  go generate ./... then writes GetUserThrottled in throttle_gen.go.
`
)

// runGCPercent is the GOGC Run uses while it runs.
const runGCPercent = 400

// Run is the throttlegen command: it parses args (without the program
// name), generates, and writes or checks, reporting to stdout and stderr.
// It returns the process's exit status.
func Run(args []string, stdout, stderr io.Writer) int {
	// A short-lived command: trade memory for less garbage collection.
	defer debug.SetGCPercent(debug.SetGCPercent(runGCPercent))
	fl := flag.NewFlagSet("throttlegen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	output := fl.String("output", DefaultOutput, "name of the generated `file` in each package")
	suffix := fl.String("suffix", DefaultSuffix, "`word` appended to a function's name to name its wrapper")
	tags := fl.String("tags", "", "comma-separated build `tags` for loading the packages")
	version := fl.Bool("version", false, "print the version and exit")
	verbose := fl.Bool("v", false, "report on stderr each generated file written or left unchanged, and its wrappers")
	checkOnly := fl.Bool("check", false, "write nothing; exit 0 when every generated file is up to date, 1 when one is stale, missing or left over, 2 on error")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: throttlegen [flags] [packages]\n\n")
		fmt.Fprintf(stderr, "Writes %s in each package (default: the package in the current directory)\n", DefaultOutput)
		fmt.Fprintf(stderr, "with a throttled wrapper for every function carrying //throttle: directives.\n\nFlags:\n")
		fl.PrintDefaults()
		fmt.Fprint(stderr, usageExit, usageExample)
		fmt.Fprintf(stderr, "\n%s", usageShapes())
		fmt.Fprintf(stderr, "\n%s", usageReference())
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if *version {
		fmt.Fprintf(stdout, "throttlegen %s (runtime contract %s)\n", Version, contractConst)
		return ExitOK
	}
	if *output == "" || filepath.Base(*output) != *output || !strings.HasSuffix(*output, ".go") || strings.HasSuffix(*output, "_test.go") {
		fmt.Fprintf(stderr, "throttlegen: -output must be a file name ending in .go (not _test.go), without a directory: %q\n", *output)
		return ExitUsage
	}
	if !token.IsIdentifier("X"+*suffix) || *suffix == "" {
		fmt.Fprintf(stderr, "throttlegen: -suffix must be a non-empty identifier part: %q\n", *suffix)
		return ExitUsage
	}
	cfg := Config{Patterns: fl.Args(), Output: *output, Suffix: *suffix}
	if *tags != "" {
		cfg.Tags = strings.Split(*tags, ",")
	}
	wd, _ := os.Getwd()
	pkgs, fset, loadErrs := load(&cfg)
	if len(loadErrs) > 0 {
		// The packages could not be loaded: nothing was judged. Under
		// -check that is "could not decide".
		loadErrs.sort()
		fmt.Fprintln(stderr, loadErrs.Relative(wd))
		if *checkOnly {
			return ExitUsage
		}
		return ExitFail
	}
	files, err := generate(&cfg, pkgs, fset)
	if err != nil {
		// Directive errors: exit 1, with or without -check (docs/spec.md §3a).
		var list ErrorList
		if errors.As(err, &list) {
			err = list.Relative(wd)
		}
		fmt.Fprintln(stderr, err)
		return ExitFail
	}
	if *checkOnly {
		status, err := Check(files)
		if err != nil {
			fmt.Fprintf(stderr, "throttlegen: %v\n", err)
			return ExitUsage
		}
		paths := make([]string, 0, len(status))
		for p, s := range status {
			if s != UpToDate {
				paths = append(paths, p)
			}
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(stderr, "%s: %s (run go generate)\n", relPath(wd, p), status[p])
		}
		if len(paths) > 0 {
			return ExitFail
		}
		return ExitOK
	}
	if os.Getenv("GOFILE") == "" {
		// Run directly, not by go generate: a file left without wrappers
		// is removed. go generate lists a package's files before running
		// the generator and reads each afterwards, so there it is only
		// reduced to its header and package clause (docs/spec.md §3).
		files = slices.Clone(files)
		for i, f := range files {
			if f.Empty {
				files[i] = File{Path: f.Path}
			}
		}
	}
	var before map[string]Status
	if *verbose {
		if before, err = Check(files); err != nil {
			fmt.Fprintf(stderr, "throttlegen: %v\n", err)
			return ExitFail
		}
	}
	if err := Write(files); err != nil {
		fmt.Fprintf(stderr, "throttlegen: %v\n", err)
		return ExitFail
	}
	if *verbose {
		report(stderr, wd, files, before)
	}
	return ExitOK
}

// verboseNames is how many wrapper names -v lists per file.
const verboseNames = 10

// report writes -v's account of a run: one line per generated file, saying
// whether it was written and which wrappers it declares.
func report(w io.Writer, wd string, files []File, before map[string]Status) {
	for _, f := range files {
		what := "wrote"
		if before[f.Path] == UpToDate {
			what = "unchanged"
		}
		switch {
		case f.Empty && what == "unchanged":
			fmt.Fprintf(w, "%s: unchanged, no wrapper\n", relPath(wd, f.Path))
		case f.Empty:
			fmt.Fprintf(w, "%s: reduced to its header and package clause: no directive left\n", relPath(wd, f.Path))
		case f.Content == nil:
			fmt.Fprintf(w, "%s: removed\n", relPath(wd, f.Path))
		default:
			names := f.Wrappers
			more := ""
			if len(names) > verboseNames {
				names, more = names[:verboseNames], fmt.Sprintf(" and %d more", len(f.Wrappers)-verboseNames)
			}
			plural := "s"
			if len(f.Wrappers) == 1 {
				plural = ""
			}
			fmt.Fprintf(w, "%s: %s, %d wrapper%s: %s%s\n", relPath(wd, f.Path), what, len(f.Wrappers), plural, strings.Join(names, ", "), more)
		}
	}
}

func relPath(wd, p string) string {
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
