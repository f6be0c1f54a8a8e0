package generator

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"time"
)

// directivePrefix starts every directive line.
const directivePrefix = "//throttle:"

// directive is one parsed //throttle: line. Positions are exact: columns
// count bytes from the start of the line, as go/token does.
type directive struct {
	pos    token.Position // of the leading "//"
	text   string         // the line, from the policy on
	spec   *policySpec
	policy string
	polPos token.Position
	args   []*arg
}

// get returns the argument called name, or nil.
func (d *directive) get(name string) *arg {
	for _, a := range d.args {
		if a.name == name {
			return a
		}
	}
	return nil
}

// arg is one name=value argument: as written, and as read by its spec.
type arg struct {
	name     string
	namePos  token.Position
	raw      string // the value, unquoted
	valuePos token.Position
	quoted   byte // '"', '`' or 0 for a bare value
	escaped  bool // a quoted value held escapes, so inner offsets are not exact
	spec     *argSpec

	// The value read according to spec.typ.
	i int64
	f float64
	d time.Duration
	s string // argEnum, argName

	// A numeric or duration value that is not a literal: an expression the
	// check phase resolves to a constant (checkConstants), after which i, f
	// or d hold its value and constant the checked expression.
	constExpr ast.Expr
	constant  *keyExpr
	// perCall is an argInt value that is not a constant, where the spec
	// allows it (spec.perCall): an integer expression over the parameters
	// the wrapper evaluates on each call. i is 0 then.
	perCall *keyExpr
	expr    ast.Expr // argExpr
	quotas  []quota  // argQuotas
	on      []onItem // argOn
}

// quota is one item of consumer_quota= or priority_quota=.
type quota struct {
	name     string // "" applies to every consumer or priority
	fraction float64
}

// onItem is one item of retry on=: a keyword or a Go expression.
type onItem struct {
	word string   // "throttled", "timeout", "error", or "" for an expression
	expr ast.Expr // when word is ""
	text string
	pos  token.Position
}

// advance returns pos moved n bytes to the right on its line.
func advance(pos token.Position, n int) token.Position {
	pos.Offset += n
	pos.Column += n
	return pos
}

// isDirective reports whether a comment's text is a directive line.
func isDirective(text string) bool { return strings.HasPrefix(text, directivePrefix) }

// nearMiss reports whether a comment line looks like a directive that gofmt
// or a typo turned into prose, and how to fix it.
func nearMiss(text string) (string, bool) {
	if !strings.HasPrefix(text, "//") {
		return "", false
	}
	if isDirective(text) {
		rest := text[len(directivePrefix):]
		if rest == "" || rest[0] == ' ' || rest[0] == '\t' {
			return "malformed directive: write the policy right after //throttle: with no space (gofmt treats \"//throttle: x\" as prose)", true
		}
		return "", false
	}
	body := strings.TrimLeft(text[2:], " \t")
	lower := strings.ToLower(body)
	if strings.HasPrefix(lower, "throttle:") || strings.HasPrefix(lower, "throttle :") {
		return "malformed directive: write //throttle:POLICY, lower case, with no space after // (gofmt treats this line as prose)", true
	}
	return misspeltPrefix(text)
}

