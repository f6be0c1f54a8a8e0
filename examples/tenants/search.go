package main

import (
	"context"
	"strings"
)

//go:generate go tool throttlegen

// Plan is what a tenant pays for: how many searches per second it may make.
type Plan struct {
	Name      string
	PerSecond int64
}

// The plans on sale.
var (
	Free = Plan{Name: "free", PerSecond: 2}
	Pro  = Plan{Name: "pro", PerSecond: 5}
)

// Tenant is a customer of the search service.
type Tenant struct {
	ID   string
	Plan Plan
}

// WordsPerSecond is the budget of words the search backend can take from
// all tenants together.
const WordsPerSecond = 500

// Search stands for a search backend that charges by the word.
type Search struct{}

// Query searches for words on behalf of t. Two limits guard it:
//
//   - search: each tenant makes at most its plan's searches per second (a
//     per-call quota: one limit state per tenant, judged with the quota of
//     the call at hand);
//   - words: all tenants together send at most WordsPerSecond words per
//     second, each query costing its number of words (cost=). The limit is
//     new: it runs in shadow mode, deciding and reporting every query
//     without rejecting any, until an operator enforces it with an override.
//
//throttle:sliding_window quota=t.Plan.PerSecond duration=1s key=t.ID name=search
//throttle:token_bucket quota=WordsPerSecond duration=1s cost=len(words) name=words mode=shadow
func (s *Search) Query(ctx context.Context, t Tenant, words []string) (string, error) {
	return strings.Join(words, " "), nil
}
