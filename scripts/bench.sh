#!/usr/bin/env bash
# bench.sh runs the comparison of throttlegen against its peers (bench/) in
# ONE run, so that every ratio compares numbers taken on the same machine at
# the same time, and prints the Markdown tables of bench/cmd/benchtable
# (targets of issues 3-6, then every result).
#
# With COUNT > 1 the run is COUNT rounds of `go test -count 1`, one after the
# other, rather than one `go test -count COUNT`: go test repeats each
# benchmark COUNT times in a row, so one slow phase of a shared machine
# would land on all the samples of one row and none of its peers'. In
# rounds, every row's samples are spread over the whole run.
#
# Environment:
#   BENCH       benchmark regexp          (default .)
#   BENCHTIME   go test -benchtime        (default 1s)
#   COUNT       rounds; medians are taken (default 1)
#   BENCH_RAW   file that keeps the raw go test output (default: a temp file)
#
# Redis benchmarks start their own redis-server; without one they are skipped
# and their targets are reported as "not measured".
set -euo pipefail

cd "$(dirname "$0")/../bench"
raw=${BENCH_RAW:-$(mktemp -t throttlegen-bench.XXXXXX)}
count=${COUNT:-1}
cmd=(go test -run '^$' -bench "${BENCH:-.}" -benchmem -benchtime "${BENCHTIME:-1s}" -count 1 -timeout 60m .)

status=0
: >"$raw"
for ((round = 1; round <= count; round++)); do
	echo "+ round $round of $count: cd bench && ${cmd[*]}" >&2
	"${cmd[@]}" >>"$raw" 2>&1 || status=$?
done
grep -E '^(Benchmark|cpu:|goos:|goarch:|--- (FAIL|SKIP)|FAIL|ok|PASS)' "$raw" >&2 || true
echo "raw output: $raw" >&2

echo "Command: \`cd bench && ${cmd[*]}\`, $count round(s) ($(go env GOVERSION), GOMAXPROCS=$(nproc), $(date -u +%Y-%m-%dT%H:%MZ))"
echo
go run ./cmd/benchtable <"$raw" || status=1
exit $status
