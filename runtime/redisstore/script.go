package redisstore

import (
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/throttlegen/throttlegen/runtime"
)

// The scripts are assembled from one Lua file per algorithm, so that each
// reads side by side with its Go twin in runtime/algo_*.go, between a prelude
// of constants and shared integer helpers, and a driver:
//
//   - each algorithm has a script of its own for the common case,
//     decisions over one limit: lua/single.lua around the algorithm's flat
//     body (lua/flat_<algorithm>.lua, a second twin of the Go function,
//     written without function definitions), so that a run creates almost
//     no Lua objects (Redis's Lua pays for each in garbage collection);
//   - the dispatcher (every algorithm and lua/dispatch.lua) decides
//     several limits all-or-nothing, cancels, and runs mixing algorithms.
//
// Both drivers read the same packed arguments, so a call is encoded once
// whichever script runs it.
//
//go:embed lua/*.lua
var luaFiles embed.FS

// luaScript is one script with its SHA-1, the name EVALSHA runs it by, and
// the two first arguments of its EVALSHA and EVAL commands, boxed once.
type luaScript struct {
	src, sha       string
	shaArg, srcArg interface{}
}

func newLuaScript(src string) *luaScript {
	sum := sha1.Sum([]byte(src))
	sha := hex.EncodeToString(sum[:])
	return &luaScript{src: src, sha: sha, shaArg: sha, srcArg: src}
}

// algFiles names the Lua file of each runtime.Algorithm.
var algFiles = [...]string{
	runtime.FixedWindow:   "fixed_window",
	runtime.SlidingWindow: "sliding_window",
	runtime.TokenBucket:   "token_bucket",
	runtime.GCRA:          "gcra",
	runtime.LeakyBucket:   "leaky_bucket",
}

var (
	// dispatchScript decides any request and cancels reservations.
	dispatchScript = newLuaScript(assemble(
		"prelude", "common", "state", "fixed_window", "sliding_window", "token_bucket", "gcra", "leaky_bucket", "dispatch"))
	// algScripts[a] decides single-limit requests of algorithm a.
	algScripts = func() (s [len(algFiles)]*luaScript) {
		driver := assemble("single")
		if !strings.Contains(driver, algorithmMark) {
			panic("redisstore: lua/single.lua lacks " + algorithmMark)
		}
		for a := runtime.FixedWindow; a <= runtime.LeakyBucket; a++ {
			words := 1 // words of a string state
			if a == runtime.FixedWindow || a == runtime.TokenBucket {
				words = 2
			}
			bind := "local ALG, STRING_STATE, STATE_WORDS = " + strconv.Itoa(int(a)) + ", " +
				strconv.FormatBool(a != runtime.SlidingWindow) + ", " + strconv.Itoa(words) + "\n"
			body := assemble("flat_" + algFiles[a])
			s[a] = newLuaScript(assemble("prelude", "common") + bind +
				strings.Replace(driver, algorithmMark, body, 1))
		}
		return s
	}()
)

// algorithmMark is where lua/single.lua takes an algorithm's flat body.
const algorithmMark = "--[[ALGORITHM]]"

// assemble concatenates the embedded Lua files named by parts.
func assemble(parts ...string) string {
	var b strings.Builder
	for _, name := range parts {
		src, err := luaFiles.ReadFile("lua/" + name + ".lua")
		if err != nil {
			panic("redisstore: missing embedded script " + name)
		}
		b.Write(src)
		b.WriteByte('\n')
	}
	return b.String()
}

// scriptFor returns the script that runs calls of req in the given mode.
func scriptFor(req *runtime.Request, mode int) *luaScript {
	if mode == modeDecide && len(req.Limits) == 1 {
		return algScripts[req.Limits[0].Algorithm]
	}
	return dispatchScript
}

// Script returns the Lua dispatcher script the store runs for decisions over
// several limits and for cancels (for inspection and tools; the store loads
// it itself).
func Script() string { return dispatchScript.src }

// AlgorithmScript returns the Lua script the store runs for decisions over
// one limit of algorithm a, or "" for an unknown algorithm.
func AlgorithmScript(a runtime.Algorithm) string {
	if a < runtime.FixedWindow || a > runtime.LeakyBucket {
		return ""
	}
	return algScripts[a].src
}
