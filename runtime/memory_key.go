package runtime

import (
	"crypto/sha256"
	"strings"
	"unsafe"
)

// maxPlainKey is the longest user key a MemoryStore keeps as it is; a longer
// key is kept as its SHA-256 (32 bytes), as the Redis store writes values
// over 64 bytes. So a key costs the same bounded memory whatever its length.
const maxPlainKey = 64

// longKeyBit marks, in a word table slot's key length, a key kept as its
// digest: a plain key is at most maxPlainKey bytes, so the bit never
// belongs to a length.
const longKeyBit = 1 << 31

// memKey is a user key as a table keeps it: the key itself when at most
// maxPlainKey bytes, else (long) the 32 bytes of its SHA-256. A plain key and
// a digest are told apart by long, never by their bytes, so a short key equal
// to the digest of a long one is still another key; and SHA-256 being
// collision-resistant, two distinct long keys, chosen by an attacker or not,
// do not share a digest in practice.
//
// The s of a long memKey points into the digest buffer given to keyOf: a
// table that keeps a key keeps a copy (owned), never s itself, nor the
// caller's string.
type memKey struct {
	s    string
	long bool
}

// keyOf returns how a table keeps key. A long key's digest is written to
// *d, which must outlive the memKey. A short key costs one length check.
func keyOf(key string, d *[sha256.Size]byte) memKey {
	if len(key) <= maxPlainKey {
		return memKey{s: key}
	}
	*d = sha256.Sum256(unsafe.Slice(unsafe.StringData(key), len(key)))
	return memKey{s: unsafe.String(&d[0], len(d)), long: true}
}

// klen is the key length a word table slot records for k.
func (k memKey) klen() uint32 {
	if k.long {
		return uint32(len(k.s)) | longKeyBit
	}
	return uint32(len(k.s))
}

// digest is a long key's digest, as an array.
func (k memKey) digest() [sha256.Size]byte {
	return *(*[sha256.Size]byte)(unsafe.Pointer(unsafe.StringData(k.s)))
}

// owned returns k's bytes in a string of the store's own, for a table to
// keep: neither the caller's key (which may be a slice of a larger buffer,
// or a buffer the caller reuses) nor a digest buffer.
func (k memKey) owned() string { return strings.Clone(k.s) }
