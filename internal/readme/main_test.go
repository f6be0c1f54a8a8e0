package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/throttlegen/throttlegen/generator"
)

// TestREADMEInSync fails when README.md's directive reference differs from
// the generator's table. Fix it with: go generate . (from the repository root).
func TestREADMEInSync(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := splice(doc, generator.DirectiveReference())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, want) {
		t.Fatal("README.md's directive reference is stale: run `go generate .` at the repository root")
	}
}

func TestSplice(t *testing.T) {
	got, err := splice([]byte("a\n"+begin+"\nold\n"+end+"\nz\n"), "new")
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n" + begin + "\n\nnew\n\n" + end + "\nz\n"; string(got) != want {
		t.Fatalf("splice = %q, want %q", got, want)
	}
	if _, err := splice([]byte("no markers"), "x"); err == nil {
		t.Fatal("splice without markers succeeded")
	}
}
