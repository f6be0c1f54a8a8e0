package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Client is one kind of caller in a load run.
type Client struct {
	Consumer string // X-Service-Name ("" sends none)
	Priority string // X-Request-Priority ("" sends none)
	Path     string // e.g. "/api/report"
	N        int    // how many such callers run at once
}

// DefaultMix is the load the -load and -demo modes send: interactive
// callers of reports at high and normal priority (mobile with more callers
// than its share; search sends no priority, which is normal), a batch job
// flooding the reports at low priority, and a crawler asking for more of the
// API than its share.
//
// The interactive callers alone ask for 6 reports at once (2 per consumer,
// its quota) from a pool that runs 4, so someone is nearly always waiting:
// the batch job is shed for a full queue when it asks then, and for its
// priority quota when a batch report already runs, however slow the
// machine. (Web and mobile alone ask for 4, the capacity: the queue would
// then be used only when they and a batch report all want a slot at the
// same instant, which a busy machine rarely sees.)
var DefaultMix = []Client{
	{Consumer: "web", Priority: "high", Path: "/api/report", N: 2},
	{Consumer: "mobile", Priority: "normal", Path: "/api/report", N: 3},
	{Consumer: "search", Path: "/api/report", N: 2},
	{Consumer: "batch", Priority: "low", Path: "/api/report", N: 8},
	{Consumer: "crawler", Path: "/api/hello", N: 10},
}

// Tally counts the answers one kind of caller got. Answers maps a status
// and X-Throttled-Reason ("200", "503 rejected due to full queue") to a
// count.
type Tally struct {
	Client
	Sent    int
	Answers map[string]int
}

// Load sends requests to base from every caller of mix until ctx ends or d
// passes, each caller waiting for its answer before sending again (and
// pausing 10ms after a rejection), and tallies the answers by caller kind.
func Load(ctx context.Context, base string, mix []Client, d time.Duration) ([]Tally, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer hc.CloseIdleConnections()
	tallies := make([]Tally, len(mix))
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for i, c := range mix {
		tallies[i] = Tally{Client: c, Answers: map[string]int{}}
		for range c.N {
			wg.Go(func() {
				for ctx.Err() == nil {
					answer, err := send(ctx, hc, base, c)
					if ctx.Err() != nil {
						return // cut short by the end of the run: not an answer
					}
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					if err == nil {
						tallies[i].Sent++
						tallies[i].Answers[answer]++
					}
					mu.Unlock()
					if err != nil || answer != "200" {
						select {
						case <-ctx.Done():
						case <-time.After(10 * time.Millisecond):
						}
					}
				}
			})
		}
	}
	wg.Wait()
	return tallies, firstErr
}

// send makes one request and describes its answer.
func send(ctx context.Context, hc *http.Client, base string, c Client) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+c.Path, nil)
	if err != nil {
		return "", err
	}
	if c.Consumer != "" {
		req.Header.Set(ConsumerHeader, c.Consumer)
	}
	if c.Priority != "" {
		req.Header.Set(PriorityHeader, c.Priority)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	answer := fmt.Sprint(resp.StatusCode)
	if reason := resp.Header.Get("X-Throttled-Reason"); reason != "" {
		answer += " " + reason
	}
	return answer, nil
}

// PrintTallies writes tallies as a table.
func PrintTallies(w io.Writer, tallies []Tally) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "consumer\tpriority\tpath\tsent\tanswers")
	for _, t := range tallies {
		keys := make([]string, 0, len(t.Answers))
		for k := range t.Answers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %d", k, t.Answers[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", t.Consumer, t.Priority, t.Path, t.Sent, strings.Join(parts, ", "))
	}
	tw.Flush()
}
