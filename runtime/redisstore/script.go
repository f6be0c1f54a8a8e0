package redisstore

import (
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// The scripts are assembled from one Lua file per algorithm of the
// runtime's algorithm table (ratemath.Algorithms), lua/<name>.lua, the twin
// of its Go file in runtime/internal/ratemath, between a prelude of
// constants and shared integer helpers, and a driver. An algorithm's file
// is a body, not a function, written against these locals:
//
//	in:  key, now, maxwait (µs, < 0 unbounded), the limit's q d b k t c bt
//	     (as ratemath.Derive derives them), cost (the call's units, from 1
//	     to the algorithm's bound: the drivers skip cost 0 and reject a
//	     larger cost for REASON_COST themselves, from ratemath's CostBound),
//	     slack (ms added to TTLs), and for string-valued states sa, sb: the
//	     state decoded (sa nil: none)
//	out: ok; when ok: remaining, delay, ttl (µs until the state is fresh)
//	     and the state to write, na and nb; otherwise reason and retry
//
// A body does not write; sliding_window, whose state is a list, has a
// commit after its --[[COMMIT]] mark that writes it (from na and nb, which
// its decision sets for it). An algorithm that
// reserves has a cancel after its --[[CANCEL]] mark: with sa, sb the state
// (present), it sets na, nb and ttl, which the driver writes. Each body is
// used twice, so that there is one Lua twin per algorithm:
//
//   - spliced into lua/single.lua, it makes the algorithm's own script, for
//     the common case of decisions over one limit: a run defines no
//     function of the algorithm and creates almost no Lua objects (Redis's
//     Lua pays for each in garbage collection);
//   - wrapped into <algorithm>_decide, <algorithm>_commit and
//     <algorithm>_cancel functions (dispatcherFuncs), and reached by the
//     algorithm's number through decide, commit and cancel (dispatchFuncs),
//     it joins the dispatcher (lua/state.lua, lua/dispatch.lua), which
//     decides several limits all-or-nothing, cancels, and runs mixing
//     algorithms.
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

var (
	// dispatchScript decides any request and cancels reservations.
	dispatchScript = newLuaScript(func() string {
		var b strings.Builder
		b.WriteString(assemble("prelude", "common", "state"))
		for i := range ratemath.Algorithms {
			b.WriteString(dispatcherFuncs(&ratemath.Algorithms[i]))
		}
		b.WriteString(dispatchFuncs())
		b.WriteString(assemble("dispatch"))
		return b.String()
	}())
	// algScripts[id] decides single-limit requests of the algorithm whose
	// ID is id (algScripts[0] is nil).
	algScripts = func() []*luaScript {
		s := make([]*luaScript, len(ratemath.Algorithms)+1)
		driver := assemble("single")
		if !strings.Contains(driver, algorithmMark) || !strings.Contains(driver, maxCostMark) {
			panic("redisstore: lua/single.lua lacks " + algorithmMark + " or " + maxCostMark)
		}
		for i := range ratemath.Algorithms {
			a := &ratemath.Algorithms[i]
			bind := "local ALG, STATE_WORDS = " + strconv.Itoa(int(a.ID)) + ", " + strconv.Itoa(a.Words) + "\n"
			decide, commit, _ := body(a)
			src := strings.Replace(driver, algorithmMark, decide, 1)
			src = strings.Replace(src, commitMark, commit, 1)
			src = strings.Replace(src, maxCostMark, a.CostBound.Lua(), 1)
			s[a.ID] = newLuaScript(assemble("prelude", "common") + bind + src)
		}
		return s
	}()
)

// algorithmMark and commitMark are where lua/single.lua takes an
// algorithm's body and commit; commitMark also ends a body's decision, and
// cancelMark starts a reserving algorithm's cancel. maxCostMark is where
// lua/single.lua takes the algorithm's cost bound (ratemath.CostBound.Lua).
const (
	algorithmMark = "--[[ALGORITHM]]"
	commitMark    = "--[[COMMIT]]"
	cancelMark    = "--[[CANCEL]]"
	maxCostMark   = "--[[MAXCOST]]"
)

// body returns a's Lua body: the decision, the commit ("" when the driver
// writes the state) and the cancel ("" when a does not reserve). It panics
// when a's file is missing or its cancel does not match a.Reserves.
func body(a *ratemath.Algorithm) (decide, commit, cancel string) {
	src := assemble(a.Name)
	src, cancel, hasCancel := strings.Cut(src, cancelMark)
	if hasCancel != a.Reserves {
		panic("redisstore: lua/" + a.Name + ".lua: a cancel (" + cancelMark + ") is needed exactly when the algorithm reserves")
	}
	decide, commit, _ = strings.Cut(src, commitMark)
	return decide, commit, cancel
}

// dispatcherFuncs wraps a's body into the dispatcher's functions:
// <alg>_decide(key, p, now, maxwait), returning ok, reason, remaining,
// delay, retry, ttl, na, nb; <alg>_commit(key, p, now, ttl, na, nb); and,
// when a reserves, <alg>_cancel(key, p, now).
func dispatcherFuncs(a *ratemath.Algorithm) string {
	name, words := a.Name, strconv.Itoa(a.Words)
	decide, commit, cancel := body(a)
	const params = "  local q, d, b, k, t, c, bt, cost = p.q, p.d, p.b, p.k, p.t, p.c, p.bt, p.cost\n" +
		"  local slack = TTL_SLACK_MS\n"
	var s strings.Builder
	s.WriteString("local function " + name + "_decide(key, p, now, maxwait)\n" + params)
	if a.Words > 0 {
		s.WriteString("  local sa, sb = get_state(key, " + words + ")\n")
	}
	s.WriteString("  local ok, reason, remaining, delay, retry, ttl, na, nb = false, 0, 0, 0, 0, 0, nil, nil\n")
	s.WriteString(decide)
	s.WriteString("  return ok, reason, remaining, delay, retry, ttl, na, nb\nend\n\n")
	s.WriteString("local function " + name + "_commit(key, p, now, ttl, na, nb)\n")
	if commit != "" {
		s.WriteString(params + commit)
	} else {
		s.WriteString("  put_state(key, na, nb, " + words + ", ttl)\n")
	}
	s.WriteString("end\n\n")
	if a.Reserves {
		s.WriteString("local function " + name + "_cancel(key, p, now)\n" + params)
		s.WriteString("  local sa, sb = get_state(key, " + words + ")\n")
		s.WriteString("  if not sa then\n    return\n  end\n")
		s.WriteString("  local na, nb, ttl = nil, nil, 0\n")
		s.WriteString(cancel)
		s.WriteString("  put_state(key, na, nb, " + words + ", ttl)\nend\n\n")
	}
	return s.String()
}

// dispatchFuncs writes the dispatcher's decide, commit, cancel and
// max_cost, which run a limit's algorithm (or give its cost bound) by its
// number (lua/dispatch.lua uses them), and ALGORITHMS, the number of
// algorithms. An unknown number is an error.
func dispatchFuncs() string {
	var decide, commit, cancel, maxCost strings.Builder
	maxCost.WriteString("local function max_cost(alg, p)\n  local q, b, k = p.q, p.b, p.k\n")
	decide.WriteString("local function decide(alg, key, p, now, maxwait)\n")
	commit.WriteString("local function commit(alg, key, p, now, ttl, a, b)\n")
	cancel.WriteString("local function cancel(alg, key, p, now)\n")
	for i := range ratemath.Algorithms {
		a := &ratemath.Algorithms[i]
		cond := "  if alg == " + strconv.Itoa(int(a.ID)) + " then\n"
		decide.WriteString(cond + "    return " + a.Name + "_decide(key, p, now, maxwait)\n  end\n")
		maxCost.WriteString(cond + "    return " + a.CostBound.Lua() + "\n  end\n")
		commit.WriteString(cond + "    return " + a.Name + "_commit(key, p, now, ttl, a, b)\n  end\n")
		if a.Reserves {
			cancel.WriteString(cond + "    return " + a.Name + "_cancel(key, p, now)\n  end\n")
		} else {
			cancel.WriteString(cond + "    return -- nothing reserved\n  end\n")
		}
	}
	const unknown = "  error('throttle: unknown algorithm ' .. alg)\nend\n\n"
	return "local ALGORITHMS = " + strconv.Itoa(len(ratemath.Algorithms)) + "\n\n" +
		decide.String() + unknown + commit.String() + unknown + cancel.String() + unknown +
		maxCost.String() + unknown
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
		return algScripts[req.Limits[0].Algorithm] // a known one: see validate
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
	if ratemath.Lookup(uint8(a)) == nil {
		return ""
	}
	return algScripts[a].src
}
