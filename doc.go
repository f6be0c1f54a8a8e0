// Package throttlegen throttles Go functions from comments: the throttlegen
// command (cmd/throttlegen) reads //throttle: directives on functions and
// writes typed wrappers that call package runtime.
//
// See README.md for a tour, the directive reference and the benchmarks.
package throttlegen

//go:generate go run ./internal/readme
