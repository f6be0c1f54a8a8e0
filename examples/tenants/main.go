// Command tenants is throttlegen's example of limits operators change while
// the program runs: a search service whose tenants get the searches per
// second their plan says (a per-call quota), a word budget shared by all
// tenants rolled out in shadow mode (cost= and mode=shadow), and an
// override file that gives one tenant more and enforces the budget, loaded
// while the service runs. A bad override file is refused, and the limits in
// force stay.
//
// Run it from the repository root:
//
//	go generate ./examples/tenants && go run ./examples/tenants
//
// The program drives a simulated clock, so that every run prints the same
// numbers: three seconds of traffic, one before and two after the override.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	throttle "github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// overrides is overrides.txt: what an operator puts in the file the
// service reloads.
//
//go:embed overrides.txt
var overrides string

// badOverrides is an operator's typo: the service refuses it.
const badOverrides = "search sliding_window qouta=10 key=acme\n"

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tenants:", err)
		os.Exit(1)
	}
}

// tenants are the service's customers.
var tenants = []Tenant{
	{ID: "acme", Plan: Pro},
	{ID: "globex", Plan: Free},
	{ID: "initech", Plan: Free},
}

// wordsOf is how many words each tenant's searches have.
var wordsOf = map[string]int{"acme": 100, "globex": 50, "initech": 50}

// run runs the simulation and prints what happened to w.
func run(ctx context.Context, w io.Writer) error {
	clk := fakeclock.New(time.Unix(1_800_000_000, 0))
	counts := &counter{}
	defer throttle.SaveConfig()()
	throttle.Configure(throttle.WithClock(clk), throttle.WithHook(counts), throttle.WithStore(throttle.NewMemoryStore()))

	s := &Search{}
	second := func(label string) {
		counts.reset()
		served := map[string]int{}
		for range 10 { // every tenant tries 10 searches in the second
			for _, t := range tenants {
				if _, err := s.QueryThrottled(ctx, t, make([]string, wordsOf[t.ID])); err == nil {
					served[t.ID]++
				} else if !errors.Is(err, throttle.ErrThrottled) {
					fmt.Fprintln(w, "error:", err)
				}
			}
		}
		fmt.Fprintf(w, "%s\n  served: acme %d, globex %d, initech %d\n", label, served["acme"], served["globex"], served["initech"])
		fmt.Fprintf(w, "  %s\n", counts)
		clk.Advance(time.Second)
	}

	second("second 1, the generated limits (pro 5/s, free 2/s; words in shadow):")

	// The operator's file, reloaded while the service runs (as a SIGHUP
	// handler or throttle.WatchOverrides would).
	dir, err := os.MkdirTemp("", "tenants")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "overrides.txt")
	if err := os.WriteFile(path, []byte(overrides), 0o644); err != nil {
		return err
	}
	if err := throttle.ReloadOverrides(path); err != nil {
		return err
	}
	second("second 2, with overrides.txt in force (acme 8/s; words enforced, 900/s):")

	if err := os.WriteFile(path, []byte(badOverrides), 0o644); err != nil {
		return err
	}
	var bad *throttle.OverrideError
	if err := throttle.ReloadOverrides(path); !errors.As(err, &bad) {
		return fmt.Errorf("the bad override file was not refused: %v", err)
	}
	fmt.Fprintln(w, "a bad override file is refused, the overrides in force stay:")
	for _, p := range bad.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	second("second 3, still with overrides.txt:")
	return nil
}

// counter is a throttle.Hook counting rejections, and the rejections a
// shadow limit would have made, by limit.
type counter struct {
	mu       sync.Mutex
	rejected map[string]int
	shadow   map[string]int
}

func (c *counter) OnDecision(e throttle.Event) {
	if e.Allowed || e.Reason == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Shadow {
		c.shadow[e.Name]++
	} else {
		c.rejected[e.Name]++
	}
}

func (c *counter) reset() {
	c.mu.Lock()
	c.rejected, c.shadow = map[string]int{}, map[string]int{}
	c.mu.Unlock()
}

func (c *counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "rejected: " + list(c.rejected) + "; would reject (shadow): " + list(c.shadow)
}

func list(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
