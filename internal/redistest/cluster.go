package redistest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// FailoverNodeTimeout is the cluster-node-timeout of the nodes
// StartClusterWithReplicas starts: a master that answers nothing for this
// long is deemed failing, and one of its replicas takes over a second or two
// later.
const FailoverNodeTimeout = time.Second

// Cluster is a Redis Cluster, every node on 127.0.0.1.
type Cluster struct {
	// Nodes holds every node started: the masters first, then the replicas
	// (those of master 0, then those of master 1, ...). Roles change after a
	// failover; MasterOf tells which node serves a key now.
	Nodes []*Server
}

// StartCluster starts masters cluster-enabled nodes, splits the 16384 slots
// evenly among them, joins them with CLUSTER MEET and waits until every node
// reports cluster_state:ok. The nodes are killed when the test ends.
func StartCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	if masters < 1 {
		tb.Fatalf("redistest: StartCluster needs at least one master, got %d", masters)
	}
	return startCluster(tb, masters, 0, []string{"--cluster-node-timeout", "5000"})
}

// StartClusterWithReplicas starts a Redis Cluster of masters masters, each
// with replicasPerMaster replicas, whose nodes deem a silent node failing
// after FailoverNodeTimeout, and whose replicas take over from a failed
// master however long ago they last heard from it
// (cluster-replica-validity-factor 0). It returns once every node reports
// cluster_state:ok, every replica's link to its master is up (the initial
// sync done) and every master lists its replicas in CLUSTER NODES (which it
// learns through the cluster bus, after the replica: ReplicasOf and
// WaitReplicated read it there). Kill a master (Server.Kill) to cause a failover, and wait for
// its end with WaitFailover. The nodes are killed when the test ends.
func StartClusterWithReplicas(tb testing.TB, masters, replicasPerMaster int) *Cluster {
	tb.Helper()
	if replicasPerMaster < 0 {
		tb.Fatalf("redistest: StartClusterWithReplicas: %d replicas per master", replicasPerMaster)
	}
	return startCluster(tb, masters, replicasPerMaster, []string{
		"--cluster-node-timeout", strconv.FormatInt(FailoverNodeTimeout.Milliseconds(), 10),
		"--cluster-replica-validity-factor", "0",
		// Replicas sync at once (the default waits 5 s for more replicas).
		"--repl-diskless-sync-delay", "0",
	})
}

func startCluster(tb testing.TB, masters, replicasPerMaster int, extra []string) *Cluster {
	tb.Helper()
	if masters < 1 {
		tb.Fatalf("redistest: a cluster needs at least one master, got %d", masters)
	}
	c := &Cluster{}
	for i := 0; i < masters*(1+replicasPerMaster); i++ {
		c.Nodes = append(c.Nodes, start(tb, tb.TempDir(), append([]string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
		}, extra...), 10000))
	}
	for i, n := range c.Nodes[:masters] {
		lo := i * clusterSlots / masters
		hi := (i+1)*clusterSlots/masters - 1
		if _, err := Do(n.Addr(), "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)); err != nil {
			tb.Fatalf("redistest: ADDSLOTSRANGE on %s: %v", n.Addr(), err)
		}
	}
	for _, n := range c.Nodes[1:] {
		if _, err := Do(c.Nodes[0].Addr(), "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(n.Port())); err != nil {
			tb.Fatalf("redistest: CLUSTER MEET %s: %v", n.Addr(), err)
		}
	}
	if replicasPerMaster > 0 {
		c.replicate(tb, masters, replicasPerMaster)
	}
	if err := c.waitOK(30 * time.Second); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return c
}

