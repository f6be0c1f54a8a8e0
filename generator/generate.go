package generator

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Version is the generator's version; it matches runtime.Version (a test
// keeps them in step). The generator does not import the runtime, so it
// builds even while the runtime is being changed.
const Version = "v0.1.0"

// contractConst is the runtime constant generated code references: a
// runtime whose contract changed renames it, and stale output stops
// compiling.
const contractConst = "SupportPackageIsVersion1"

// DefaultOutput is the name of the generated file in each package.
const DefaultOutput = "throttle_gen.go"

// DefaultSuffix is appended to a function's name to name its wrapper.
const DefaultSuffix = "Throttled"

// Config says what to generate.
type Config struct {
	Dir      string   // where to run the go command; "" is the current directory
	Patterns []string // the packages; none means "."
	Output   string   // the generated file's name in each package; "" is DefaultOutput
	Suffix   string   // the wrappers' suffix; "" is DefaultSuffix
	Tags     []string // build tags for loading
	Env      []string // the go command's environment; nil is the current process's
}

func (c *Config) output() string {
	if c.Output == "" {
		return DefaultOutput
	}
	return c.Output
}

func (c *Config) suffix() string {
	if c.Suffix == "" {
		return DefaultSuffix
	}
	return c.Suffix
}

// File is one file Generate wants written: Content is the whole file.
// Empty marks a file left with no wrapper (its directives were removed):
// Content is then only the header and package clause, and the file need
// not exist at all (docs/spec.md §3). A nil Content asks for the file's
// removal.
type File struct {
	Path     string // absolute
	Content  []byte
	Empty    bool
	Wrappers []string // the wrappers the file declares, Name or Type.Name
}

// Generate runs the phases load, parse, check, plan and emit over the
// packages of cfg, and returns the files to write, in a deterministic
// order. It writes nothing. When anything is wrong it returns no file and
// an ErrorList holding every problem found, each located in the user's
// source.
func Generate(cfg Config) ([]File, error) {
	pkgs, fset, errs := load(&cfg)
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	return generate(&cfg, pkgs, fset)
}

// output is one generated file's functions, all type-checked by one load
// of one package.
type output struct {
	pkg  *packages.Package
	expr string // the build constraint it carries
	fns  []*function
}

