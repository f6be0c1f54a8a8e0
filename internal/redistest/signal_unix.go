//go:build unix

package redistest

import "syscall"

// Stop freezes the server (SIGSTOP): it keeps its connections open and
// answers nothing until Continue, as a stalled or swapping server would.
// A stopped server is killed (SIGKILL) by the cleanup as usual.
func (s *Server) Stop() { s.signal(syscall.SIGSTOP) }

// Continue resumes a server frozen by Stop (SIGCONT).
func (s *Server) Continue() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.tb.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.tb.Fatalf("redistest: signal %v: the server is not running", sig)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.tb.Fatalf("redistest: signal %v: %v", sig, err)
	}
}