// replicate makes the nodes after the masters replicas, replicasPerMaster of
// each master in turn, and waits until every replica is in sync and every
// master lists its replicas.
func (c *Cluster) replicate(tb testing.TB, masters, replicasPerMaster int) {
	tb.Helper()
	ids := make([]string, masters)
	for i, m := range c.Nodes[:masters] {
		id, err := Do(m.Addr(), "CLUSTER", "MYID")
		if err != nil {
			tb.Fatalf("redistest: CLUSTER MYID on %s: %v", m.Addr(), err)
		}
		ids[i] = id
	}
	deadline := time.Now().Add(30 * time.Second)
	for i, r := range c.Nodes[masters:] {
		id := ids[i/replicasPerMaster]
		// The replica must have heard of its master through the MEETs first.
		retry(tb, deadline, func() error {
			if _, err := Do(r.Addr(), "CLUSTER", "REPLICATE", id); err != nil {
				return fmt.Errorf("CLUSTER REPLICATE %s on %s: %v", id, r.Addr(), err)
			}
			return nil
		})
	}
	for _, r := range c.Nodes[masters:] {
		retry(tb, deadline, func() error {
			if info, err := Do(r.Addr(), "INFO", "replication"); err != nil || !strings.Contains(info, "master_link_status:up") {
				return fmt.Errorf("replica %s not in sync: %v %q", r.Addr(), err, info)
			}
			return nil
		})
	}
	for i, m := range c.Nodes[:masters] {
		want := c.Nodes[masters+i*replicasPerMaster : masters+(i+1)*replicasPerMaster]
		retry(tb, deadline, func() error {
			got, err := c.replicasOf(m)
			if err != nil || len(got) != len(want) || slices.ContainsFunc(got, func(s *Server) bool { return !slices.Contains(want, s) }) {
				return fmt.Errorf("master %s lists replicas %v (%v), want %v", m.Addr(), addrs(got), err, addrs(want))
			}
			return nil
		})
	}
}

