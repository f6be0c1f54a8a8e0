// Package charts draws how each rate algorithm of throttlegen answers one
// bursty trace of calls, as SVG pictures for the README.
//
// Model: a fixed, pseudo-random but reproducible trace of call arrivals
// (quiet, a sharp burst, quiet, steady overload at twice the limit, quiet)
// is replayed against the real runtime: a fresh runtime.MemoryStore per
// algorithm, deciding each call with Store.Decide at the call's arrival
// time (Request.Now), so no wall clock is involved. Every chart is built from
// integers only, so the output is byte-for-byte identical on every run and
// platform.
//
// cmd/throttlecharts writes the files; docs/charts/gen.go runs it from
// go generate, so CI's drift check keeps the committed pictures current.
//
// Everything here is a pure function of the package's constants and is safe
// for concurrent use.
package charts
