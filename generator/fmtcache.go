package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
)

// fmtCache remembers, between runs, the gofmt output of each chunk of
// unformatted code (one wrapper each), keyed by a hash of the chunk and the
// Go version. gofmt is a pure function of its input, so a hit is exactly
// what formatting would return; the cache only saves time. It is
// best-effort: any problem reading or writing it is ignored. One file per
// generated file holds the chunks of that file's latest run.
type fmtCache struct {
	path string // "" when disabled
	old  map[[32]byte][]byte
	next map[[32]byte][]byte
}

// openFmtCache opens the cache of the generated file out.
func openFmtCache(cfg *Config, out string) *fmtCache {
	c := &fmtCache{old: map[[32]byte][]byte{}, next: map[[32]byte][]byte{}}
	dir := cfg.CacheDir
	if dir == "-" {
		return c
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return c
		}
		dir = filepath.Join(base, "throttlegen")
	}
	sum := sha256.Sum256([]byte(out))
	c.path = filepath.Join(dir, hex.EncodeToString(sum[:12])+".fmt")
	data, err := os.ReadFile(c.path)
	if err != nil {
		return c
	}
	for len(data) >= 36 {
		var key [32]byte
		copy(key[:], data)
		n := binary.LittleEndian.Uint32(data[32:36])
		if uint64(len(data)-36) < uint64(n) {
			break // truncated: keep what was whole
		}
		c.old[key] = data[36 : 36+n]
		data = data[36+n:]
	}
	return c
}

func (c *fmtCache) key(chunk []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(runtime.Version()))
	h.Write([]byte{0})
	h.Write(chunk)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// get returns the formatted form of chunk, if cached.
func (c *fmtCache) get(k [32]byte) ([]byte, bool) {
	v, ok := c.old[k]
	return v, ok
}

// save writes the chunks of this run, replacing the previous run's.
func (c *fmtCache) save(keys [][32]byte, formatted [][]byte) {
	if c.path == "" {
		return
	}
	var buf bytes.Buffer
	for i, k := range keys {
		buf.Write(k[:])
		buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(formatted[i]))))
		buf.Write(formatted[i])
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".fmt-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), c.path) != nil {
		os.Remove(tmp.Name())
	}
}