// retry calls try every 50 ms until it returns nil, and fails tb with its
// latest error once deadline has passed.
func retry(tb testing.TB, deadline time.Time, try func() error) {
	tb.Helper()
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func addrs(ss []*Server) []string {
	var as []string
	for _, s := range ss {
		as = append(as, s.Addr())
	}
	return as
}

// Addrs returns the nodes' addresses, for redis.ClusterOptions.Addrs.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// waitOK waits until every running node sees every node and all slots
// served.
func (c *Cluster) waitOK(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	want := "cluster_known_nodes:" + strconv.Itoa(len(c.Nodes))
	for {
		ok := true
		var last string
		for _, n := range c.Nodes {
			if !n.running() {
				continue
			}
			info, err := Do(n.Addr(), "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, want) {
				ok, last = false, fmt.Sprintf("%s: %v %q", n.Addr(), err, info)
				break
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not ok after %v: %s", timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// node is one line of CLUSTER NODES.
type node struct {
	id, master string // master: the id of the node it replicates, or "-"
	port       int
	flags      []string
	slots      [][2]int
}

func (n *node) is(flag string) bool {
	for _, f := range n.flags {
		if f == flag {
			return true
		}
	}
	return false
}

func (n *node) serves(slot int) bool {
	for _, r := range n.slots {
		if r[0] <= slot && slot <= r[1] {
			return true
		}
	}
	return false
}

// nodes returns the cluster as addr sees it (CLUSTER NODES), slot ranges
// being moved left out.
func nodes(addr string) ([]node, error) {
	out, err := Do(addr, "CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	var ns []node
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("CLUSTER NODES line %q", line)
		}
		hostPort, _, _ := strings.Cut(f[1], "@")
		_, p, _ := strings.Cut(hostPort, ":")
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("CLUSTER NODES line %q: %v", line, err)
		}
		n := node{id: f[0], master: f[3], port: port, flags: strings.Split(f[2], ",")}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue
			}
			lo, hi, found := strings.Cut(r, "-")
			if !found {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("CLUSTER NODES slots %q", r)
			}
			n.slots = append(n.slots, [2]int{a, b})
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// byPort returns the node of c listening on port, or nil.
func (c *Cluster) byPort(port int) *Server {
	for _, s := range c.Nodes {
		if s.Port() == port {
			return s
		}
	}
	return nil
}

// anyRunning returns a node of c that runs.
func (c *Cluster) anyRunning(tb testing.TB) *Server {
	tb.Helper()
	for _, s := range c.Nodes {
		if s.running() {
			return s
		}
	}
	tb.Fatal("redistest: no node of the cluster runs")
	return nil
}

// Slot returns the hash slot of key (CLUSTER KEYSLOT).
func (c *Cluster) Slot(tb testing.TB, key string) int {
	tb.Helper()
	out, err := Do(c.anyRunning(tb).Addr(), "CLUSTER", "KEYSLOT", key)
	if err != nil {
		tb.Fatalf("redistest: CLUSTER KEYSLOT: %v", err)
	}
	slot, err := strconv.Atoi(out)
	if err != nil {
		tb.Fatalf("redistest: CLUSTER KEYSLOT = %q: %v", out, err)
	}
	return slot
}

// MasterOf returns the master that serves key's slot, as a running node of
// the cluster sees it now.
func (c *Cluster) MasterOf(tb testing.TB, key string) *Server {
	tb.Helper()
	slot := c.Slot(tb, key)
	addr := c.anyRunning(tb).Addr()
	ns, err := nodes(addr)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	for _, n := range ns {
		if n.is("master") && n.serves(slot) {
			if s := c.byPort(n.port); s != nil {
				return s
			}
		}
	}
	tb.Fatalf("redistest: no master of slot %d in CLUSTER NODES of %s", slot, addr)
	return nil
}

// ReplicasOf returns the nodes that replicate master, as master sees it.
func (c *Cluster) ReplicasOf(tb testing.TB, master *Server) []*Server {
	tb.Helper()
	rs, err := c.replicasOf(master)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return rs
}

func (c *Cluster) replicasOf(master *Server) ([]*Server, error) {
	ns, err := nodes(master.Addr())
	if err != nil {
		return nil, err
	}
	var id string
	for _, n := range ns {
		if n.is("myself") {
			id = n.id
		}
	}
	var rs []*Server
	for _, n := range ns {
		if n.master == id && id != "" {
			if s := c.byPort(n.port); s != nil {
				rs = append(rs, s)
			}
		}
	}
	return rs, nil
}

// WaitReplicated waits until every replica of master has received every
// write master had made when WaitReplicated was called (its replication
// offset reaches the master's). Redis replicates asynchronously: a write a
// replica has not received when its master dies is lost in a failover.
func (c *Cluster) WaitReplicated(tb testing.TB, master *Server, timeout time.Duration) {
	tb.Helper()
	want, err := replOffset(master.Addr())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	deadline := time.Now().Add(timeout)
	for _, r := range c.ReplicasOf(tb, master) {
		for {
			got, err := replOffset(r.Addr())
			if err == nil && got >= want {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("redistest: replica %s at offset %d (%v), master %s at %d", r.Addr(), got, err, master.Addr(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// replOffset returns the master_repl_offset of INFO replication: on a
// master, how far it has written; on a replica, how far it has received.
func replOffset(addr string) (int64, error) {
	info, err := Do(addr, "INFO", "replication")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "master_repl_offset:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no master_repl_offset in INFO replication of %s", addr)
}

// WaitFailover waits until the cluster has replaced old, the master of key's
// slot (killed or stopped by the test): every running node reports
// cluster_state:ok and sees a running node other than old as the master of
// the slot. It returns that node, or fails the test after timeout.
func (c *Cluster) WaitFailover(tb testing.TB, key string, old *Server, timeout time.Duration) *Server {
	tb.Helper()
	slot := c.Slot(tb, key)
	deadline := time.Now().Add(timeout)
	for {
		master, why := c.agreedMaster(slot, old)
		if master != nil {
			return master
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: no failover of slot %d after %v: %s", slot, timeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// agreedMaster returns the master of slot that every running node but old
// agrees on, when it is not old and the cluster is ok; else nil and why not.
func (c *Cluster) agreedMaster(slot int, old *Server) (*Server, string) {
	var master *Server
	for _, s := range c.Nodes {
		if s == old || !s.running() {
			continue
		}
		info, err := Do(s.Addr(), "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			return nil, fmt.Sprintf("%s: %v %q", s.Addr(), err, info)
		}
		ns, err := nodes(s.Addr())
		if err != nil {
			return nil, err.Error()
		}
		var m *Server
		for _, n := range ns {
			if n.is("master") && !n.is("fail") && n.serves(slot) {
				m = c.byPort(n.port)
			}
		}
		if m == nil || m == old || (master != nil && m != master) {
			return nil, fmt.Sprintf("%s sees the master of slot %d at %v", s.Addr(), slot, m)
		}
		master = m
	}
	return master, ""
}
