#!/usr/bin/env bash
# benchdiff.sh compares the benchmarks of bench/ at two revisions of the
# project in ONE run: it builds bench/'s test binary at BASE and at the work
# tree, then runs the two binaries in alternating rounds (base, new, base,
# new, ...), so that a slow phase of a shared machine lands on both sides
# alike, and prints benchstat's comparison (old = BASE, new = work tree).
#
# Usage: scripts/benchdiff.sh BASE      (a git revision, e.g. HEAD~5)
#
# Environment:
#   BENCH       benchmark regexp          (default .)
#   BENCHTIME   -test.benchtime           (default 300ms)
#   COUNT       rounds of each side       (default 5)
set -euo pipefail

base=${1:?usage: scripts/benchdiff.sh BASE}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d -t throttlegen-benchdiff.XXXXXX)
trap 'git -C "$root" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

git -C "$root" worktree add --detach -q "$tmp/base" "$base"
(cd "$tmp/base/bench" && go test -c -o "$tmp/base.test" .)
(cd "$root/bench" && go test -c -o "$tmp/new.test" .)

args=(-test.run '^$' -test.bench "${BENCH:-.}" -test.benchmem -test.benchtime "${BENCHTIME:-300ms}" -test.count 1 -test.timeout 60m)
for ((round = 1; round <= ${COUNT:-5}; round++)); do
	echo "+ round $round of ${COUNT:-5}" >&2
	(cd "$tmp/base/bench" && "$tmp/base.test" "${args[@]}") >>"$tmp/base.txt"
	(cd "$root/bench" && "$tmp/new.test" "${args[@]}") >>"$tmp/new.txt"
done

echo "Command: scripts/benchdiff.sh $base ($(git -C "$root" rev-parse --short "$base") vs work tree), BENCH=${BENCH:-.} BENCHTIME=${BENCHTIME:-300ms} COUNT=${COUNT:-5}, $(date -u +%Y-%m-%dT%H:%MZ)"
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "base=$tmp/base.txt" "new=$tmp/new.txt"
