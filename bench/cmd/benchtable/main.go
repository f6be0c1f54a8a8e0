// Command benchtable reads the output of one `go test -bench -benchmem` run of
// package bench on its standard input and prints Markdown: the issues'
// targets with the measured throttlegen/peer ratios and whether each holds,
// then every result with its ratio to throttlegen in the same case.
//
// Benchmarks must be named Benchmark<Group>/<case>/<impl>; the impl named
// "throttlegen" is ours, every other impl of the same case is a peer.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem ./ | go run ./cmd/benchtable
//
// It exits 1 when the input holds no benchmark result, or a FAIL line, and 0
// otherwise, whether the targets hold or not: it reports, it does not judge.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Stdin, os.Stdout, os.Stderr))
}

func run(in io.Reader, out, errOut io.Writer) int {
	res, err := parse(in)
	if err != nil {
		fmt.Fprintln(errOut, "benchtable:", err)
		return 1
	}
	writeTables(out, res, targets)
	if res.failed {
		fmt.Fprintln(errOut, "benchtable: the benchmark run reported FAIL")
		return 1
	}
	return 0
}
