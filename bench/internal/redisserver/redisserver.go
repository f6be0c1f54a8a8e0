// Package redisserver starts a throw-away redis-server for the benchmarks:
// on 127.0.0.1, on a free port, with nothing kept on disk (--save "",
// --appendonly no), in a temporary directory. It is a small twin of the main
// module's internal/redistest, which this module cannot import.
//
// A Server is safe for concurrent use; Stop may be called more than once.
package redisserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotInstalled is returned by Start when redis-server is not on PATH.
var ErrNotInstalled = errors.New("redis-server not installed")

// startTimeout bounds how long the server may take to answer PING.
const startTimeout = 10 * time.Second

// Server is one running redis-server process.
type Server struct {
	addr string
	dir  string

	stopOnce sync.Once
	cmd      *exec.Cmd
	exited   chan struct{}
}

// Start launches redis-server and waits until it answers PING. The caller
// must call Stop. It returns an error wrapping ErrNotInstalled when
// redis-server is absent.
func Start() (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	dir, err := os.MkdirTemp("", "throttlegen-bench-redis-")
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		var s *Server
		if s, err = launch(bin, dir); err == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

// freePort returns a loopback port that is free now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func launch(bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no",
		"--loglevel", "warning")
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{addr: "127.0.0.1:" + strconv.Itoa(port), dir: dir, cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.exited:
			return nil, errors.New("redis-server exited before answering PING (port taken?)")
		default:
		}
		if err := ping(s.addr); err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-s.exited
			return nil, errors.New("redis-server did not answer PING in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping sends one inline PING and checks for +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected PING reply %q", line)
	}
	return nil
}

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr }

// Stop kills the server by its pid, waits for it to exit and removes its
// directory.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.cmd.Process.Kill()
		<-s.exited
		os.RemoveAll(s.dir)
	})
}
