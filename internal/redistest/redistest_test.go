package redistest

import (
	"strings"
	"testing"
)

func TestStartKillRestart(t *testing.T) {
	s := Start(t)
	if _, err := Do(s.Addr(), "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if got, err := Do(s.Addr(), "GET", "k"); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v", got, err)
	}
	if got, _ := Do(s.Addr(), "CONFIG", "GET", "bind"); !strings.Contains(got, "127.0.0.1") {
		t.Fatalf("bind = %q, want loopback only", got)
	}
	s.Kill()
	if _, err := Do(s.Addr(), "PING"); err == nil {
		t.Fatal("PING answered after Kill")
	}
	s.Restart()
	if got, err := Do(s.Addr(), "GET", "k"); err != nil || got != "" {
		t.Fatalf("after restart GET = %q, %v; want an empty dataset", got, err)
	}
}

func TestCluster(t *testing.T) {
	c := StartCluster(t, 3)
	info, err := Do(c.Nodes[2].Addr(), "CLUSTER", "INFO")
	if err != nil || !strings.Contains(info, "cluster_slots_assigned:16384") {
		t.Fatalf("CLUSTER INFO = %q, %v", info, err)
	}
	if len(c.Addrs()) != 3 {
		t.Fatalf("Addrs = %v", c.Addrs())
	}
}

func TestSentinel(t *testing.T) {
	s := StartSentinel(t)
	got, err := Do(s.Sentinel.Addr(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.Name)
	if err != nil || !strings.Contains(got, "127.0.0.1") {
		t.Fatalf("GET-MASTER-ADDR-BY-NAME = %q, %v", got, err)
	}
}
