package runtime

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// This file parses override texts (ParseOverrides). Values are read and
// checked as the generator reads and checks a directive's literals, with
// the same messages.

// knownLimits is what an override text is checked against: every limit
// identity of the program and its policies.
type knownLimits struct {
	policies map[string][]string // name -> its policies, sorted
	names    []string            // every name, sorted
}

// registeredLimits snapshots the rate limits of the registry and the named
// concurrency limiters.
func registeredLimits() *knownLimits {
	k := &knownLimits{policies: map[string][]string{}}
	add := func(name, policy string) {
		if _, ok := k.policies[name]; !ok {
			k.names = append(k.names, name)
		}
		k.policies[name] = append(k.policies[name], policy)
	}
	registry.mu.Lock()
	for id := range registry.limits {
		add(id.name, id.alg.String())
	}
	registry.mu.Unlock()
	poolsMu.Lock()
	for name := range pools {
		add(name, concurrencyPolicy)
	}
	poolsMu.Unlock()
	slices.Sort(k.names)
	for _, ps := range k.policies {
		slices.Sort(ps)
	}
	return k
}

const concurrencyPolicy = "concurrency"

// ovArg describes one argument an override of a policy may set.
type ovArg struct {
	name   string
	field  overrideField
	typ    ovArgType
	min    int64    // ovInt
	zeroOK bool     // ovDuration
	values []string // ovEnum
}

type ovArgType uint8

const (
	ovInt ovArgType = iota + 1
	ovDur
	ovEnum
	ovQuotas
	ovKey
)

var (
	modeValues = []string{"enforce", "shadow", "off"}
	failValues = []string{"open", "closed", "local"}
)

// ovArgs returns the arguments an override of policy may set, in the order
// the directive reference lists them, or nil for a policy that cannot be
// overridden.
func ovArgs(policy string) []ovArg {
	if policy == concurrencyPolicy {
		return []ovArg{
			{name: "capacity", field: ovCapacity, typ: ovInt, min: 1},
			{name: "queue", field: ovQueue, typ: ovInt, min: 0},
			{name: "consumer_quota", field: ovConsumerQuota, typ: ovQuotas},
			{name: "priority_quota", field: ovPriorityQuota, typ: ovQuotas},
			{name: "order", field: ovOrder, typ: ovEnum, values: []string{"lifo", "fifo"}},
			{name: "max_wait", field: ovMaxWait, typ: ovDur, zeroOK: true},
			{name: "mode", field: ovMode, typ: ovEnum, values: modeValues},
		}
	}
	for i := range ratemath.Algorithms {
		a := &ratemath.Algorithms[i]
		if a.Name != policy {
			continue
		}
		args := []ovArg{
			{name: "quota", field: ovQuota, typ: ovInt, min: 1},
			{name: "duration", field: ovDuration, typ: ovDur},
		}
		if a.UsesBurst {
			args = append(args, ovArg{name: "burst", field: ovBurst, typ: ovInt, min: 1})
		}
		if a.UsesBucket {
			args = append(args, ovArg{name: "bucket", field: ovBucket, typ: ovInt, min: 1})
		}
		return append(args,
			ovArg{name: "wait", field: ovWait, typ: ovDur, zeroOK: true},
			ovArg{name: "fail", field: ovFail, typ: ovEnum, values: failValues},
			ovArg{name: "mode", field: ovMode, typ: ovEnum, values: modeValues},
			ovArg{name: "key", typ: ovKey},
		)
	}
	return nil
}

// overridablePolicies are the policies an override may name: the rate
// algorithms, then concurrency.
func overridablePolicies() []string {
	ps := make([]string, 0, len(ratemath.Algorithms)+1)
	for i := range ratemath.Algorithms {
		ps = append(ps, ratemath.Algorithms[i].Name)
	}
	return append(ps, concurrencyPolicy)
}

