// Package generator is the library behind the throttlegen command: it reads
// //throttle: directives on Go functions and writes typed wrappers that call
// package github.com/throttlegen/throttlegen/runtime.
//
// # Model
//
// Generation runs in phases, each a plain function:
//
//   - load: one packages.Load of the requested packages on the host's
//     platform, with syntax and full type information. The generator's own
//     earlier output is read as an empty file, so a stale or broken
//     generated file never stops a regeneration, and type errors are judged
//     per annotated function (a call of a wrapper that does not exist yet is
//     no error). Files the host's build excludes and _test.go files are
//     loaded only when they hold directives: once more per platform where
//     their build constraints hold (see findPlatform), or with the tests, so
//     the output does not depend on the host.
//   - parse: every //throttle: line is parsed against the one table of
//     directives (see DirectiveReference), with exact positions; near-misses
//     that gofmt would turn into prose, misspelt prefixes and directives on
//     anything but a func declaration are errors.
//   - check: each function's signature, shape (context-first, HTTP
//     handler, error result) and directive expressions are type-checked,
//     each classified as a constant or a per-call value (classify);
//     numeric and duration arguments written as constants are resolved
//     (constants.go); policies that cannot serve the shape are rejected;
//     functions sharing a limit or a pool must define it alike.
//   - plan: every generated identifier, local variable and import name is
//     chosen so that none collides with the user's names, and a receiver,
//     type parameter or parameter named like something the wrapper's body
//     uses (F, a predeclared or generated identifier, a type) is renamed in
//     the wrapper (shadow.go).
//   - emit: the file is rendered with jennifer (github.com/dave/jennifer),
//     which writes every package reference under the name the plan chose,
//     and gofmt-formatted one wrapper at a time on every CPU.
//
// Generate runs them all and returns the file contents or an ErrorList of
// every problem, each located as file:line:col; Write and Check are the
// separate, small steps that change or compare the disk. Run is the
// command line.
//
// Each package directory gets throttle_gen.go for the functions of files
// compiled everywhere, NAME_throttle_gen.go (carrying NAME.go's build
// constraint) for those of a constrained file NAME.go, and
// throttle_gen_test.go and throttle_gen_external_test.go for those of the
// internal and external test packages. A generated file left without
// wrappers is removed, or, when go generate runs the generator, reduced to
// its header and package clause: go generate lists a package's files
// before running it and reads them all afterwards. -check accepts both.
//
// Output is deterministic: the same input gives byte-identical files.
//
// # Concurrency
//
// Generate, Write, Check and Run may be called from several goroutines at
// once for different directories; calls writing the same files race as any
// two writers of one file do.
package generator
