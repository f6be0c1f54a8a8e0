package generator

import (
	"fmt"
	"strings"
)

// shape is one row of the "Function shapes" table of the README and of
// throttlegen -h: a function as annotated, and the wrapper the generator
// writes for it. TestShapes runs the generator over every row's
// declaration and compares the wrapper's signature with the row's, so the
// table cannot drift from the generator.
type shape struct {
	what    string // what the row shows
	decl    string // the annotated function's signature, as written
	wrapper string // the wrapper's signature, as generated
}

// shapes lists the supported shapes (SPEC §3). Declarations use the types
// User, Client and Set[T comparable] of the test's package.
var shapes = []shape{
	{"context first, error last: the same signature",
		"func Get(ctx context.Context, id string) (*User, error)",
		"func GetThrottled(ctx context.Context, id string) (*User, error)"},
	{"no context: context.Background() governs waiting and timeouts",
		"func Find(id string) (*User, error)",
		"func FindThrottled(id string) (*User, error)"},
	{"no trailing error: one is added",
		"func Sum(a, b int) int",
		"func SumThrottled(a int, b int) (int, error)"},
	{"no results: the error alone",
		"func Log(msg string)",
		"func LogThrottled(msg string) error"},
	{"method: a method of the same receiver",
		"func (c *Client) Fetch(ctx context.Context, id string) (*User, error)",
		"func (c *Client) FetchThrottled(ctx context.Context, id string) (*User, error)"},
	{"generic function: the same type parameters",
		"func Lookup[K comparable, V any](m map[K]V, k K) (V, error)",
		"func LookupThrottled[K comparable, V any](m map[K]V, k K) (V, error)"},
	{"method of a generic type",
		"func (s *Set[T]) Has(v T) bool",
		"func (s *Set[T]) HasThrottled(v T) (bool, error)"},
	{"variadic",
		"func Join(sep string, parts ...string) string",
		"func JoinThrottled(sep string, parts ...string) (string, error)"},
	{"http handler: keeps its shape; a rejection is answered 429 (rate) or 503 (concurrency)",
		"func Serve(w http.ResponseWriter, r *http.Request)",
		"func ServeThrottled(w http.ResponseWriter, r *http.Request)"},
	{"unexported: an unexported wrapper",
		"func fetch(ctx context.Context, id string) error",
		"func fetchThrottled(ctx context.Context, id string) error"},
	{"unnamed (or blank) parameters: named in the wrapper",
		"func Put(context.Context, string, int) error",
		"func PutThrottled(ctx context.Context, p1 string, p2 int) error"},
	{"a name the wrapper's body needs: renamed in the wrapper",
		"func Slice[T any, Slice ~[]T](s Slice, i, j int) Slice",
		"func SliceThrottled[T any, Slice1 ~[]T](s Slice1, i int, j int) (Slice1, error)"},
}

// FunctionShapes renders the shapes table as Markdown. README.md embeds it
// between <!-- shapes:begin --> and <!-- shapes:end -->; go generate at the
// repository root rewrites that copy (internal/readme).
func FunctionShapes() string {
	var b strings.Builder
	b.WriteString("| annotated function | wrapper | note |\n|---|---|---|\n")
	for _, s := range shapes {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", s.decl, s.wrapper, s.what)
	}
	return b.String()
}

// usageShapes renders the shapes table as plain text for throttlegen -h.
func usageShapes() string {
	var b strings.Builder
	b.WriteString("Function shapes (annotated function => wrapper):\n")
	for _, s := range shapes {
		fmt.Fprintf(&b, "\n  %s:\n    %s\n    => %s\n", s.what, s.decl, s.wrapper)
	}
	return b.String()
}
