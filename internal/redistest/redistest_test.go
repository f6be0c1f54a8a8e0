package redistest

import (
	"strings"
	"testing"
	"time"
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

// TestClusterFailover kills the master of a key's slot in a cluster with one
// replica per master: its replica, in sync before the kill, takes over with
// the key's value.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a six-node cluster")
	}
	c := StartClusterWithReplicas(t, 3, 1)
	if len(c.Nodes) != 6 {
		t.Fatalf("%d nodes, want 6", len(c.Nodes))
	}
	const key = "{t}k"
	master := c.MasterOf(t, key)
	replicas := c.ReplicasOf(t, master)
	if len(replicas) != 1 || replicas[0] == master {
		t.Fatalf("replicas of %s: %v", master.Addr(), replicas)
	}
	if _, err := Do(master.Addr(), "SET", key, "v"); err != nil {
		t.Fatal(err)
	}
	c.WaitReplicated(t, master, 10*time.Second)
	master.Kill()
	start := time.Now()
	promoted := c.WaitFailover(t, key, master, 20*time.Second)
	t.Logf("failover done after %v", time.Since(start))
	if promoted != replicas[0] || c.MasterOf(t, key) != promoted {
		t.Fatalf("promoted %s, want the replica %s", promoted.Addr(), replicas[0].Addr())
	}
	if got, err := Do(promoted.Addr(), "GET", key); err != nil || got != "v" {
		t.Fatalf("GET on the promoted replica = %q, %v", got, err)
	}
}
