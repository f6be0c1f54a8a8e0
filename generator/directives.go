package generator

import (
	"fmt"
	"strings"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

// This file holds the one table of directives. The parser, the checks,
// `throttlegen -h` and the README reference are all driven by it. Its rate
// policies are the runtime's algorithms (throttle.Algorithms), in order.

// kind groups policies by where they sit in a wrapper.
type kind uint8

const (
	kindRate kind = iota + 1
	kindConcurrency
	kindRetry
	kindTimeout
	kindCache
)

// argType says how an argument's value is read and checked.
type argType uint8

const (
	argInt      argType = iota + 1 // a whole number >= min, or an integer constant (constants.go); with perCall, also an integer expression over the parameters
	argFraction                    // a number in (0, 1], or a constant
	argDuration                    // time.ParseDuration syntax or a time.Duration constant, > 0 unless zero is allowed
	argEnum                        // one of values
	argExpr                        // a Go expression over the parameters
	argName                        // an identity string
	argQuotas                      // F or NAME:F, comma-separated
	argOn                          // throttled, timeout, error or Go expressions, comma-separated
)

var argTypeText = map[argType]string{
	argInt:      "integer or constant",
	argFraction: "fraction or constant",
	argDuration: "duration or constant",
	argEnum:     "enum",
	argExpr:     "Go expression",
	argName:     "string",
	argQuotas:   "quota list",
	argOn:       "list",
}

// argSpec describes one argument of a policy.
type argSpec struct {
	name     string
	typ      argType
	required bool
	def      string   // the default, as documented; "" when none
	values   []string // argEnum: the accepted values
	min      int64    // argInt: the smallest accepted value
	zeroOK   bool     // argDuration: 0 is accepted
	perCall  bool     // argInt: a non-constant integer expression over the parameters is evaluated on each call (SPEC §6)
	doc      string
}

// typeText is how the reference and -h name a's type.
func (a *argSpec) typeText() string {
	if a.perCall {
		return "integer, constant or per-call expression"
	}
	return argTypeText[a.typ]
}

// policySpec describes one policy: the word after //throttle:.
type policySpec struct {
	name string
	kind kind
	args []argSpec
	doc  string
}

func (p *policySpec) arg(name string) *argSpec {
	for i := range p.args {
		if p.args[i].name == name {
			return &p.args[i]
		}
	}
	return nil
}

func (p *policySpec) argNames() []string {
	names := make([]string, len(p.args))
	for i, a := range p.args {
		names[i] = a.name
	}
	return names
}

// commonRate are the optional arguments every rate policy accepts.
var commonRate = []argSpec{
	{name: "key", typ: argExpr, doc: "the caller's key: a string, integer, []byte or fmt.Stringer expression over the parameters; default: one limit for all callers"},
	{name: "name", typ: argName, doc: "the limit's identity; functions with the same name and policy share one limit", def: "importpath.Func"},
	{name: "wait", typ: argDuration, zeroOK: true, def: "0", doc: "when rejected, wait up to this long (never past the context's deadline) instead of failing"},
	{name: "fail", typ: argEnum, values: []string{"open", "closed", "local"}, def: "open", doc: "what happens when the store cannot answer: open admits, closed rejects with ErrStoreUnavailable, local decides in this process with its share of the limit (quota, burst and bucket divided by the processes deciding in the keyspace)"},
	{name: "scope", typ: argEnum, values: []string{"local", "global"}, def: "global", doc: "local always uses the in-memory store; global uses the configured store"},
	{name: "cost", typ: argInt, min: 0, perCall: true, def: "1", doc: "how many units the call consumes, all-or-nothing across the function's rate directives: an integer constant or an integer expression over the parameters (cost=len(items)), evaluated on each call; 0 consumes nothing, a negative cost fails the call with ErrInvalidCost, and a cost the limit can never admit is rejected at once with ReasonCost"},
	modeArg("shadow decides and reports every call as enforce does, leaving the same state, but lets every call run; off skips the limit (no decision, no state, no hook event)"),
}

// modeArg is mode=, of the rate policies and concurrency.
func modeArg(doc string) argSpec {
	return argSpec{name: "mode", typ: argEnum, values: []string{"enforce", "shadow", "off"}, def: "enforce", doc: doc}
}

func rateArgs(extra ...argSpec) []argSpec {
	args := []argSpec{
		{name: "quota", typ: argInt, min: 1, required: true, perCall: true, doc: "calls (units of cost) admitted per duration; a non-constant expression over the parameters (quota=t.Plan.PerMinute) is evaluated on each call"},
		{name: "duration", typ: argDuration, required: true, doc: "the period quota applies to"},
	}
	args = append(args, extra...)
	return append(args, commonRate...)
}

// rateDocs says, for each rate algorithm of the runtime, what the
// reference says of it and the argument only it takes. ratePolicies panics
// when an algorithm has no entry or an entry no algorithm.
var rateDocs = map[string]struct {
	doc   string
	extra []argSpec
}{
	"fixed_window":   {doc: "at most quota calls per window; windows aligned to multiples of duration since the Unix epoch"},
	"sliding_window": {doc: "at most quota calls in any interval of length duration"},
	"token_bucket": {doc: "refills quota tokens per duration, fractional refill kept",
		extra: []argSpec{burstArg}},
	"gcra": {doc: "generic cell rate algorithm: the admissions of token_bucket with one number of state",
		extra: []argSpec{burstArg}},
	"leaky_bucket": {doc: "paces calls duration/quota apart; a call that would find bucket calls waiting is rejected",
		extra: []argSpec{{name: "bucket", typ: argInt, min: 1, required: true, perCall: true, doc: "the most calls waiting their turn; may be per call, as quota"}}},
}

var burstArg = argSpec{name: "burst", typ: argInt, min: 1, def: "quota", perCall: true, doc: "the most calls (units) admitted at once; may be per call, as quota"}

// ratePolicies are the rate rows of the table: one per algorithm of the
// runtime, in its order.
func ratePolicies() []policySpec {
	algs := throttle.Algorithms()
	if len(rateDocs) != len(algs) {
		panic(fmt.Sprintf("generator: rateDocs documents %d rate policies, the runtime has %d algorithms", len(rateDocs), len(algs)))
	}
	ps := make([]policySpec, len(algs))
	for i, a := range algs {
		d, ok := rateDocs[a.String()]
		if !ok {
			panic("generator: rateDocs lacks the runtime's algorithm " + a.String())
		}
		ps[i] = policySpec{name: a.String(), kind: kindRate, args: rateArgs(d.extra...), doc: d.doc}
	}
	return ps
}

// policies is the table of directives, in the order the reference lists them.
var policies = append(ratePolicies(), []policySpec{
	{name: "concurrency", kind: kindConcurrency, doc: "at most capacity calls run at once (aio-throttle semantics)", args: []argSpec{
		{name: "capacity", typ: argInt, min: 1, required: true, doc: "calls running at once"},
		{name: "queue", typ: argInt, min: 0, def: "0", doc: "calls waiting for a slot"},
		{name: "consumer", typ: argExpr, doc: "the caller's consumer: a string expression over the parameters"},
		{name: "priority", typ: argExpr, def: "from the context", doc: "a runtime.Priority or string expression over the parameters"},
		{name: "consumer_quota", typ: argQuotas, doc: "fractions of capacity per consumer: F (each consumer; needs consumer=) or NAME:F, comma-separated"},
		{name: "priority_quota", typ: argQuotas, doc: "fractions of capacity per priority (high, normal, low, none): F or NAME:F, comma-separated"},
		{name: "pool", typ: argName, def: "importpath.Func", doc: "shares one limiter among the functions naming it; their settings must agree"},
		{name: "order", typ: argEnum, values: []string{"lifo", "fifo"}, def: "lifo", doc: "the order waiters are served in"},
		{name: "max_wait", typ: argDuration, zeroOK: true, def: "0 (no bound)", doc: "a longer wait is rejected as deadline"},
		{name: "scope", typ: argEnum, values: []string{"local", "global"}, def: "local", doc: "global enforces capacity across processes through the configured store"},
		modeArg("shadow decides and reports every call as enforce does (a call that would have been rejected holds no slot) but lets every call run at once; off skips the limiter"),
	}},
	{name: "retry", kind: kindRetry, doc: "retries the call and returns the last error", args: []argSpec{
		{name: "attempts", typ: argInt, min: 1, required: true, doc: "total attempts, the first included"},
		{name: "backoff", typ: argEnum, values: []string{"constant", "exponential"}, def: "exponential", doc: "how the wait grows between attempts"},
		{name: "base", typ: argDuration, def: "100ms", doc: "the first wait"},
		{name: "max", typ: argDuration, def: "no cap", doc: "the longest wait, before jitter"},
		{name: "jitter", typ: argEnum, values: []string{"none", "full"}, def: "full", doc: "randomises each wait in [0, wait]"},
		{name: "on", typ: argOn, def: "throttled,timeout", doc: "what is retried: throttled (not a rejection for cost, which no retry can admit), timeout, error (any) or Go error expressions matched with errors.Is, comma-separated"},
		{name: "budget", typ: argFraction, doc: "caps retries at this fraction of recent calls"},
	}},
	{name: "timeout", kind: kindTimeout, doc: "bounds the call; the wrapper returns an error satisfying runtime.ErrTimeout once the deadline passes", args: []argSpec{
		{name: "duration", typ: argDuration, required: true, doc: "the bound"},
	}},
	{name: "cache", kind: kindCache, doc: "returns the stored result of an earlier successful call with the same key (the function needs a result besides error)", args: []argSpec{
		{name: "ttl", typ: argDuration, required: true, doc: "how long a result is kept"},
		{name: "key", typ: argExpr, def: "all parameters", doc: "the cache key: an expression over the parameters"},
		{name: "size", typ: argInt, min: 1, def: "1024", doc: "the most results kept in memory"},
		{name: "store", typ: argEnum, values: []string{"local", "shared"}, def: "local", doc: "shared keeps results in the configured store as JSON: keys and results must make the round trip through encoding/json unchanged (no unexported fields, channels, functions or interfaces)"},
	}},
}...)

func lookupPolicy(name string) *policySpec {
	for i := range policies {
		if policies[i].name == name {
			return &policies[i]
		}
	}
	return nil
}

func policyNames() []string {
	names := make([]string, len(policies))
	for i, p := range policies {
		names[i] = p.name
	}
	return names
}

// DirectiveReference renders the directive table as Markdown: one section
// per policy with a table of its arguments. README.md embeds it; go generate
// at the repository root rewrites that copy (internal/readme), and a test
// fails when it drifts.
func DirectiveReference() string {
	var b strings.Builder
	b.WriteString("Directive grammar: `//throttle:POLICY name=value ...`, on a line of a function's doc comment. ")
	b.WriteString("Values are bare words, Go-quoted strings or raw strings; quote expressions that hold spaces. ")
	b.WriteString("Integer, fraction and duration arguments take a literal or a Go constant expression of the package's scope ")
	b.WriteString("(`quota=MaxCalls`, `duration=2*Window`, `quota=config.PerSecond`): the generator checks its value, and the generated code names the constant, ")
	b.WriteString("so a changed constant needs no regeneration (an invalid new value stops the program when it starts, naming the limit). ")
	fmt.Fprintf(&b, "On rate policies, %s also take a non-constant integer expression over the parameters and the receiver ", markdownList(perCallArgs()))
	b.WriteString("(`quota=t.Plan.PerMinute`, `cost=len(items)`; any integer type), evaluated on every call: one limit state per key, judged with the values of the call at hand. ")
	b.WriteString("A constant there is still a constant, checked now and named in the generated code; every other numeric or duration argument takes only literals and constants. ")
	b.WriteString("`mode=shadow` deploys a limit that only reports what it would reject; `mode=off` keeps it in the program, off until an override turns it on.\n")
	for _, p := range policies {
		fmt.Fprintf(&b, "\n### `%s`\n\n%s.\n\n", p.name, capitalize(p.doc))
		b.WriteString("| argument | type | required | default | meaning |\n|---|---|---|---|---|\n")
		for _, a := range p.args {
			typ := a.typeText()
			if a.typ == argEnum {
				typ = "`" + strings.Join(a.values, "` \\| `") + "`"
			}
			req := ""
			if a.required {
				req = "yes"
			}
			def := a.def
			if def != "" {
				def = "`" + def + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", a.name, typ, req, def, a.doc)
		}
	}
	return b.String()
}

// usageReference renders the table as plain text for throttlegen -h.
func usageReference() string {
	var b strings.Builder
	b.WriteString("Directives (//throttle:POLICY name=value ...):\n")
	b.WriteString("  Integer, fraction and duration values are literals or Go constants of the package's\n")
	b.WriteString("  scope (quota=MaxCalls); on rate policies, " + joinAnd(perCallArgs()) + " may also be\n")
	b.WriteString("  integer expressions over the parameters, evaluated per call (quota=t.Plan.PerMinute).\n")
	for _, p := range policies {
		fmt.Fprintf(&b, "\n  %s: %s\n", p.name, p.doc)
		for _, a := range p.args {
			extra := a.typeText()
			if a.typ == argEnum {
				extra = strings.Join(a.values, "|")
			}
			if a.required {
				extra += ", required"
			}
			if a.def != "" {
				extra += ", default " + a.def
			}
			fmt.Fprintf(&b, "    %-15s %s (%s)\n", a.name, a.doc, extra)
		}
	}
	return b.String()
}

// perCallArgs lists, from the table, the arguments that may be per-call
// expressions, in table order, the common ones last: "quota=", "burst=",
// "bucket=", "cost=".
func perCallArgs() []string {
	var names []string
	seen := map[string]bool{}
	for _, a := range commonRate {
		seen[a.name] = true // listed last
	}
	for _, p := range append(policies, policySpec{args: commonRate}) {
		for _, a := range p.args {
			if a.perCall && (!seen[a.name] || p.name == "") {
				seen[a.name] = true
				names = append(names, a.name+"=")
			}
		}
	}
	return names
}

// joinAnd joins items as prose: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// markdownList joins items as prose, each in backquotes.
func markdownList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "`" + s + "`"
	}
	return joinAnd(quoted)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely misspelling.
func suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		limit := 2
		if len(c) <= 4 {
			limit = 1
		}
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean formats a suggestion suffix for an error message.
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// didYouMeanOrList suggests the closest candidate, or lists them all when
// none is close.
func didYouMeanOrList(word string, candidates []string) string {
	if s := didYouMean(word, candidates); s != "" {
		return s
	}
	return " (want one of " + strings.Join(candidates, ", ") + ")"
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance between a and b, counting bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
