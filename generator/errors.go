package generator

import (
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
)

// Error is one problem found by the generator, located in the user's
// source. Its Error method formats it as file:line:col: message, the form
// editors and the go command use.
type Error struct {
	Pos token.Position // where the problem is; Filename is empty only for load errors without a location
	Msg string
}

func (e *Error) Error() string {
	if !e.Pos.IsValid() && e.Pos.Filename == "" {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList is every problem found in one run, sorted by position. The
// generator collects all of them before reporting, so one run shows them
// all; nothing is written while the list is not empty.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find a single *Error in the list.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// add appends an error at pos.
func (l *ErrorList) add(pos token.Position, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// sort orders the list by file, line, column and message, and drops exact
// duplicates.
func (l *ErrorList) sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].Pos, s[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && e.Pos == s[i-1].Pos && e.Msg == s[i-1].Msg {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// err returns the list as an error, or nil when it is empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Relative returns a copy of the list whose file names are relative to dir
// where that is shorter, as the go command prints them.
func (l ErrorList) Relative(dir string) ErrorList {
	out := make(ErrorList, len(l))
	for i, e := range l {
		c := *e
		if c.Pos.Filename != "" && filepath.IsAbs(c.Pos.Filename) {
			if rel, err := filepath.Rel(dir, c.Pos.Filename); err == nil && !strings.HasPrefix(rel, "..") {
				if !strings.Contains(rel, string(filepath.Separator)) {
					rel = "." + string(filepath.Separator) + rel
				}
				c.Pos.Filename = rel
			}
		}
		out[i] = &c
	}
	return out
}