// notOverridable are the arguments of rate and concurrency directives that
// an override may not set: the expressions and the identities.
var notOverridable = map[string]bool{
	"key": true, "consumer": true, "priority": true, "cost": true,
	"name": true, "pool": true, "scope": true,
}

// token is a word of an override line: a name, a policy or an argument.
type token struct {
	col   int    // of its first byte, from 1
	name  string // an argument's name
	value string // unquoted
	vcol  int    // of the value's first byte
	raw   string // the value as written, quotes included
	quote byte   // '"', '`' or 0
	esc   bool   // a quoted value held escapes: inner offsets are not exact
}

// innerCol returns the column of byte n of t's unquoted value: exact for
// bare, raw and escape-free quoted values, the value's start otherwise.
func (t *token) innerCol(n int) int {
	if t.esc {
		return t.vcol
	}
	if t.quote != 0 {
		n++
	}
	return t.vcol + n
}

// ovParser collects the problems of one text.
type ovParser struct {
	known    *knownLimits
	problems []OverrideProblem
	line     int
}

func (p *ovParser) errorf(col int, format string, args ...any) {
	p.problems = append(p.problems, OverrideProblem{Line: p.line, Col: col, Msg: sprintf(format, args...)})
}

// lineKey identifies an override line, to refuse two for the same limit.
type lineKey struct {
	name, policy, key string
	keyed             bool
}

func parseOverrides(text string, known *knownLimits) (*overrideSet, []OverrideProblem) {
	p := &ovParser{known: known}
	set := &overrideSet{rate: map[limitID]*rateOverrides{}, conc: map[string]*concOverride{}}
	seen := map[lineKey]int{}
	algs := map[string]Algorithm{}
	for _, a := range Algorithms() {
		algs[a.String()] = a
	}
	for n, line := range strings.Split(text, "\n") {
		p.line = n + 1
		line = strings.TrimSuffix(line, "\r")
		start := len(p.problems)
		p.parseLine(line, set, seen, algs)
		slices.SortStableFunc(p.problems[start:], func(a, b OverrideProblem) int { return a.Col - b.Col })
	}
	return set, p.problems
}

// parseLine parses one line into set.
func (p *ovParser) parseLine(line string, set *overrideSet, seen map[lineKey]int, algs map[string]Algorithm) {
	words, ok := p.split(line)
	if len(words) == 0 {
		return
	}
	name := words[0]
	if strings.TrimSpace(name.value) == "" {
		p.errorf(name.col, "empty limit name")
		return
	}
	if len(words) < 2 {
		if ok {
			p.errorf(name.col, "missing policy after %s: write NAME POLICY ARGUMENT=VALUE...", quoteClip(name.value))
		}
		return
	}
	pol := words[1]
	if pol.quote == 0 && strings.IndexByte(pol.value, '=') >= 0 {
		p.errorf(pol.col, "want a policy after the limit name, not an argument: write NAME POLICY ARGUMENT=VALUE...")
		return
	}
	nameOK, polOK := p.checkNamePolicy(name, pol)
	args := words[2:]
	var specs []ovArg
	if polOK {
		specs = ovArgs(pol.value)
	}

	var rate rateOverride
	var conc concOverride
	var key *token
	given := map[string]bool{}
	valid := polOK
	for i := range args {
		a := &args[i]
		if given[a.name] {
			p.errorf(a.col, "argument %s given twice", clip(a.name))
			valid = false
			continue
		}
		given[a.name] = true
		if !polOK {
			continue // its arguments cannot be judged
		}
		spec := findOvArg(specs, a.name)
		if spec == nil {
			p.unknownArg(a, pol.value, specs)
			valid = false
			continue
		}
		if spec.typ == ovKey {
			key = a
			continue
		}
		if !p.readArg(a, spec, &rate, &conc) {
			valid = false
		}
	}
	if polOK && ok && len(args) == 0 || polOK && ok && len(args) == 1 && key != nil {
		p.errorf(pol.col, "the override of %s sets nothing: give the arguments to change, such as %s",
			quoteClip(name.value), exampleArgs(pol.value))
		return
	}
	if !ok || !valid || !nameOK {
		return
	}
	k := lineKey{name: name.value, policy: pol.value}
	if key != nil {
		k.key, k.keyed = key.value, true
	}
	if first, dup := seen[k]; dup {
		what := pol.value + " " + quoteClip(name.value)
		if key != nil {
			what += " for key " + quoteClip(key.value)
		}
		p.errorf(name.col, "a second override of %s (the first is on line %d)", what, first)
		return
	}
	seen[k] = p.line
	set.lines++
	if pol.value == concurrencyPolicy {
		c := conc
		set.conc[name.value] = &c
		return
	}
	id := limitID{name.value, algs[pol.value]}
	ro := set.rate[id]
	if ro == nil {
		ro = &rateOverrides{}
		set.rate[id] = ro
	}
	r := rate
	if key == nil {
		ro.all = &r
		return
	}
	if ro.keys == nil {
		ro.keys = map[string]*rateOverride{}
	}
	ro.keys[key.value] = &r
}

