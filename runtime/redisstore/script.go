package redisstore

import (
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/throttlegen/throttlegen/runtime"
)

// The scripts are assembled from one Lua file per algorithm, the twin of
// its Go function in runtime/algo_*.go, between a prelude of constants and
// shared integer helpers, and a driver. An algorithm's file is a body, not
// a function, written against these locals:
//
//	in:  key, now, maxwait (µs, < 0 unbounded), the limit's q d b k t c bt
//	     (as runtime.newParams derives them), slack (ms added to TTLs), and
//	     for string-valued states sa, sb: the state decoded (sa nil: none)
//	out: ok; when ok: remaining, delay, ttl (µs until the state is fresh)
//	     and the state to write, na and nb; otherwise reason and retry
//
// A body does not write; sliding_window, whose state is a list, has a
// commit after its --[[COMMIT]] mark that writes it. Each body is used
// twice, so that there is one Lua twin per algorithm:
//
//   - spliced into lua/single.lua, it makes the algorithm's own script, for
//     the common case of decisions over one limit: a run defines no
//     function of the algorithm and creates almost no Lua objects (Redis's
//     Lua pays for each in garbage collection);
//   - wrapped into <algorithm>_decide and <algorithm>_commit functions
//     (dispatcherFuncs), it joins the dispatcher (lua/state.lua,
//     lua/cancel.lua, lua/dispatch.lua), which decides several limits
//     all-or-nothing, cancels, and runs mixing algorithms.
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
	dispatchScript = newLuaScript(func() string {
		var b strings.Builder
		b.WriteString(assemble("prelude", "common", "state"))
		for a := runtime.FixedWindow; a <= runtime.LeakyBucket; a++ {
			b.WriteString(dispatcherFuncs(a))
		}
		b.WriteString(assemble("cancel", "dispatch"))
		return b.String()
	}())
	// algScripts[a] decides single-limit requests of algorithm a.
	algScripts = func() (s [len(algFiles)]*luaScript) {
		driver := assemble("single")
		if !strings.Contains(driver, algorithmMark) {
			panic("redisstore: lua/single.lua lacks " + algorithmMark)
		}
		for a := runtime.FixedWindow; a <= runtime.LeakyBucket; a++ {
			bind := "local ALG, STATE_WORDS = " + strconv.Itoa(int(a)) + ", " + strconv.Itoa(stateWords(a)) + "\n"
			decide, commit := body(a)
			src := strings.Replace(driver, algorithmMark, decide, 1)
			src = strings.Replace(src, commitMark, commit, 1)
			s[a] = newLuaScript(assemble("prelude", "common") + bind + src)
		}
		return s
	}()
)

// algorithmMark and commitMark are where lua/single.lua takes an
// algorithm's body and commit; commitMark also ends a body's decision.
const (
	algorithmMark = "--[[ALGORITHM]]"
	commitMark    = "--[[COMMIT]]"
)

// stateWords is how many integers make a's state when it is a string, or 0
// (sliding_window keeps a list).
func stateWords(a runtime.Algorithm) int {
	switch a {
	case runtime.FixedWindow, runtime.TokenBucket:
		return 2
	case runtime.SlidingWindow:
		return 0
	}
	return 1
}

// body returns a's Lua body: the decision, and the commit ("" when the
// driver writes the state).
func body(a runtime.Algorithm) (decide, commit string) {
	src := assemble(algFiles[a])
	decide, commit, _ = strings.Cut(src, commitMark)
	return decide, commit
}

// dispatcherFuncs wraps a's body into the dispatcher's functions:
// <alg>_decide(key, p, now, maxwait), returning ok, reason, remaining,
// delay, retry, ttl, na, nb, and <alg>_commit(key, p, now, ttl, na, nb).
func dispatcherFuncs(a runtime.Algorithm) string {
	name, words := algFiles[a], stateWords(a)
	decide, commit := body(a)
	const params = "  local q, d, b, k, t, c, bt = p.q, p.d, p.b, p.k, p.t, p.c, p.bt\n" +
		"  local slack = TTL_SLACK_MS\n"
	var s strings.Builder
	s.WriteString("local function " + name + "_decide(key, p, now, maxwait)\n" + params)
	if words > 0 {
		s.WriteString("  local sa, sb = get_state(key, " + strconv.Itoa(words) + ")\n")
	}
	s.WriteString("  local ok, reason, remaining, delay, retry, ttl, na, nb = false, 0, 0, 0, 0, 0, nil, nil\n")
	s.WriteString(decide)
	s.WriteString("  return ok, reason, remaining, delay, retry, ttl, na, nb\nend\n\n")
	s.WriteString("local function " + name + "_commit(key, p, now, ttl, na, nb)\n")
	if commit != "" {
		s.WriteString(params + commit)
	} else {
		s.WriteString("  put_state(key, na, nb, " + strconv.Itoa(words) + ", ttl)\n")
	}
	s.WriteString("end\n\n")
	return s.String()
}

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