// parseDirective parses and validates one directive line. text is the
// comment's text, starting with "//throttle:", and pos the position of its
// first byte. It returns nil and the errors when the line cannot be used.
// Every error carries a valid position.
func parseDirective(text string, pos token.Position) (*directive, ErrorList) {
	var errs ErrorList
	if msg, bad := nearMiss(text); bad {
		errs.add(pos, "%s", msg)
		return nil, errs
	}
	if !isDirective(text) {
		errs.add(pos, "not a //throttle: directive")
		return nil, errs
	}
	d := &directive{pos: pos, text: strings.TrimSpace(text[len(directivePrefix):])}
	i := len(directivePrefix)
	end := i
	for end < len(text) && !isSpace(text[end]) {
		end++
	}
	d.policy, d.polPos = text[i:end], advance(pos, i)
	d.spec = lookupPolicy(d.policy)
	if d.spec == nil {
		errs.add(d.polPos, "unknown policy %s%s", quoteClip(d.policy), didYouMeanOrList(d.policy, policyNames()))
	}
	i = end
	scanFailed := false
	for {
		for i < len(text) && isSpace(text[i]) {
			i++
		}
		if i >= len(text) {
			break
		}
		if e := unquotedSpaces(d, text, i, pos); e != nil {
			errs = append(errs, e)
			scanFailed = true
			break
		}
		a, next, err := scanArg(text, i, pos)
		if err != nil {
			errs = append(errs, err)
			scanFailed = true
			break // the rest of the line cannot be split reliably
		}
		i = next
		if d.get(a.name) != nil {
			errs.add(a.namePos, "argument %s given twice", clip(a.name))
			continue
		}
		d.args = append(d.args, a)
	}
	if d.spec != nil {
		for _, a := range d.args {
			a.spec = d.spec.arg(a.name)
			if a.spec == nil {
				errs.add(a.namePos, "unknown argument %s for %s%s%s", quoteClip(a.name), d.policy, didYouMeanOrList(a.name, d.spec.argNames()), argOwners(a.name))
				continue
			}
			errs = append(errs, readValue(a)...)
		}
		for i := range d.spec.args {
			s := &d.spec.args[i]
			if s.required && !scanFailed && d.get(s.name) == nil {
				errs.add(d.polPos, "%s: missing required argument %s=", d.policy, s.name)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return d, nil
}

// argOwners says which policies take the argument name, for an unknown
// argument that belongs to others ("; mode= is an argument of the rate
// policies and concurrency"); "" when none does.
func argOwners(name string) string {
	var rates, others []string
	allRates := true
	for _, p := range policies {
		has := p.arg(name) != nil
		switch {
		case p.kind == kindRate && has:
			rates = append(rates, p.name)
		case p.kind == kindRate:
			allRates = false
		case has:
			others = append(others, p.name)
		}
	}
	if len(rates) > 0 && allRates {
		rates = []string{"the rate policies"}
	}
	owners := append(rates, others...)
	if len(owners) == 0 {
		return ""
	}
	return "; " + name + "= is an argument of " + joinAnd(owners)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// unquotedSpaces reports a bare value that went on past a space: the word
// at text[i] has no '=' and follows a bare value, as in key=user + region.
// The error shows the value quoted, up to the next name=value or the end,
// and drops the truncated argument from d.
func unquotedSpaces(d *directive, text string, i int, pos token.Position) *Error {
	if len(d.args) == 0 || d.args[len(d.args)-1].quoted != 0 || strings.IndexByte(word(text, i), '=') >= 0 {
		return nil
	}
	prev := d.args[len(d.args)-1]
	start := prev.valuePos.Offset - pos.Offset
	end := i
	for end < len(text) && strings.IndexByte(word(text, end), '=') < 0 {
		end += len(word(text, end))
		for end < len(text) && isSpace(text[end]) {
			end++
		}
	}
	value := strings.TrimRight(text[start:end], " \t")
	d.args = d.args[:len(d.args)-1]
	if q := strconv.Quote(value); len(q) <= maxEcho {
		return &Error{Pos: prev.valuePos, Msg: "quote values that hold spaces: " + prev.name + "=" + q}
	}
	return &Error{Pos: prev.valuePos, Msg: prev.name + "=" + clip(value) + ": quote values that hold spaces"}
}

// word is the run of non-space bytes at text[i].
func word(text string, i int) string {
	j := i
	for j < len(text) && !isSpace(text[j]) {
		j++
	}
	return text[i:j]
}

// scanArg reads one name=value argument starting at text[i].
func scanArg(text string, i int, pos token.Position) (*arg, int, *Error) {
	start := i
	for i < len(text) && text[i] != '=' && !isSpace(text[i]) {
		i++
	}
	a := &arg{name: text[start:i], namePos: advance(pos, start)}
	if i >= len(text) || text[i] != '=' {
		return nil, 0, &Error{Pos: a.namePos, Msg: "argument " + quoteClip(a.name) + " has no value: write name=value"}
	}
	if a.name == "" {
		return nil, 0, &Error{Pos: a.namePos, Msg: "missing argument name before ="}
	}
	i++ // '='
	a.valuePos = advance(pos, i)
	if i >= len(text) || isSpace(text[i]) {
		return nil, 0, &Error{Pos: a.valuePos, Msg: "argument " + clip(a.name) + " has an empty value"}
	}
	switch q := text[i]; q {
	case '"':
		j := i + 1
		for j < len(text) && text[j] != '"' {
			if text[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(text) {
			return nil, 0, &Error{Pos: a.valuePos, Msg: "unterminated quoted value of " + a.name}
		}
		v, err := strconv.Unquote(text[i : j+1])
		if err != nil {
			return nil, 0, &Error{Pos: a.valuePos, Msg: "bad quoted value of " + a.name + ": " + err.Error()}
		}
		a.raw, a.quoted, a.escaped, i = v, q, v != text[i+1:j], j+1
	case '`':
		j := strings.IndexByte(text[i+1:], '`')
		if j < 0 {
			return nil, 0, &Error{Pos: a.valuePos, Msg: "unterminated raw value of " + a.name}
		}
		a.raw, a.quoted, i = text[i+1:i+1+j], q, i+2+j
	default:
		j := i
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		a.raw, i = text[i:j], j
	}
	if i < len(text) && !isSpace(text[i]) {
		return nil, 0, &Error{Pos: advance(pos, i), Msg: "unexpected text after the quoted value of " + a.name + ": separate arguments with a space"}
	}
	return a, i, nil
}

// innerPos returns the position of byte n of a's unquoted value. It is exact
// for bare, raw and escape-free quoted values; for quoted values with
// escapes it is the value's start.
func (a *arg) innerPos(n int) token.Position {
	if a.escaped {
		return a.valuePos
	}
	if a.quoted != 0 {
		n++
	}
	return advance(a.valuePos, n)
}

// readValue reads a's value according to its spec.
func readValue(a *arg) ErrorList {
	var errs ErrorList
	s := a.spec
	v := a.raw
	switch s.typ {
	case argInt:
		errs = readInt(a)
	case argFraction:
		f, err := strconv.ParseFloat(v, 64)
		switch {
		case err != nil && a.constantLater(v):
		case err != nil || !fractionRange(f):
			errs.add(a.valuePos, "%s=%s: want a fraction in (0, 1]", a.name, clip(v))
		}
		a.f = f
	case argDuration:
		errs = readDuration(a)
	case argEnum:
		if !slices.Contains(s.values, v) {
			errs.add(a.valuePos, "%s=%s: want one of %s%s", a.name, clip(v), strings.Join(s.values, ", "), didYouMean(v, s.values))
		}
		a.s = v
	case argName:
		if strings.TrimSpace(v) == "" {
			errs.add(a.valuePos, "%s: empty name", a.name)
		}
		a.s = v
	case argExpr:
		e, err := parseExpr(a, v, 0)
		if err != nil {
			errs = append(errs, err)
		}
		a.expr = e
	case argQuotas:
		errs = readQuotas(a)
	case argOn:
		errs = readOn(a)
	}
	return errs
}

// readInt reads a whole number, or defers a constant to the check phase.
func readInt(a *arg) ErrorList {
	var errs ErrorList
	v := a.raw
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil && a.constantLater(v):
	case err != nil:
		errs.add(a.valuePos, "%s=%s: want a whole number or an integer constant", a.name, clip(v))
	default:
		if msg := intRange(a.spec, n); msg != "" {
			errs.add(a.valuePos, "%s=%s: %s", a.name, clip(v), msg)
		}
	}
	a.i = n
	return errs
}

// readDuration reads a duration, or defers a constant to the check phase.
func readDuration(a *arg) ErrorList {
	var errs ErrorList
	v := a.raw
	d, err := time.ParseDuration(v)
	switch {
	case err != nil && a.constantLater(v):
	case err != nil:
		errs.add(a.valuePos, "%s=%s: want a duration such as 1s or 250ms", a.name, clip(v))
	default:
		if msg := durationRange(a.spec, d); msg != "" {
			errs.add(a.valuePos, "%s=%s: %s", a.name, clip(v), msg)
		}
	}
	a.d = d
	return errs
}

// readOn reads retry on=: keywords and Go error expressions.
func readOn(a *arg) ErrorList {
	var errs ErrorList
	v := a.raw
	for _, it := range splitList(v) {
		item := onItem{text: strings.TrimSpace(v[it.start:it.end]), pos: a.innerPos(it.start)}
		switch item.text {
		case "throttled", "timeout", "error":
			item.word = item.text
		case "":
			errs.add(item.pos, "on=: empty item")
			continue
		default:
			e, err := parseExpr(a, item.text, it.start)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			item.expr = e
		}
		a.on = append(a.on, item)
	}
	return errs
}

// constantLater reports whether v, which is not a literal of a's type, is
// a Go expression: a constant such as MaxCalls or 2*Window, perhaps, which
// the check phase resolves (see checkConstants).
func (a *arg) constantLater(v string) bool {
	e, err := parser.ParseExpr(v)
	if err != nil {
		return false
	}
	a.constExpr = e
	return true
}

// intRange checks an integer argument's value: "" or what is wrong.
func intRange(s *argSpec, n int64) string {
	switch {
	case n < s.min:
		return fmt.Sprintf("must be at least %d", s.min)
	case n > maxExact:
		return "too large (at most 2^53)"
	}
	return ""
}

// fractionRange reports whether f is in (0, 1].
func fractionRange(f float64) bool { return f > 0 && f <= 1 }

// durationRange checks a duration argument's value: "" or what is wrong.
func durationRange(s *argSpec, d time.Duration) string {
	switch {
	case d < 0 || d == 0 && !s.zeroOK:
		return "must be positive"
	case d%time.Microsecond != 0:
		return "must be a whole number of microseconds"
	}
	return ""
}

// maxExact is 2^53, the largest integer Lua (and so the Redis store)
// represents exactly.
const maxExact = 1 << 53

// parseExpr parses a Go expression from a's value starting at byte off.
func parseExpr(a *arg, src string, off int) (ast.Expr, *Error) {
	if token.IsIdentifier(src) {
		// The usual key: what the parser would return, without starting
		// one. Positions count from 1 in the value, as the parser's do.
		return &ast.Ident{NamePos: 1, Name: src}, nil
	}
	e, err := parser.ParseExpr(src)
	if err != nil {
		p := a.innerPos(off)
		msg := err.Error()
		if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
			p = a.innerPos(off + list[0].Pos.Offset)
			msg = list[0].Msg
		}
		return nil, &Error{Pos: p, Msg: a.name + "=: not a Go expression: " + clip(msg)}
	}
	return e, nil
}

// readQuotas reads a comma-separated list of F or NAME:F.
func readQuotas(a *arg) ErrorList {
	var errs ErrorList
	seen := map[string]bool{}
	for _, it := range splitList(a.raw) {
		text := a.raw[it.start:it.end]
		p := a.innerPos(it.start)
		var q quota
		num := text
		if i := strings.LastIndexByte(text, ':'); i >= 0 {
			q.name, num = strings.TrimSpace(text[:i]), text[i+1:]
			if q.name == "" {
				errs.add(p, "%s: empty name before ':'", a.name)
				continue
			}
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || !(f > 0 && f <= 1) {
			errs.add(p, "%s: %s: want a fraction in (0, 1], or NAME:fraction", a.name, quoteClip(text))
			continue
		}
		q.fraction = f
		if a.name == "priority_quota" && q.name != "" {
			if lower := strings.ToLower(q.name); lower != "high" && lower != "normal" && lower != "low" && lower != "none" {
				errs.add(p, "priority_quota: unknown priority %s: want high, normal, low or none (calls without a priority)%s", quoteClip(q.name), didYouMean(q.name, []string{"high", "normal", "low", "none"}))
				continue
			}
			q.name = strings.ToLower(q.name)
		}
		if seen[q.name] {
			errs.add(p, "%s: %s given twice", a.name, quoteClip(q.name))
			continue
		}
		seen[q.name] = true
		a.quotas = append(a.quotas, q)
	}
	return errs
}

type span struct{ start, end int }

// splitList splits s at commas outside brackets and quotes.
func splitList(s string) []span {
	var out []span
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '`' || c == '\'':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, span{start, i})
			start = i + 1
		}
	}
	return append(out, span{start, len(s)})
}