// checkNamePolicy checks a line's name and policy against the program's
// limits. It reports whether the name is a limit of that policy, and
// whether the policy is one whose arguments can be judged.
func (p *ovParser) checkNamePolicy(name, pol token) (nameOK, polOK bool) {
	policies := overridablePolicies()
	polOK = slices.Contains(policies, pol.value)
	if !polOK {
		switch pol.value {
		case "retry", "timeout", "cache":
			p.errorf(pol.col, "policy %s cannot be overridden: overrides change rate limits and concurrency limiters", pol.value)
		default:
			p.errorf(pol.col, "unknown policy %s%s", quoteClip(pol.value), didYouMeanOrList(pol.value, policies))
		}
	}
	has, known := p.known.policies[name.value]
	if !known {
		msg := "unknown limit " + quoteClip(name.value)
		if s := suggest(name.value, p.known.names); s != "" {
			msg += "; did you mean " + quoteClip(s) + "?"
		} else {
			msg += ": no rate limit or concurrency limiter of this program has that name (a rate limit's name= or a concurrency limiter's pool=, else the function's full name importpath.Func)"
		}
		p.errorf(name.col, "%s", msg)
		return false, polOK
	}
	if polOK && !slices.Contains(has, pol.value) {
		p.errorf(pol.col, "%s is a %s limit, not %s: an override for a limit of another policy is refused",
			quoteClip(name.value), strings.Join(has, " and "), pol.value)
		return false, true // its arguments are still judged against pol
	}
	return true, polOK
}

