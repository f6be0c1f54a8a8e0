//go:build linux

package redisserver

import "syscall"

// sysProcAttr makes the kernel kill the server if the benchmark binary dies
// before it calls Stop.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
