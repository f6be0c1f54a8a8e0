package redisstore

import (
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"strings"
)

// The decision script is assembled from one Lua file per algorithm, so that
// each reads side by side with its Go twin in runtime/algo_*.go, between a
// prelude of constants, shared integer helpers, and the dispatcher that
// decides every limit of a request all-or-nothing.
//
//go:embed lua/*.lua
var luaFiles embed.FS

var scriptParts = []string{
	"prelude.lua",
	"common.lua",
	"fixed_window.lua",
	"sliding_window.lua",
	"token_bucket.lua",
	"gcra.lua",
	"leaky_bucket.lua",
	"dispatch.lua",
}

// script is the whole decision script and scriptSHA its SHA-1, the name
// EVALSHA runs it by.
var script, scriptSHA = assemble()

func assemble() (string, string) {
	var b strings.Builder
	for _, name := range scriptParts {
		src, err := luaFiles.ReadFile("lua/" + name)
		if err != nil {
			panic("redisstore: missing embedded script " + name)
		}
		b.Write(src)
		b.WriteByte('\n')
	}
	s := b.String()
	sum := sha1.Sum([]byte(s))
	return s, hex.EncodeToString(sum[:])
}

// Script returns the Lua decision script the store runs (for inspection and
// tools; the store loads it itself).
func Script() string { return script }