// unknownArg reports an argument the override of policy may not set.
func (p *ovParser) unknownArg(a *token, policy string, specs []ovArg) {
	if notOverridable[a.name] {
		if a.name == "key" { // not a rate policy: key= selects nothing
			p.errorf(a.col, "key= selects a key of a rate limit; a concurrency override applies to the whole limiter")
			return
		}
		p.errorf(a.col, "%s= cannot be overridden: expressions and identities cannot be overridden", a.name)
		return
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	p.errorf(a.col, "unknown argument %s for %s%s", quoteClip(a.name), policy, didYouMeanOrList(a.name, names))
}

// exampleArgs names a few arguments of policy, for the "sets nothing" error.
func exampleArgs(policy string) string {
	if policy == concurrencyPolicy {
		return "capacity=64 or mode=shadow"
	}
	return "quota=100 or mode=shadow"
}

func findOvArg(specs []ovArg, name string) *ovArg {
	for i := range specs {
		if specs[i].name == name {
			return &specs[i]
		}
	}
	return nil
}

// readArg reads a's value into rate or conc, reporting a bad one.
func (p *ovParser) readArg(a *token, s *ovArg, rate *rateOverride, conc *concOverride) bool {
	v := a.value
	rate.has |= s.field
	conc.has |= s.field
	switch s.typ {
	case ovInt:
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			p.errorf(a.vcol, "%s=%s: want a whole number", a.name, clip(v))
			return false
		case n < s.min:
			p.errorf(a.vcol, "%s=%s: must be at least %d", a.name, clip(v), s.min)
			return false
		case n > maxExactInt:
			p.errorf(a.vcol, "%s=%s: too large (at most 2^53)", a.name, clip(v))
			return false
		}
		switch s.field {
		case ovQuota:
			rate.Quota = n
		case ovBurst:
			rate.Burst = n
		case ovBucket:
			rate.Bucket = n
		case ovCapacity:
			conc.Capacity = int(min(n, math.MaxInt))
		case ovQueue:
			conc.Queue = int(min(n, math.MaxInt))
		}
	case ovDur:
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			p.errorf(a.vcol, "%s=%s: want a duration such as 1s or 250ms", a.name, clip(v))
			return false
		case d < 0 || d == 0 && !s.zeroOK:
			p.errorf(a.vcol, "%s=%s: must be positive", a.name, clip(v))
			return false
		case d%time.Microsecond != 0:
			p.errorf(a.vcol, "%s=%s: must be a whole number of microseconds", a.name, clip(v))
			return false
		}
		switch s.field {
		case ovDuration:
			rate.Duration = d
		case ovWait:
			rate.Wait = d
		case ovMaxWait:
			conc.MaxWait = d
		}
	case ovEnum:
		i := slices.Index(s.values, v)
		if i < 0 {
			p.errorf(a.vcol, "%s=%s: want one of %s%s", a.name, clip(v), strings.Join(s.values, ", "), didYouMean(v, s.values))
			return false
		}
		switch s.field {
		case ovFail:
			rate.Fail = FailPolicy(i) // failValues are in FailPolicy order
		case ovMode:
			m, _ := ParseMode(v)
			rate.Mode, conc.Mode = m, m
		case ovOrder:
			conc.Order = Order(i) // lifo, fifo
		}
	case ovQuotas:
		qs, ok := p.readQuotas(a)
		if !ok {
			return false
		}
		if s.field == ovConsumerQuota {
			conc.ConsumerQuotas = qs
		} else {
			conc.PriorityQuotas = qs
		}
	}
	return true
}

// readQuotas reads consumer_quota= or priority_quota=: a comma-separated
// list of F or NAME:F (parseQuotaList).
func (p *ovParser) readQuotas(a *token) ([]Quota, bool) {
	qs, errs := parseQuotaList(a.name, a.value)
	for _, e := range errs {
		p.errorf(a.innerCol(e.off), "%s", e.msg)
	}
	return qs, len(errs) == 0
}

// quotaError is a problem of a quota list at byte off of its value.
type quotaError struct {
	off int
	msg string
}

// parseQuotaList parses the value of consumer_quota= or priority_quota=
// (arg): a comma-separated list of F (every consumer or priority) or
// NAME:F, with F a fraction in (0, 1]. Priority names are high, normal,
// low and none, in any case, and come back in lower case. A name may not be
// given twice. It is the one reading of the directive's syntax in the
// runtime, with the generator's messages.
func parseQuotaList(arg, v string) ([]Quota, []quotaError) {
	var qs []Quota
	var errs []quotaError
	seen := map[string]bool{}
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] != ',' {
			continue
		}
		text, off := v[start:i], start
		start = i + 1
		var q Quota
		num := text
		if j := strings.LastIndexByte(text, ':'); j >= 0 {
			q.Name, num = strings.TrimSpace(text[:j]), text[j+1:]
			if q.Name == "" {
				errs = append(errs, quotaError{off, arg + ": empty name before ':'"})
				continue
			}
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || !(f > 0 && f <= 1) {
			errs = append(errs, quotaError{off, arg + ": " + quoteClip(text) + ": want a fraction in (0, 1], or NAME:fraction"})
			continue
		}
		q.Fraction = f
		if arg == "priority_quota" && q.Name != "" {
			if _, ok := parsePrioClass(q.Name); !ok {
				errs = append(errs, quotaError{off, "priority_quota: unknown priority " + quoteClip(q.Name) +
					": want high, normal, low or none (calls without a priority)" + didYouMean(q.Name, prioClassNames[:])})
				continue
			}
			q.Name = strings.ToLower(q.Name)
		}
		if seen[q.Name] {
			errs = append(errs, quotaError{off, arg + ": " + quoteClip(q.Name) + " given twice"})
			continue
		}
		seen[q.Name] = true
		qs = append(qs, q)
	}
	return qs, errs
}

