// Command throttlegen writes throttled wrappers for Go functions carrying
// //throttle: directives. Run it with go generate:
//
//	//go:generate go tool throttlegen
//
// Run throttlegen -h for the flags and the directive reference.
package main

import (
	"os"

	"github.com/throttlegen/throttlegen/generator"
)

func main() { os.Exit(generator.Run(os.Args[1:], os.Stdout, os.Stderr)) }
