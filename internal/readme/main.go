// Command readme keeps README.md's generated sections identical to the
// generator's tables: the directive reference between the markers
// <!-- directives:begin --> and <!-- directives:end -->, and the function
// shapes between <!-- shapes:begin --> and <!-- shapes:end -->.
//
// It runs from the repository root through go generate (see ../../doc.go).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/throttlegen/throttlegen/generator"
)

const (
	begin = "<!-- directives:begin -->"
	end   = "<!-- directives:end -->"

	shapesBegin = "<!-- shapes:begin -->"
	shapesEnd   = "<!-- shapes:end -->"
)

func main() {
	if err := rewrite("README.md"); err != nil {
		fmt.Fprintln(os.Stderr, "readme:", err)
		os.Exit(1)
	}
}

func rewrite(path string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, err := generated(old)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	return os.WriteFile(path, updated, 0o644)
}

// generated returns doc with both generated sections rewritten.
func generated(doc []byte) ([]byte, error) {
	doc, err := splice(doc, generator.DirectiveReference())
	if err != nil {
		return nil, err
	}
	return spliceBetween(doc, shapesBegin, shapesEnd, generator.FunctionShapes())
}

// splice replaces what stands between the directive markers in doc with ref.
func splice(doc []byte, ref string) ([]byte, error) {
	return spliceBetween(doc, begin, end, ref)
}

// spliceBetween replaces what stands between the markers begin and end in
// doc with ref.
func spliceBetween(doc []byte, begin, end, ref string) ([]byte, error) {
	i := bytes.Index(doc, []byte(begin))
	j := bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		return nil, errors.New("missing " + begin + " ... " + end + " markers")
	}
	var b bytes.Buffer
	b.Write(doc[:i+len(begin)])
	b.WriteString("\n\n")
	b.WriteString(ref)
	if ref != "" && ref[len(ref)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteString("\n")
	b.Write(doc[j:])
	return b.Bytes(), nil
}
