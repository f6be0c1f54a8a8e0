package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
)

// Leases of scope=global concurrency pools (runtime.LeaseStore).
//
// A pool's state is three kinds of sorted sets whose members are lease IDs
// and whose scores are the leases' expiry times (µs, the server's clock):
//
//	<keyspace>:{<tag>}:concurrency:<enc(pool)>:l              every lease
//	<keyspace>:{<tag>}:concurrency:<enc(pool)>:c:<enc(consumer)>  one consumer's
//	<keyspace>:{<tag>}:concurrency:<enc(pool)>:p:<priority>   one priority's
//
// all under one hash tag derived from the pool, so each script touches one
// Cluster slot. A lease is in the pool's set, its consumer's and its
// priority's, always with the same score: acquiring and renewing update the
// three at once, and each script first drops the expired members of the sets
// it reads, so the leases of a dead process stop counting once they expire.
// Every key expires with its latest lease. Releasing a lease publishes on
// <keyspace>:{<tag>}:concurrency:<enc(pool)>:free, which waiting processes
// subscribe to (see lease_watch.go).
//
// Releasing a lease the pool does not hold leaves a tombstone, the lease's ID
// in the sorted set <keyspace>:{<tag>}:concurrency:<enc(pool)>:g until its
// TTL has passed, and acquiring a tombstoned ID takes nothing. A process
// releases the lease of a call that gave up before the store answered (the
// store may have granted it all the same, or may still grant it: a stalled
// server runs what it had received when it resumes, in no set order across
// connections); the tombstone makes that release exact whichever runs first.

// acquireLua: KEYS pool, consumer, priority sets, tombstones; ARGV id,
// capacity, consumer max, priority max (< 0: none), ttl µs, waited (1: check
// the capacity first). Returns {code, retry µs}: code 0 taken, 1 full,
// 2 priority quota, 3 consumer quota, 4 released before it was granted.
var acquireLua = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, 4 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return {4, 0} end
local function full()
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {1, math.max(tonumber(first[2]) - now, 1)}
  end
  return nil
end
if ARGV[6] == '1' then
  local f = full()
  if f then return f end
end
local pmax = tonumber(ARGV[4])
if pmax >= 0 and redis.call('ZCARD', KEYS[3]) + 1 > pmax then return {2, 0} end
local cmax = tonumber(ARGV[3])
if cmax >= 0 and redis.call('ZCARD', KEYS[2]) + 1 > cmax then return {3, 0} end
local f = full()
if f then return f end
local exp = now + tonumber(ARGV[5])
for i = 1, 3 do
  redis.call('ZADD', KEYS[i], exp, ARGV[1])
  local last = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[i], math.floor((tonumber(last[2]) - now) / 1000) + 1000)
end
return {0, 0}
`)

// renewLua: KEYS pool set, then each lease's consumer and priority sets;
// ARGV ttl µs, then the lease IDs. Extends every lease still alive; returns
// how many.
var renewLua = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local exp = now + tonumber(ARGV[1])
local ms = math.floor(tonumber(ARGV[1]) / 1000) + 1000
local n = 0
for i = 2, #ARGV do
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if s and tonumber(s) > now then
    local c, p = KEYS[2 * i - 2], KEYS[2 * i - 1]
    redis.call('ZADD', KEYS[1], 'XX', exp, ARGV[i])
    redis.call('ZADD', c, exp, ARGV[i])
    redis.call('ZADD', p, exp, ARGV[i])
    redis.call('PEXPIRE', c, ms)
    redis.call('PEXPIRE', p, ms)
    n = n + 1
  end
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], ms) end
return n
`)

// releaseLua: KEYS pool, consumer, priority sets, tombstones; ARGV id,
// channel, ttl µs. Leaves a tombstone when the lease was not held.
var releaseLua = redis.NewScript(`
local n = 0
for i = 1, 3 do n = n + redis.call('ZREM', KEYS[i], ARGV[1]) end
if n > 0 then
  redis.call('PUBLISH', ARGV[2], '1')
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local ttl = tonumber(ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  redis.call('ZADD', KEYS[4], now + ttl, ARGV[1])
  local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[4], math.floor((tonumber(last[2]) - now) / 1000) + 1000)
end
return n
`)

// poolPrefix is the part shared by every key and the channel of a pool.
func poolPrefix(ks, pool string) []byte {
	b := append([]byte(prefix(ks)), ":{"...)
	b = appendPoolTag(b, pool)
	b = append(b, "}:concurrency:"...)
	b = appendEnc(b, pool)
	return append(b, ':')
}

