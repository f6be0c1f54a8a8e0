// Command throttlecharts draws how each rate algorithm answers one bursty
// trace of calls, replayed against the real runtime on a simulated clock,
// and writes the SVG charts the README shows.
//
// Usage:
//
//	throttlecharts [-out DIR] [-check]
//
// -out names the directory (default docs/charts). With -check nothing is
// written: the command exits 1 when a chart in DIR is missing or stale.
// docs/charts/gen.go runs it from go generate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/throttlegen/throttlegen/internal/charts"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stderr)) }

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("throttlecharts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "docs/charts", "directory to write the charts into")
	check := fs.Bool("check", false, "write nothing; exit 1 when a chart is missing or stale")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "throttlecharts: unexpected arguments:", fs.Args())
		return 2
	}
	var err error
	if *check {
		err = charts.Check(ctx, *out)
	} else {
		err = charts.Write(ctx, *out)
	}
	if err != nil {
		fmt.Fprintln(stderr, "throttlecharts:", err)
		if errors.Is(err, charts.ErrStale) {
			return 1
		}
		return 2
	}
	return 0
}
