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

// shadowFunc is a random annotated function whose names collide with what
// its wrapper uses.
type shadowFunc struct {
	rng     *rand.Rand
	name    string
	used    map[string]bool // names taken in the signature
	method  bool
	cache   bool
	tparams []string
	recv    string
	params  []shadowParam
	results []string
	dirs    []string
}

func randomShadowFunc(rng *rand.Rand, fname string) string {
	f := &shadowFunc{rng: rng, name: fname, used: map[string]bool{}}
	f.method = rng.IntN(4) == 0
	f.cache = rng.IntN(3) == 0
	f.pickSignature()
	f.pickDirectives()
	return f.source()
}

// pick draws a name of shadowNames not yet used in the signature.
func (f *shadowFunc) pick() string {
	for {
		name := shadowNames[f.rng.IntN(len(shadowNames))]
		if strings.Contains(name, "%s") {
			name = fmt.Sprintf(name, f.name)
		}
		if !f.used[name] {
			f.used[name] = true
			return name
		}
	}
}

// pickSignature draws type parameters, a receiver, parameters and results.
// A type a type parameter shadows is not used in the signature.
func (f *shadowFunc) pickSignature() {
	rng := f.rng
	if !f.method && rng.IntN(2) == 0 {
		for range 1 + rng.IntN(2) {
			f.tparams = append(f.tparams, f.pick())
		}
	}
	var types []string
	for _, t := range []string{"int", "string", "User", "bool", "int64"} {
		if !slices.Contains(f.tparams, t) {
			types = append(types, t)
		}
	}
	types = append(types, f.tparams...)
	if f.method {
		f.recv = f.pick()
	}
	if !slices.Contains(f.tparams, "context") && rng.IntN(2) == 0 {
		f.params = append(f.params, shadowParam{f.pick(), "context.Context"})
	}
	for range rng.IntN(4) {
		f.params = append(f.params, shadowParam{f.pick(), types[rng.IntN(len(types))]})
	}
	for range rng.IntN(3) {
		f.results = append(f.results, types[rng.IntN(len(types))])
	}
	if !slices.Contains(f.tparams, "error") && rng.IntN(2) == 0 {
		f.results = append(f.results, "error")
	}
}

// keyOf returns a parameter of one of the types typ (not a type
// parameter), or "".
func (f *shadowFunc) keyOf(typ ...string) string {
	var names []string
	for _, p := range f.params {
		if slices.Contains(typ, p.typ) && !slices.Contains(f.tparams, p.typ) {
			names = append(names, p.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return names[f.rng.IntN(len(names))]
}

// pickDirectives draws the directives, with keys over the parameters.
func (f *shadowFunc) pickDirectives() {
	rng := f.rng
	onlyErr := len(f.results) == 0 || len(f.results) == 1 && f.results[0] == "error"
	if f.cache && !onlyErr {
		f.dirs = append(f.dirs, "cache ttl=1m")
	}
	if rng.IntN(2) == 0 {
		f.dirs = append(f.dirs, "retry attempts=2")
	}
	if rng.IntN(2) == 0 {
		d := "gcra quota=1 duration=1s"
		if k := f.keyOf("string", "int", "int64"); k != "" && rng.IntN(2) == 0 {
			d += " key=" + k
		}
		f.dirs = append(f.dirs, d)
	}
	if rng.IntN(3) == 0 {
		d := "concurrency capacity=2"
		if k := f.keyOf("string"); k != "" && rng.IntN(2) == 0 {
			d += " consumer=" + k
		}
		f.dirs = append(f.dirs, d)
	}
	if rng.IntN(3) == 0 {
		f.dirs = append(f.dirs, "timeout duration=1s")
	}
	if len(f.dirs) == 0 {
		f.dirs = append(f.dirs, "fixed_window quota=1 duration=1s")
	}
}

// source writes the function: its directives, its signature and a body
// that compiles whatever the parameters shadow.
func (f *shadowFunc) source() string {
	var b strings.Builder
	b.WriteString("\n")
	for _, d := range f.dirs {
		b.WriteString("//throttle:" + d + "\n")
	}
	b.WriteString("func ")
	if f.method {
		fmt.Fprintf(&b, "(%s *User) ", f.recv)
	}
	b.WriteString(f.name)
	if len(f.tparams) > 0 {
		constraint := "interface{}"
		if f.cache {
			constraint = "interface{ comparable }"
		}
		b.WriteString("[" + strings.Join(f.tparams, ", ") + " " + constraint + "]")
	}
	var ps []string
	for _, p := range f.params {
		ps = append(ps, p.name+" "+p.typ)
	}
	b.WriteString("(" + strings.Join(ps, ", ") + ")")
	switch len(f.results) {
	case 0:
	case 1:
		b.WriteString(" " + f.results[0])
	default:
		b.WriteString(" (" + strings.Join(f.results, ", ") + ")")
	}
	b.WriteString(" { for {} }\n")
	return b.String()
}
