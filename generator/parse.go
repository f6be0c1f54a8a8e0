package generator

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
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
	i      int64
	f      float64
	d      time.Duration
	s      string   // argEnum, argName
	expr   ast.Expr // argExpr
	quotas []quota  // argQuotas
	on     []onItem // argOn
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
		errs.add(d.polPos, "unknown policy %q%s", d.policy, didYouMeanOrList(d.policy, policyNames()))
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
		a, next, err := scanArg(text, i, pos)
		if err != nil {
			errs = append(errs, err)
			scanFailed = true
			break // the rest of the line cannot be split reliably
		}
		i = next
		if d.get(a.name) != nil {
			errs.add(a.namePos, "argument %s given twice", a.name)
			continue
		}
		d.args = append(d.args, a)
	}
	if d.spec != nil {
		for _, a := range d.args {
			a.spec = d.spec.arg(a.name)
			if a.spec == nil {
				errs.add(a.namePos, "unknown argument %q for %s%s", a.name, d.policy, didYouMeanOrList(a.name, d.spec.argNames()))
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

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// scanArg reads one name=value argument starting at text[i].
func scanArg(text string, i int, pos token.Position) (*arg, int, *Error) {
	start := i
	for i < len(text) && text[i] != '=' && !isSpace(text[i]) {
		i++
	}
	a := &arg{name: text[start:i], namePos: advance(pos, start)}
	if i >= len(text) || text[i] != '=' {
		return nil, 0, &Error{Pos: a.namePos, Msg: "argument " + strconv.Quote(a.name) + " has no value: write name=value"}
	}
	if a.name == "" {
		return nil, 0, &Error{Pos: a.namePos, Msg: "missing argument name before ="}
	}
	i++ // '='
	a.valuePos = advance(pos, i)
	if i >= len(text) || isSpace(text[i]) {
		return nil, 0, &Error{Pos: a.valuePos, Msg: "argument " + a.name + " has an empty value"}
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
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			errs.add(a.valuePos, "%s=%s: want a whole number", a.name, v)
		case n < s.min:
			errs.add(a.valuePos, "%s=%s: must be at least %d", a.name, v, s.min)
		case n > maxExact:
			errs.add(a.valuePos, "%s=%s: too large (at most 2^53)", a.name, v)
		}
		a.i = n
	case argFraction:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			errs.add(a.valuePos, "%s=%s: want a fraction in (0, 1]", a.name, v)
		}
		a.f = f
	case argDuration:
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs.add(a.valuePos, "%s=%s: want a duration such as 1s or 250ms", a.name, v)
		case d < 0 || d == 0 && !s.zeroOK:
			errs.add(a.valuePos, "%s=%s: must be positive", a.name, v)
		case d%time.Microsecond != 0:
			errs.add(a.valuePos, "%s=%s: must be a whole number of microseconds", a.name, v)
		}
		a.d = d
	case argEnum:
		found := false
		for _, e := range s.values {
			found = found || e == v
		}
		if !found {
			errs.add(a.valuePos, "%s=%s: want one of %s%s", a.name, v, strings.Join(s.values, ", "), didYouMean(v, s.values))
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
		errs = append(errs, readQuotas(a)...)
	case argOn:
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
	}
	return errs
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
		return nil, &Error{Pos: p, Msg: a.name + "=: not a Go expression: " + msg}
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
			errs.add(p, "%s: %q: want a fraction in (0, 1], or NAME:fraction", a.name, text)
			continue
		}
		q.fraction = f
		if a.name == "priority_quota" && q.name != "" {
			if lower := strings.ToLower(q.name); lower != "high" && lower != "normal" && lower != "low" && lower != "none" {
				errs.add(p, "priority_quota: unknown priority %q: want high, normal, low or none (calls without a priority)%s", q.name, didYouMean(q.name, []string{"high", "normal", "low", "none"}))
				continue
			}
			q.name = strings.ToLower(q.name)
		}
		if seen[q.name] {
			errs.add(p, "%s: %q given twice", a.name, q.name)
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
