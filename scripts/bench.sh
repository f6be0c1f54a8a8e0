#!/usr/bin/env bash
# bench.sh runs the comparison of throttlegen against its peers (bench/) in
# ONE `go test -bench` run, so that every ratio compares numbers taken on the
# same machine at the same time, and prints the Markdown tables of
# bench/cmd/benchtable (targets of issues 3-6, then every result).
#
# Environment:
#   BENCH       benchmark regexp          (default .)
#   BENCHTIME   go test -benchtime        (default 1s)
#   COUNT       go test -count; medians are taken (default 1)
#   BENCH_RAW   file that keeps the raw go test output (default: a temp file)
#
# Redis benchmarks start their own redis-server; without one they are skipped
# and their targets are reported as "not measured".
set -euo pipefail

cd "$(dirname "$0")/../bench"
raw=${BENCH_RAW:-$(mktemp -t throttlegen-bench.XXXXXX)}
cmd=(go test -run '^$' -bench "${BENCH:-.}" -benchmem -benchtime "${BENCHTIME:-1s}" -count "${COUNT:-1}" -timeout 60m .)

echo "+ cd bench && ${cmd[*]}" >&2
status=0
"${cmd[@]}" >"$raw" 2>&1 || status=$?
grep -E '^(Benchmark|cpu:|goos:|goarch:|--- (FAIL|SKIP)|FAIL|ok|PASS)' "$raw" >&2 || true
echo "raw output: $raw" >&2

echo "Command: \`cd bench && ${cmd[*]}\` ($(go env GOVERSION), GOMAXPROCS=$(nproc), $(date -u +%Y-%m-%dT%H:%MZ))"
echo
go run ./cmd/benchtable <"$raw" || status=1
exit $status