// generate is Generate after the host's load: it loads what else the
// directives need (see sources), then parses, checks, plans and emits.
func generate(cfg *Config, pkgs []*packages.Package, fset *token.FileSet) ([]File, error) {
	srcs, errs := sources(cfg, fset, pkgs)
	outs := map[string]*output{}
	var all []*function
	for _, s := range srcs {
		fns, perrs := parseFile(s.pkg, s.file, fset)
		errs = append(errs, perrs...)
		if len(fns) == 0 {
			continue
		}
		for _, fn := range fns {
			fn.build = s.expr
			errs = append(errs, check(fn, fset, cfg)...)
		}
		external := strings.HasSuffix(s.name, "_test.go") && strings.HasSuffix(s.pkg.PkgPath, "_test")
		path := filepath.Join(filepath.Dir(s.name), cfg.outputFor(s.name, s.expr != "", external))
		o := outs[path]
		if o == nil {
			o = &output{pkg: s.pkg, expr: s.expr}
			outs[path] = o
		} else if o.pkg != s.pkg {
			errs.add(fset.Position(s.file.Package), "internal error: %s mixes functions of two loads of %s", path, s.pkg.PkgPath)
		}
		o.fns = append(o.fns, fns...)
		all = append(all, fns...)
	}
	errs = append(errs, checkShared(all)...)
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	// Every directory's generated files, existing or to be: the main one
	// first, so that its names never depend on the others'.
	byDir := map[string][]string{}
	pkgNames := map[string]string{} // directory → its package's name
	for _, p := range pkgs {
		if dir := pkgDir(p); dir != "" && byDir[dir] == nil {
			byDir[dir] = existingOutputs(cfg, dir)
			pkgNames[dir] = p.Name
		}
	}
	for path := range outs {
		dir := filepath.Dir(path)
		byDir[dir] = append(byDir[dir], path)
	}
	var files []File
	for dir, paths := range byDir {
		slices.Sort(paths)
		paths = slices.Compact(paths)
		main := filepath.Join(dir, cfg.output())
		slices.SortStableFunc(paths, func(a, b string) int {
			return cmpBool(a != main, b != main)
		})
		top := newNamer(nil)
		for _, path := range paths {
			f, ferrs := generateFile(cfg, path, outs[path], top, pkgNames[dir])
			errs = append(errs, ferrs...)
			if f != nil {
				files = append(files, *f)
			}
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// generateFile plans and emits the file at path for o, or, when o is nil
// (no directive is left for it), reduces the existing file to its header
// and package clause. It returns nil when there is nothing to write.
func generateFile(cfg *Config, path string, o *output, top *namer, pkgName string) (*File, ErrorList) {
	var errs ErrorList
	existing, readErr := os.ReadFile(path)
	exists := readErr == nil
	if exists && !isGenerated(existing) {
		if o != nil {
			errs.add(token.Position{Filename: path}, "%s was not generated by throttlegen (no %q line): refusing to overwrite it; remove it or choose another -output", filepath.Base(path), header)
		}
		return nil, errs
	}
	if o == nil {
		if !exists {
			return nil, nil
		}
		return &File{Path: path, Content: emptyFile(existing, path, pkgName), Empty: true}, nil
	}
	fp := planFile(cfg, o.pkg, o.fns, path, top)
	fp.buildExpr = o.expr
	content, err := emit(fp)
	if err != nil {
		errs.add(token.Position{Filename: path}, "internal error: %v", err)
		return nil, errs
	}
	f := &File{Path: path, Content: content}
	for _, w := range fp.wrappers {
		if w.fn.recvName != "" {
			f.Wrappers = append(f.Wrappers, w.fn.recvName+"."+w.name)
		} else {
			f.Wrappers = append(f.Wrappers, w.name)
		}
	}
	return f, nil
}

// emptyFile is a generated file without wrappers: the header and the
// package clause of the file it replaces (pkgName's, or its external test
// package's, when that does not parse). go generate may still read the
// file after the generator ran (it lists a package's files first), so it
// is reduced rather than removed.
func emptyFile(old []byte, path, pkgName string) []byte {
	name := pkgName
	if f, err := parser.ParseFile(token.NewFileSet(), path, old, parser.PackageClauseOnly); err == nil {
		name = f.Name.Name
	} else if strings.HasSuffix(path, externalTestSuffix+"_test.go") {
		name += "_test"
	}
	return []byte(header + "\n\npackage " + name + "\n")
}

// checkShared checks that functions sharing a limit (rate name=) or a pool
// (concurrency pool=) define it the same way.
func checkShared(fns []*function) ErrorList {
	var errs ErrorList
	type def struct {
		fn *function
		d  *directive
	}
	rates := map[string]def{}
	pools := map[string]def{}
	rateArgs := []string{"quota", "duration", "burst", "bucket", "mode"}
	poolArgs := []string{"capacity", "queue", "consumer_quota", "priority_quota", "order", "max_wait", "scope", "mode"}
	for _, fn := range fns {
		for _, d := range fn.rates {
			id := d.policy + " name=" + rateName(fn, d)
			if prev, ok := rates[id]; !ok {
				rates[id] = def{fn, d}
			} else if !coexist(fn, prev.fn) {
				continue
			} else if here, there := argsDiff(d, prev.d, rateArgs); here != "" {
				errs.add(d.polPos, "%s: the limit %s is defined differently by %s at %s: %s here, %s there", fn, clip(id), prev.fn, where(prev.d.pos, d.pos), here, there)
			}
		}
		if d := fn.conc; d != nil {
			if a := d.get("pool"); a != nil {
				if prev, ok := pools[a.s]; !ok {
					pools[a.s] = def{fn, d}
				} else if !coexist(fn, prev.fn) {
					continue
				} else if here, there := argsDiff(d, prev.d, poolArgs); here != "" {
					errs.add(d.polPos, "%s: pool %s is defined differently by %s at %s: %s here, %s there", fn, quoteClip(a.s), prev.fn, where(prev.d.pos, d.pos), here, there)
				}
			}
		}
	}
	return errs
}

// coexist reports whether a and b can be compiled into one program: their
// files' build constraints hold together somewhere (the linux and the
// windows version of one function may define its limit differently).
func coexist(a, b *function) bool {
	if a.build == "" || b.build == "" {
		return true
	}
	_, ok := findPlatform("("+a.build+") && ("+b.build+")", platform{goos: "linux", goarch: "amd64"})
	return ok
}

// where prints pos for a message about from: without the directory when
// both are in the same one.
func where(pos, from token.Position) string {
	if filepath.Dir(pos.Filename) == filepath.Dir(from.Filename) {
		pos.Filename = filepath.Base(pos.Filename)
	}
	return pos.String()
}

// argsDiff renders the named arguments where a and b differ, defaults
// applied; "" when they agree.
func argsDiff(a, b *directive, names []string) (string, string) {
	var as, bs []string
	for _, n := range names {
		av, bv := argValue(a, n), argValue(b, n)
		if av != bv {
			as, bs = append(as, n+"="+av), append(bs, n+"="+bv)
		}
	}
	return strings.Join(as, " "), strings.Join(bs, " ")
}

// argValue is d's canonical value of argument n, or its default.
func argValue(d *directive, n string) string {
	if a := d.get(n); a != nil {
		return canonical(a)
	}
	if spec := d.spec.arg(n); spec != nil {
		return spec.def
	}
	return ""
}

// canonical renders an argument's value so that equal values compare equal
// (1s and 1000ms). Per-call values compare equal to each other: each call
// brings its own.
func canonical(a *arg) string {
	if a.perCall != nil {
		return "(per call)"
	}
	switch a.spec.typ {
	case argInt:
		return fmt.Sprint(a.i)
	case argFraction:
		return fmt.Sprint(a.f)
	case argDuration:
		return a.d.String()
	case argQuotas:
		var parts []string
		for _, q := range a.quotas {
			if q.name == "" {
				parts = append(parts, fmt.Sprint(q.fraction))
			} else {
				parts = append(parts, q.name+":"+fmt.Sprint(q.fraction))
			}
		}
		sort.Strings(parts)
		return strings.Join(parts, ",")
	}
	return a.raw
}
