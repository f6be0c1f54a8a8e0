// Package bench measures throttlegen against its peers: x/time/rate,
// go.uber.org/ratelimit, failsafe-go, sethvargo/go-limiter, throttled,
// ulule/limiter and redis_rate, on the paths issues 3 to 6 name.
//
// Every throttlegen number is taken through the wrappers of package wrapped,
// the code users call. Benchmarks are named Benchmark<Group>/<case>/<impl>,
// impl being "throttlegen" or a peer; cmd/benchtable turns one
// `go test -bench` run into a Markdown table of throttlegen/peer ratios and
// checks them against the targets of the issues. Run ../scripts/bench.sh.
//
// Redis benchmarks start their own redis-server on a free loopback port and
// are skipped, with a message, when redis-server is not installed.
package bench
