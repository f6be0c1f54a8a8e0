package generator

import (
	"os"
	"path/filepath"
	"strings"
)

// The generated files of one package directory, named after -output
// (throttle_gen.go by default, shown here):
//
//   - throttle_gen.go: the wrappers of functions in files compiled
//     everywhere;
//   - NAME_throttle_gen.go: those of the functions of NAME.go, a file with a
//     build constraint, carrying the same constraint (docs/spec.md §3);
//   - throttle_gen_test.go and throttle_gen_external_test.go: those of
//     functions in the _test.go files of the internal and external test
//     packages;
//   - NAME_throttle_gen_test.go: those of NAME_test.go, a test file with a
//     build constraint.
//
// None of these names ends in a GOOS or GOARCH word, so only the
// //go:build line of a generated file constrains it.

// externalTestSuffix marks the generated file of the external test package.
const externalTestSuffix = "_external"

// outputStem is -output without ".go".
func (c *Config) outputStem() string { return strings.TrimSuffix(c.output(), ".go") }

// outputFor returns the name of the generated file holding the wrappers of
// functions declared in the file src, given whether src carries a build
// constraint and whether its package is an external test package.
func (c *Config) outputFor(src string, constrained, external bool) string {
	base := filepath.Base(src)
	test := strings.HasSuffix(base, "_test.go")
	switch {
	case constrained && test:
		return strings.TrimSuffix(base, "_test.go") + "_" + c.outputStem() + "_test.go"
	case constrained:
		return strings.TrimSuffix(base, ".go") + "_" + c.outputStem() + ".go"
	case test && external:
		return c.outputStem() + externalTestSuffix + "_test.go"
	case test:
		return c.outputStem() + "_test.go"
	}
	return c.output()
}

// isOutputName reports whether a file name is one outputFor can return.
// Only files that also begin with the generator's header are its own.
func (c *Config) isOutputName(name string) bool {
	name = filepath.Base(name)
	stem := c.outputStem()
	switch name {
	case c.output(), stem + "_test.go", stem + externalTestSuffix + "_test.go":
		return true
	}
	return strings.HasSuffix(name, "_"+stem+".go") || strings.HasSuffix(name, "_"+stem+"_test.go")
}

// existingOutputs returns the files of dir that the generator wrote:
// named as outputFor names them and beginning with its header.
func existingOutputs(c *Config, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || !c.isOutputName(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if src, err := os.ReadFile(path); err == nil && isGenerated(src) {
			out = append(out, path)
		}
	}
	return out
}
