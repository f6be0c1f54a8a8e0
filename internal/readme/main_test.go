package main

import (
	"bytes"
	"os"
	"testing"
)

// TestREADMEInSync fails when README.md's directive reference or function
// shapes differ from the generator's tables. Fix it with: go generate .
// (from the repository root).
func TestREADMEInSync(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generated(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, want) {
		t.Fatal("README.md's directive reference or function shapes are stale: run `go generate .` at the repository root")
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
