package redisstore

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/throttlegen/throttlegen/runtime"
)

// Key layout (docs/design.md):
//
//	<keyspace>:{<tag>}:<policy>:<enc(name)>:<enc(key)>
//
// enc is injective and brace-free: a value of at most maxPlain bytes is
// written as its length in decimal, ':' and its bytes with '\', '{' and '}'
// escaped as `\\`, `\(` and `\)`; a longer value is written as '#' and the
// hex SHA-256 of its bytes (a digit and '#' never start the same form).
// Because every part is self-delimiting, two different (policy, name, key)
// triples never share a key, whatever bytes the user key holds, and no user
// byte can be a brace, so the Cluster hash tag is always <tag>.
//
// The tag routes a decision to one Cluster slot, and a limit's key must not
// depend on the other limits of the decision (a per-tenant limit decided
// alone by one function and together with a global limit by another has one
// state, as in the in-memory store). Since any limits may share a decision,
// every limit key of a keyspace uses the one tag sharedTag by default: every
// decision is atomic on one slot, at the price of one Cluster node serving a
// keyspace's limits. WithSpreadKeys trades that exactness for spread: a
// request over one keyed limit then uses a hash of that limit's policy, name
// and user key as its tag (see WithSpreadKeys for what it costs).
const (
	maxPlain  = 64
	sharedTag = "t"
)

// prefix returns the part of every key of keyspace ks before the tag. A
// keyspace is kept verbatim unless it holds a brace or a backslash: then all
// three are escaped (as enc escapes them), so that a brace cannot act as a
// Cluster hash tag and two distinct keyspaces never share a prefix ("p{"
// becomes `p\(`, and `p\(` becomes `p\\(`). A prefix holds no brace, so
// the first '{' of a key ends its keyspace.
func prefix(ks string) string {
	if strings.ContainsAny(ks, `{}\`) {
		return escape(ks)
	}
	return ks
}

var escaper = strings.NewReplacer(`\`, `\\`, `{`, `\(`, `}`, `\)`)

func escape(s string) string { return escaper.Replace(s) }

// appendEnc appends enc(s) to b.
func appendEnc(b []byte, s string) []byte {
	if len(s) > maxPlain {
		sum := sha256.Sum256([]byte(s))
		b = append(b, '#')
		return hex.AppendEncode(b, sum[:])
	}
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '{':
			b = append(b, '\\', '(')
		case '}':
			b = append(b, '\\', ')')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendTag appends the hash tag (without braces) of a single-limit request:
// eight hex digits of an FNV-1a hash of the limit's algorithm, name and key.
func appendTag(b []byte, l *runtime.Limit, key string) []byte {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	h = (h ^ uint32(l.Algorithm)) * prime
	for n := len(l.Name); n > 0; n >>= 8 {
		h = (h ^ uint32(n&0xff)) * prime
	}
	h = (h ^ 0xff) * prime
	for i := 0; i < len(l.Name); i++ {
		h = (h ^ uint32(l.Name[i])) * prime
	}
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * prime
	}
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, digits[(h>>uint(shift))&0xf])
	}
	return b
}

// appendKey appends the Redis key of limit l with user key key, under the
// already encoded keyspace prefix pfx and tag.
func appendKey(b []byte, pfx, tag string, l *runtime.Limit, key string) []byte {
	b = append(b, pfx...)
	b = append(b, ":{"...)
	b = append(b, tag...)
	b = append(b, "}:"...)
	b = append(b, l.Algorithm.String()...)
	b = append(b, ':')
	b = appendEnc(b, l.Name)
	b = append(b, ':')
	return appendEnc(b, key)
}

// Key returns the Redis key that holds the state of limit l for user key key
// in keyspace ks (for a store without WithSpreadKeys, or a limit decided
// together with others). It is meant for tests and tools; the store builds
// keys itself.
func Key(ks string, l *runtime.Limit, key string) string {
	return string(appendKey(nil, prefix(ks), sharedTag, l, key))
}

// SpreadKey returns the Redis key that holds the state of limit l for user
// key key in keyspace ks when a store with WithSpreadKeys decides l alone.
func SpreadKey(ks string, l *runtime.Limit, key string) string {
	if key == "" {
		return Key(ks, l, key)
	}
	tag := string(appendTag(nil, l, key))
	return string(appendKey(nil, prefix(ks), tag, l, key))
}