// appendPoolTag appends the hash tag of a pool: "c" and eight hex digits of
// an FNV-1a hash of its name.
func appendPoolTag(b []byte, pool string) []byte {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for i := 0; i < len(pool); i++ {
		h = (h ^ uint32(pool[i])) * prime
	}
	const digits = "0123456789abcdef"
	b = append(b, 'c')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, digits[(h>>uint(shift))&0xf])
	}
	return b
}

// tombstoneKey returns the set of the pool's released lease IDs.
func tombstoneKey(req *runtime.LeaseRequest) string {
	return string(append(poolPrefix(req.Keyspace, req.Pool), 'g'))
}

// leaseKeys returns the pool, consumer and priority sets of a lease.
func leaseKeys(req *runtime.LeaseRequest) []string {
	p := poolPrefix(req.Keyspace, req.Pool)
	return []string{
		string(append(p[:len(p):len(p)], 'l')),
		string(appendEnc(append(p[:len(p):len(p)], "c:"...), req.Consumer)),
		string(append(append(p[:len(p):len(p)], "p:"...), req.Priority...)),
	}
}

// LeaseChannel returns the pub/sub channel on which releases of pool's
// leases in keyspace ks are announced.
func LeaseChannel(ks, pool string) string {
	return string(append(poolPrefix(ks, pool), "free"...))
}

func leaseMicros(d time.Duration) int64 { return max(int64(d/time.Microsecond), 1) }

// AcquireLease implements runtime.LeaseStore: one script, one round trip.
func (s *Store) AcquireLease(ctx context.Context, req *runtime.LeaseRequest) (runtime.LeaseResult, error) {
	var v []int64
	err := s.run(ctx, func(ctx context.Context) (err error) {
		v, err = acquireLua.Run(ctx, s.client, append(leaseKeys(req), tombstoneKey(req)), req.ID, req.Capacity,
			req.ConsumerMax, req.PriorityMax, leaseMicros(req.TTL), capacityFirst(req.CapacityFirst)).Int64Slice()
		return err
	})
	if err != nil {
		return runtime.LeaseResult{}, err
	}
	if len(v) != 2 {
		return runtime.LeaseResult{}, unavailable(errMalformedReply)
	}
	switch v[0] {
	case 0:
		return runtime.LeaseResult{}, nil
	case 1:
		return runtime.LeaseResult{Reason: runtime.ReasonFullQueue, RetryIn: time.Duration(v[1]) * time.Microsecond}, nil
	case 2:
		return runtime.LeaseResult{Reason: runtime.ReasonPriorityQuota}, nil
	case 4:
		return runtime.LeaseResult{Reason: runtime.ReasonDeadline}, nil
	default:
		return runtime.LeaseResult{Reason: runtime.ReasonConsumerQuota}, nil
	}
}

// RenewLeases implements runtime.LeaseStore: one script per pool.
func (s *Store) RenewLeases(ctx context.Context, leases []*runtime.LeaseRequest) error {
	type group struct {
		keys []string
		args []any
	}
	groups := map[[2]string]*group{}
	var order [][2]string
	for _, l := range leases {
		k := [2]string{l.Keyspace, l.Pool}
		g := groups[k]
		keys := leaseKeys(l)
		if g == nil {
			g = &group{keys: keys[:1], args: []any{leaseMicros(l.TTL)}}
			groups[k] = g
			order = append(order, k)
		}
		g.keys = append(g.keys, keys[1], keys[2])
		g.args = append(g.args, l.ID)
	}
	return s.run(ctx, func(ctx context.Context) error {
		for _, k := range order {
			g := groups[k]
			if err := renewLua.Run(ctx, s.client, g.keys, g.args...).Err(); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReleaseLease implements runtime.LeaseStore.
func (s *Store) ReleaseLease(ctx context.Context, req *runtime.LeaseRequest) error {
	return s.run(ctx, func(ctx context.Context) error {
		return releaseLua.Run(ctx, s.client, append(leaseKeys(req), tombstoneKey(req)), req.ID,
			LeaseChannel(req.Keyspace, req.Pool), leaseMicros(req.TTL)).Err()
	})
}

var _ runtime.LeaseStore = (*Store)(nil)

func capacityFirst(w bool) int {
	if w {
		return 1
	}
	return 0
}
