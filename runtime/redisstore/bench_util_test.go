package redisstore_test

import (
	goruntime "runtime"
	"sync/atomic"
)

func testingProcs() int { return goruntime.GOMAXPROCS(0) }

func atomicAdd(p *int64) int64 { return atomic.AddInt64(p, 1) }
