// Package redistest starts real redis-server processes for tests: a single
// node with Start, a Redis Cluster with StartCluster (masters only) or
// StartClusterWithReplicas (for failovers), a master watched by a Sentinel
// with StartSentinel. Servers listen on 127.0.0.1 only, on a free port, keep
// nothing on disk (--save "", --appendonly no), live in a temporary directory
// and are killed by pid when the test ends.
//
// When redis-server is not installed the test is skipped, unless the
// environment variable THROTTLEGEN_REQUIRE_REDIS=1 is set (CI sets it), in
// which case the test fails.
//
// The helpers are safe to call from parallel tests; each Server and Cluster
// is driven by one test goroutine at a time.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing redis-server
// into a test failure instead of a skip.
const RequireEnv = "THROTTLEGEN_REQUIRE_REDIS"

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// Binary returns the path of redis-server, or skips (or fails, under
// THROTTLEGEN_REQUIRE_REDIS=1) the test when it is not installed.
func Binary(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("redis-server not found and %s=1: %v", RequireEnv, err)
		}
		tb.Skipf("redis-server not found (set %s=1 to fail instead): %v", RequireEnv, err)
	}
	return path
}

// Server is one redis-server process.
type Server struct {
	tb     testing.TB
	bin    string
	dir    string
	port   int
	config string // a config file given as the first argument, or ""
	extra  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error // receives once when cmd exits
}

// Start starts a redis-server on a free loopback port and registers its
// killing with tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, tb.TempDir(), nil, 0)
}

func start(tb testing.TB, dir string, extra []string, busOffset int) *Server {
	tb.Helper()
	return startServer(tb, &Server{tb: tb, bin: Binary(tb), dir: dir, extra: extra}, busOffset)
}

// startWithConfig starts a server reading the config file conf.
func startWithConfig(tb testing.TB, dir, conf string, extra []string) *Server {
	tb.Helper()
	return startServer(tb, &Server{tb: tb, bin: Binary(tb), dir: dir, config: conf, extra: extra}, 0)
}

func startServer(tb testing.TB, s *Server, busOffset int) *Server {
	tb.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		s.port, err = freePort(busOffset)
		if err != nil {
			continue
		}
		if err = s.launch(); err == nil {
			tb.Cleanup(s.Kill)
			return s
		}
	}
	tb.Fatalf("redistest: cannot start redis-server: %v", err)
	return nil
}

// freePort returns a loopback port that is free now; with busOffset > 0,
// port+busOffset is free too (a cluster node's bus port).
func freePort(busOffset int) (int, error) {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if busOffset == 0 {
			l.Close()
			return port, nil
		}
		if port+busOffset > 65535 {
			l.Close()
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+busOffset))
		l.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return port, nil
	}
	return 0, errors.New("no free port pair")
}

func (s *Server) launch() error {
	var args []string
	if s.config != "" {
		args = append(args, s.config)
	}
	args = append(args,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	)
	args = append(args, s.extra...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %v: %s", err, lastLines(string(log), 5))
		default:
		}
		if _, err := Do(s.Addr(), "PING"); err == nil {
			s.mu.Lock()
			s.cmd, s.exited = cmd, exited
			s.mu.Unlock()
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("redis-server did not answer PING in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Addr returns the server's "127.0.0.1:port".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Port returns the server's port.
func (s *Server) Port() int { return s.port }

// running reports whether the server was started and not killed since.
func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Kill kills the server by pid (SIGKILL) and waits for it to exit. Killing a
// server that is not running does nothing.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd, s.exited = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Restart starts the server again on the same port (after Kill, or killing
// it first), with an empty dataset.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Kill()
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if err = s.launch(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.tb.Fatalf("redistest: cannot restart redis-server on port %d: %v", s.port, err)
}

// Do sends one command to addr over a fresh connection and returns the reply
// rendered as text (arrays joined by newlines). A Redis error reply is
// returned as an error.
func Do(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("redistest: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		parts := make([]string, n)
		for i := range parts {
			if parts[i], err = readReply(r); err != nil {
				return "", err
			}
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("redistest: unexpected reply %q", line)
}
