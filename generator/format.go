package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkMark separates the wrappers in jennifer's unformatted output, so
// that they can be formatted independently.
const chunkMark = "// throttlegen:chunk"

// formatChunks gofmts src one wrapper at a time, on every CPU, and joins
// the pieces with one blank line: the same bytes as gofmt of the whole file
// (declarations separated by blank lines do not align with each other), in
// a fraction of the time for large files. Chunks formatted by an earlier run
// come from cache.
func formatChunks(src []byte, cache *fmtCache) ([]byte, error) {
	chunks := bytes.Split(src, []byte("\n"+chunkMark+"\n"))
	out := make([][]byte, len(chunks))
	keys := make([][32]byte, len(chunks))
	errs := make([]error, len(chunks))
	var todo []int
	for i, c := range chunks {
		keys[i] = cache.key(c)
		if f, ok := cache.get(keys[i]); ok {
			out[i] = f
		} else {
			todo = append(todo, i)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range workers {
		wg.Go(func() {
			for j := int(next.Add(1) - 1); j < len(todo); j = int(next.Add(1) - 1) {
				i := todo[j]
				f, err := format.Source(chunks[i])
				out[i], errs[i] = bytes.TrimSpace(f), err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("formatting the generated code: %w", err)
	}
	if len(todo) > 0 {
		cache.save(keys, out)
	}
	var b bytes.Buffer
	for i, c := range out {
		if i > 0 {
			b.WriteString("\n")
		}
		b.Write(c)
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}
