package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

func TestMain(m *testing.M) {
	if isHelperProcess() {
		helperProcess()
		return
	}
	goleak.VerifyTestMain(m)
}

// newStore starts a redis-server and returns a store over a client of it;
// both are closed when the test ends.
func newStore(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	s := redisstore.New(rdb, opts...)
	t.Cleanup(func() {
		s.Close()
		rdb.Close()
	})
	return s, srv
}
