// Package redisstore is throttlegen's Redis backend: a runtime.Store that
// decides rate limits for any number of processes through
// github.com/redis/go-redis/v9, with a single node, a Redis Cluster or a
// Sentinel-managed master.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	store := redisstore.New(rdb)
//	defer store.Close()
//	runtime.Configure(runtime.WithStore(store), runtime.WithKeyspace("myapp"))
//
// # Model
//
// The five rate algorithms run in Lua (lua/*.lua, one file per algorithm,
// each mirroring its Go twin in the runtime package line by line over
// integer microseconds). A decision is one EVALSHA, of its algorithm's own
// script when it has one limit (the common case: a run then creates only
// what that algorithm needs), of a dispatcher holding all five otherwise:
// every limit of the request is one key in KEYS, the script reads the Redis
// server's clock,
// decides every limit and commits all or none, and gives every key it writes
// a TTL after which the state is as good as fresh. The in-memory store and
// this one make the same decisions for the same calls at the same times.
//
// Keys are "<keyspace>:{<tag>}:<policy>:<name>:<key>" with the name and
// the user key encoded so that no characters can make two limits share a
// key or move a decision across Cluster slots. Every limit key of a keyspace
// carries the same hash tag, so that any limits may be decided together
// atomically and a limit has one state whatever else its decisions hold;
// WithSpreadKeys spreads per-user limits over a cluster instead, at a cost
// it documents.
//
// # Failure
//
// Every Decide and Cancel is bounded by WithTimeout (100ms by default); an
// error wraps runtime.ErrStoreUnavailable and the caller follows its fail
// policy. Stats counts errors. Nothing is cached about the server, so
// decisions resume as soon as it answers again (a restarted server gets the
// script again on the first NOSCRIPT, the only answer the store replays).
// go-redis itself retries a command whose connection broke (MaxRetries);
// such a replay can count a call twice (never admit more), so set
// MaxRetries: -1 on the client when that matters.
//
// # Throughput
//
// Concurrent decisions are coalesced by a batcher goroutine: everything
// queued while a round trip is in flight goes in the next one, and calls
// whose keys share a hash tag (all of a keyspace's, by default) and a script
// share one script run, which reads the clock once and each hot key once. Close stops
// the batcher. With a client that has ContextTimeoutEnabled (recommended), a
// decision that finds the store idle makes its round trip itself, without the
// hand-off to the batcher. WithPipelining(false) makes every decision its own
// round trip.
package redisstore
