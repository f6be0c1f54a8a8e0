package generator

import (
	"go/ast"
	"go/build/constraint"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// A file's build constraint decides where its wrappers go (docs/spec.md
// §3): a function declared in a file compiled only on some platforms gets
// its wrapper in a generated file of its own that carries the same
// constraint, so every platform builds exactly the wrappers of the
// functions it has.

// fileConstraint returns the build constraint of f as one expression in
// //go:build syntax (its //go:build or +build lines, its GOOS/GOARCH file
// name suffix, cgo), and a description for messages; "" for a file
// compiled everywhere.
func fileConstraint(f *ast.File, filename string) (expr, desc string) {
	var parts, descs []string
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				if x, err := constraint.Parse(c.Text); err == nil {
					parts = append(parts, x.String())
				} else {
					parts = append(parts, strings.TrimSpace(c.Text))
				}
				if len(descs) == 0 {
					descs = append(descs, strings.TrimSpace(c.Text))
				}
			}
		}
	}
	if s := fileNameConstraint(filename); s != "" {
		parts = append(parts, strings.ReplaceAll(s, "_", " && "))
		descs = append(descs, "file name suffix _"+s)
	}
	for _, imp := range f.Imports {
		if imp.Path.Value == `"C"` {
			parts = append(parts, "cgo")
			descs = append(descs, `import "C" requires cgo`)
		}
	}
	if len(parts) == 0 {
		return "", ""
	}
	if len(parts) > 1 {
		for i, p := range parts {
			parts[i] = "(" + p + ")"
		}
		if x, err := constraint.Parse("//go:build " + strings.Join(parts, " && ")); err == nil {
			return x.String(), strings.Join(descs, ", ")
		}
	}
	return parts[0], strings.Join(descs, ", ")
}

// platform is one build configuration: what the go command is told, and
// so what a //go:build expression is evaluated against.
type platform struct {
	goos, goarch string
	cgo          bool
	tags         []string // sorted
}

// holds reports whether tag is satisfied on pl, as go/build decides it.
func (pl platform) holds(tag string) bool {
	switch {
	case tag == pl.goos || tag == pl.goarch:
		return true
	case tag == "unix":
		return unixOS[pl.goos]
	case tag == "linux":
		return pl.goos == "android"
	case tag == "darwin":
		return pl.goos == "ios"
	case tag == "solaris":
		return pl.goos == "illumos"
	case tag == "cgo":
		return pl.cgo
	case tag == "gc":
		return true
	case strings.HasPrefix(tag, "go1."):
		n, err := strconv.Atoi(tag[len("go1."):])
		return err == nil && n <= goMinor()
	}
	_, found := slices.BinarySearch(pl.tags, tag)
	return found
}

