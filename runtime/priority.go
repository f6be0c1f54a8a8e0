package runtime

import (
	"context"
	"strings"
)

// Priority orders calls competing for a concurrency limiter's capacity.
// The zero value is PriorityNormal.
type Priority int8

// The priorities, as aio-throttle names them.
const (
	PriorityNormal Priority = 0
	PriorityHigh   Priority = 1
	PriorityLow    Priority = -1
)

func (p Priority) String() string {
	switch p {
	case PriorityHigh:
		return "high"
	case PriorityLow:
		return "low"
	default:
		return "normal"
	}
}

// ParsePriority parses "high", "normal" or "low", in any case. Anything else
// is PriorityNormal.
func ParsePriority(s string) Priority {
	switch {
	case strings.EqualFold(s, "high"):
		return PriorityHigh
	case strings.EqualFold(s, "low"):
		return PriorityLow
	default:
		return PriorityNormal
	}
}

type priorityKey struct{}

// WithPriority returns a context carrying p, so that every wrapper called
// with it, or with a context derived from it, sees that priority.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority carried by ctx, and whether it carries one.
func PriorityFrom(ctx context.Context) (Priority, bool) {
	p, ok := ctx.Value(priorityKey{}).(Priority)
	return p, ok
}
