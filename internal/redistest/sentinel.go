package redistest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sentinel is a master watched by one Redis Sentinel, for
// redis.NewFailoverClient.
type Sentinel struct {
	Master   *Server
	Sentinel *Server
	Name     string // the monitored master's name
}

// StartSentinel starts a master and a sentinel (redis-server --sentinel)
// monitoring it under the name "mymaster", and waits until the sentinel
// reports the master's address. Both are killed when the test ends.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	master := Start(tb)
	dir := tb.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	cfg := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 1\nsentinel down-after-milliseconds mymaster 5000\n", master.Port())
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	// The config file goes first: redis-server reads its path as the first
	// argument, and the sentinel rewrites it.
	sentinel := startWithConfig(tb, dir, conf, []string{"--sentinel"})
	deadline := time.Now().Add(startTimeout)
	for {
		addr, err := Do(sentinel.Addr(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
		if err == nil && strings.Contains(addr, strconv.Itoa(master.Port())) {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: sentinel does not know the master: %q %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Sentinel{Master: master, Sentinel: sentinel, Name: "mymaster"}
}
