// Package charts holds the SVG pictures of the README: how each rate
// algorithm answers one bursty trace, drawn by cmd/throttlecharts from the
// real runtime on a simulated clock. It has no code; go generate redraws the
// pictures, and CI fails when they drift from what the runtime decides.
package charts

//go:generate go run github.com/throttlegen/throttlegen/cmd/throttlecharts -out .
