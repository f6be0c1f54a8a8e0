package generator_test

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/throttlegen/throttlegen/generator"
)

// Run is the whole command; main is one line over it.
func ExampleRun() {
	code := generator.Run([]string{"-version"}, os.Stdout, os.Stderr)
	fmt.Println("exit", code)
	// Output:
	// throttlegen v0.1.0 (runtime contract SupportPackageIsVersion1)
	// exit 0
}

// Generate returns what to write; Write writes it. Errors are an
// ErrorList, each located in the user's source.
func ExampleGenerate() {
	files, err := generator.Generate(generator.Config{Patterns: []string{"./..."}})
	var list generator.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e) // file:line:col: message
		}
		return
	}
	if err := generator.Write(files); err != nil {
		fmt.Println(err)
	}
}

// DirectiveReference renders the directive table as Markdown, for the
// README.
func ExampleDirectiveReference() {
	ref := generator.DirectiveReference()
	for _, line := range strings.Split(ref, "\n") {
		if strings.HasPrefix(line, "### ") {
			fmt.Println(line)
		}
	}
	// Output:
	// ### `fixed_window`
	// ### `sliding_window`
	// ### `token_bucket`
	// ### `gcra`
	// ### `leaky_bucket`
	// ### `concurrency`
	// ### `retry`
	// ### `timeout`
	// ### `cache`
}