// maxExactInt is 2^53, the largest integer Lua (and so the Redis store)
// represents exactly: the bound of the directive's integers.
const maxExactInt = 1 << 53

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// split splits a line into its words: the name, the policy, then the
// arguments (name=value). A '#' that starts a word starts a comment. It
// reports false, after reporting the problem, when the line cannot be split
// (the words before the problem are returned).
func (p *ovParser) split(line string) ([]token, bool) {
	var words []token
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i >= len(line) || line[i] == '#' {
			return words, true
		}
		if len(words) < 2 { // the name or the policy
			t := token{col: i + 1, vcol: i + 1}
			next, ok := p.scanValue(line, i, &t, "the limit name")
			if !ok {
				return words, false
			}
			if len(words) == 1 && t.quote != 0 {
				p.errorf(t.col, "the policy is a bare word, such as gcra or concurrency")
				return words, false
			}
			words = append(words, t)
			i = next
			continue
		}
		start := i
		for i < len(line) && line[i] != '=' && !isBlank(line[i]) {
			i++
		}
		t := token{col: start + 1, name: line[start:i]}
		if i >= len(line) || line[i] != '=' {
			p.errorf(t.col, "argument %s has no value: write name=value", quoteClip(t.name))
			return words, false
		}
		if t.name == "" {
			p.errorf(t.col, "missing argument name before =")
			return words, false
		}
		i++ // '='
		t.vcol = i + 1
		if i >= len(line) || isBlank(line[i]) {
			p.errorf(t.vcol, "argument %s has an empty value", clip(t.name))
			return words, false
		}
		next, ok := p.scanValue(line, i, &t, t.name)
		if !ok {
			return words, false
		}
		words = append(words, t)
		i = next
	}
}

// scanValue reads the bare, quoted or raw value at line[i] into t and
// returns the index after it. what names the value in errors.
func (p *ovParser) scanValue(line string, i int, t *token, what string) (int, bool) {
	start := i
	switch q := line[i]; q {
	case '"':
		j := i + 1
		for j < len(line) && line[j] != '"' {
			if line[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(line) {
			p.errorf(t.vcol, "unterminated quoted value of %s", clip(what))
			return 0, false
		}
		v, err := strconv.Unquote(line[i : j+1])
		if err != nil {
			p.errorf(t.vcol, "bad quoted value of %s: %s", clip(what), err.Error())
			return 0, false
		}
		t.value, t.quote, t.esc, i = v, q, v != line[i+1:j], j+1
	case '`':
		j := strings.IndexByte(line[i+1:], '`')
		if j < 0 {
			p.errorf(t.vcol, "unterminated raw value of %s", clip(what))
			return 0, false
		}
		t.value, t.quote, i = line[i+1:i+1+j], q, i+2+j
	default:
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		t.value, i = line[i:j], j
	}
	t.raw = line[start:i]
	if i < len(line) && !isBlank(line[i]) {
		p.errorf(i+1, "unexpected text after the quoted value of %s: separate words with a space", clip(what))
		return 0, false
	}
	return i, true
}
