package redisstore_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// quietLogger drops go-redis's log lines (dial failures are expected while
// the failure tests keep a server down).
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...interface{}) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{})
	if isHelperProcess() {
		if os.Getenv(helperOverridesEnv) != "" {
			overrideHelper()
		} else {
			helperProcess()
		}
		return
	}
	// go-redis redials in a goroutine of its own after dial errors; it ends
	// within a second of the client's Close.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// testTimeout bounds decisions in tests that check decisions rather than
// failures: generous, since -race and a busy machine slow round trips down.
var testTimeout = redisstore.WithTimeout(10 * time.Second)

// newStore starts a redis-server and returns a store over a client of it;
// both are closed when the test ends. Decisions are bounded by testTimeout
// unless opts say otherwise.
func newStore(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	s := redisstore.New(rdb, append([]redisstore.Option{testTimeout}, opts...)...)
	t.Cleanup(func() {
		s.Close()
		rdb.Close()
	})
	return s, srv
}

// untilStopped runs body in a loop on each of n goroutines until the
// returned stop is called; stop waits for them to return, and may be called
// again.
func untilStopped(n int, body func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				body()
			}
		}()
	}
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}
