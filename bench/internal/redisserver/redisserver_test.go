package redisserver

import (
	"errors"
	"testing"
)

func TestStartStop(t *testing.T) {
	s, err := Start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr()); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
	s.Stop()
	s.Stop() // idempotent
	if err := ping(s.Addr()); err == nil {
		t.Fatal("server still answers after Stop")
	}
}