// goMinor is the minor version of the Go release the generator was built
// with, whose go1.N tags hold; a development toolchain satisfies them all.
func goMinor() int {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	if i := strings.IndexAny(v, ".rcbeta"); i >= 0 {
		v = v[:i]
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return 1 << 20
}

// ports are the GOOS/GOARCH pairs the go command can build for (go tool
// dist list), in the order findPlatform tries them after the host's:
// the common first-class ports, then the rest.
var ports = [][2]string{
	{"linux", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"linux", "arm64"},
	{"freebsd", "amd64"}, {"openbsd", "amd64"}, {"netbsd", "amd64"}, {"dragonfly", "amd64"},
	{"illumos", "amd64"}, {"solaris", "amd64"}, {"aix", "ppc64"}, {"android", "arm64"},
	{"ios", "arm64"}, {"js", "wasm"}, {"wasip1", "wasm"}, {"plan9", "amd64"},
	{"linux", "386"}, {"linux", "arm"}, {"linux", "loong64"}, {"linux", "mips"},
	{"linux", "mips64"}, {"linux", "mips64le"}, {"linux", "mipsle"}, {"linux", "ppc64"},
	{"linux", "ppc64le"}, {"linux", "riscv64"}, {"linux", "s390x"}, {"windows", "386"},
	{"windows", "arm64"}, {"darwin", "amd64"}, {"freebsd", "386"}, {"freebsd", "arm"},
	{"freebsd", "arm64"}, {"netbsd", "386"}, {"netbsd", "arm"}, {"netbsd", "arm64"},
	{"openbsd", "386"}, {"openbsd", "arm"}, {"openbsd", "arm64"}, {"openbsd", "ppc64"},
	{"openbsd", "riscv64"}, {"plan9", "386"}, {"plan9", "arm"}, {"android", "386"},
	{"android", "amd64"}, {"android", "arm"}, {"ios", "amd64"},
}

// maxFreeTags bounds the tags besides GOOS, GOARCH, cgo and go1.N one
// expression may name for findPlatform to try every combination of them.
const maxFreeTags = 8

// findPlatform returns a platform on which the //go:build expression expr
// holds, as close to host as it can: host's port first, host's tags kept
// unless expr needs them off, as few other tags as possible. It reports
// false when expr holds nowhere (linux && windows, !go1.22 on Go 1.26) or
// names too many tags to search.
func findPlatform(expr string, host platform) (platform, bool) {
	x, err := constraint.Parse("//go:build " + expr)
	if err != nil {
		return platform{}, false
	}
	var free []string // the tags expr names that -tags decides
	x.Eval(func(tag string) bool {
		if !knownOS[tag] && !knownArch[tag] && tag != "unix" && tag != "cgo" && tag != "gc" && tag != "gccgo" &&
			!strings.HasPrefix(tag, "go1.") && !slices.Contains(free, tag) {
			free = append(free, tag)
		}
		return false
	})
	if len(free) > maxFreeTags {
		return platform{}, false
	}
	slices.Sort(free)
	// Combinations of the free tags, fewest changes from host's first.
	var masks []int
	for m := 0; m < 1<<len(free); m++ {
		masks = append(masks, m)
	}
	changes := func(m int) int {
		n := 0
		for i, t := range free {
			if (m&(1<<i) != 0) != slices.Contains(host.tags, t) {
				n++
			}
		}
		return n
	}
	slices.SortStableFunc(masks, func(a, b int) int { return changes(a) - changes(b) })
	candidates := append([][2]string{{host.goos, host.goarch}}, ports...)
	for _, port := range candidates {
		// Cross-compiling with cgo needs a C toolchain for the target:
		// only when the constraint asks for it.
		cgos := []bool{false, true}
		if port == candidates[0] {
			cgos = []bool{host.cgo, !host.cgo}
		}
		for _, cgo := range cgos {
			for _, m := range masks {
				pl := platform{goos: port[0], goarch: port[1], cgo: cgo}
				for _, t := range host.tags {
					if !slices.Contains(free, t) {
						pl.tags = append(pl.tags, t)
					}
				}
				for i, t := range free {
					if m&(1<<i) != 0 {
						pl.tags = append(pl.tags, t)
					}
				}
				slices.Sort(pl.tags)
				if x.Eval(pl.holds) {
					return pl, true
				}
			}
		}
	}
	return platform{}, false
}

var unixOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "linux", "netbsd", "openbsd", "solaris")

// fileNameConstraint returns the GOOS/GOARCH suffix of a file name, as
// go/build interprets it, or "".
func fileNameConstraint(filename string) string {
	name := strings.TrimSuffix(filepath.Base(filename), ".go")
	name = strings.TrimSuffix(name, "_test")
	parts := strings.Split(name, "_")
	if len(parts) < 2 {
		return ""
	}
	last := parts[len(parts)-1]
	if knownArch[last] {
		if len(parts) >= 3 && knownOS[parts[len(parts)-2]] {
			return parts[len(parts)-2] + "_" + last
		}
		return last
	}
	if knownOS[last] {
		return last
	}
	return ""
}

var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
	"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
	"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
