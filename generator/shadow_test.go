package generator

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var shadowSeed = flag.Uint64("shadow.seed", 0, "seed of TestShadowingRandomized; 0 picks one from the clock")

// TestShadowingRandomized generates packages of random signatures whose
// receivers, type parameters and parameters are named like what a wrapper's
// body uses (the function, predeclared identifiers, the package's types,
// the generated variables and helpers, the imports and locals of the
// wrapper), under random directives, and builds and vets the output. A
// failure prints the seed; -shadow.seed replays it.
func TestShadowingRandomized(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code")
	}
	seed := *shadowSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -shadow.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	mod, env := tempModule(t)
	const packages, perPackage = 4, 40
	sources := map[string]string{}
	for p := range packages {
		name := fmt.Sprintf("shadow%d", p)
		src := randomShadowPackage(rng, name, perPackage)
		sources[name] = src
		writeFileTB(t, filepath.Join(mod, name, "shadow.go"), src)
	}
	files, err := Generate(Config{Dir: mod, Patterns: []string{"./..."}, Env: env})
	if err != nil {
		var list ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				t.Errorf("%v\n%s", e, lineOf(sources[filepath.Base(filepath.Dir(e.Pos.Filename))], e.Pos.Line))
			}
		}
		t.Fatalf("seed %d: Generate: %v", seed, err)
	}
	if len(files) != packages {
		t.Fatalf("seed %d: %d files generated, want %d", seed, len(files), packages)
	}
	for _, f := range files {
		must(t, os.WriteFile(f.Path, f.Content, 0o644))
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir, cmd.Env = mod, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("seed %d: go vet of the generated code: %v\n%s", seed, err, out)
	}
}

// lineOf returns line n (from 1) of src, for failure messages.
func lineOf(src string, n int) string {
	lines := strings.Split(src, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

// shadowNames are names a wrapper's body may use; %s is the function's
// name.
var shadowNames = []string{
	"%s",
	"error", "nil", "string", "new", "int", "any", "int64", "uint64", "true", "false", "bool", "len", "panic", "byte",
	"User", "Users",
	"_throttle_%s_rate", "_throttle_%s_retry", "_throttle_%s_cache", "_throttle_%s_key", "_throttle_%s_value",
	"_throttle_%s_attempt", "_throttle_%s_call", "_throttle_%s_concurrency",
	"context", "throttle", "time", "strconv", "errors", "http",
	"err", "ctx", "slot", "r0", "r1", "attempt", "v", "hit", "fl", "key", "res", "tctx", "recv", "p0", "w",
}

// randomShadowPackage writes a package of n annotated functions with
// colliding names. Every function's body is an endless loop, which
// compiles whatever its parameters shadow.
func randomShadowPackage(rng *rand.Rand, pkg string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport \"context\"\n\ntype User struct{ Name string }\n\ntype Users []User\n\nvar _ = context.Background\n", pkg)
	for i := range n {
		b.WriteString(randomShadowFunc(rng, fmt.Sprintf("F%d", i)))
	}
	return b.String()
}

// shadowParam is one parameter of a random function.
type shadowParam struct{ name, typ string }

func randomShadowFunc(rng *rand.Rand, fname string) string {
	used := map[string]bool{}
	pick := func() string {
		for {
			name := shadowNames[rng.IntN(len(shadowNames))]
			if strings.Contains(name, "%s") {
				name = fmt.Sprintf(name, fname)
			}
			if !used[name] {
				used[name] = true
				return name
			}
		}
	}
	method := rng.IntN(4) == 0
	cache := rng.IntN(3) == 0
	var tparams []string
	if !method && rng.IntN(2) == 0 {
		for range 1 + rng.IntN(2) {
			tparams = append(tparams, pick())
		}
	}
	// The types a parameter may have: those no type parameter shadows.
	var types []string
	for _, t := range []string{"int", "string", "User", "bool", "int64"} {
		if !slices.Contains(tparams, t) {
			types = append(types, t)
		}
	}
	types = append(types, tparams...)
	var recv string
	if method {
		recv = pick()
	}
	var params []shadowParam
	if !slices.Contains(tparams, "context") && rng.IntN(2) == 0 {
		params = append(params, shadowParam{pick(), "context.Context"})
	}
	for range rng.IntN(4) {
		params = append(params, shadowParam{pick(), types[rng.IntN(len(types))]})
	}
	var results []string
	for range rng.IntN(3) {
		results = append(results, types[rng.IntN(len(types))])
	}
	if !slices.Contains(tparams, "error") && rng.IntN(2) == 0 {
		results = append(results, "error")
	}
	onlyErr := len(results) == 0 || len(results) == 1 && results[0] == "error"

	var dirs []string
	keyOf := func(typ ...string) string {
		var names []string
		for _, p := range params {
			if slices.Contains(typ, p.typ) && !slices.Contains(tparams, p.typ) {
				names = append(names, p.name)
			}
		}
		if len(names) == 0 {
			return ""
		}
		return names[rng.IntN(len(names))]
	}
	if cache && !onlyErr {
		dirs = append(dirs, "cache ttl=1m")
	}
	if rng.IntN(2) == 0 {
		dirs = append(dirs, "retry attempts=2")
	}
	if rng.IntN(2) == 0 {
		d := "gcra quota=1 duration=1s"
		if k := keyOf("string", "int", "int64"); k != "" && rng.IntN(2) == 0 {
			d += " key=" + k
		}
		dirs = append(dirs, d)
	}
	if rng.IntN(3) == 0 {
		d := "concurrency capacity=2"
		if k := keyOf("string"); k != "" && rng.IntN(2) == 0 {
			d += " consumer=" + k
		}
		dirs = append(dirs, d)
	}
	if rng.IntN(3) == 0 {
		dirs = append(dirs, "timeout duration=1s")
	}
	if len(dirs) == 0 {
		dirs = append(dirs, "fixed_window quota=1 duration=1s")
	}

	var b strings.Builder
	b.WriteString("\n")
	for _, d := range dirs {
		b.WriteString("//throttle:" + d + "\n")
	}
	b.WriteString("func ")
	if method {
		fmt.Fprintf(&b, "(%s *User) ", recv)
	}
	b.WriteString(fname)
	if len(tparams) > 0 {
		constraint := "interface{}"
		if cache {
			constraint = "interface{ comparable }"
		}
		b.WriteString("[" + strings.Join(tparams, ", ") + " " + constraint + "]")
	}
	var ps []string
	for _, p := range params {
		ps = append(ps, p.name+" "+p.typ)
	}
	b.WriteString("(" + strings.Join(ps, ", ") + ")")
	switch len(results) {
	case 0:
	case 1:
		b.WriteString(" " + results[0])
	default:
		b.WriteString(" (" + strings.Join(results, ", ") + ")")
	}
	b.WriteString(" { for {} }\n")
	return b.String()
}
