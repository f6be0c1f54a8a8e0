package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/runtime"
)

// Store is a runtime.Store over Redis: a single node, a Redis Cluster or a
// Sentinel-managed master, through any redis.UniversalClient.
//
// Every decision is one EVALSHA: of its algorithm's script for a decision
// over one limit, of the dispatcher holding the five algorithms otherwise.
// All keys of the request go in KEYS (one per limit, all in one Cluster
// slot), the script reads the server's clock (TIME) unless the request
// carries Now, decides every limit and commits all of them or none, and sets
// a TTL on every key it writes. A NOSCRIPT answer (a restarted or new server)
// is answered by sending the script with EVAL once; nothing else is replayed.
//
// Concurrent decisions are coalesced: they queue for a batcher goroutine that
// sends everything queued in one round trip, one script run per hash tag
// (one per keyspace by default), so many goroutines share round trips and
// script runs (WithPipelining turns this off). Each decision is bounded by
// WithTimeout whatever the server does and whatever the client's options; an
// error wraps runtime.ErrStoreUnavailable (and runtime.ErrStoreMisconfigured
// for errors retrying cannot fix), and the limiter then follows the limit's
// fail policy. After a failure a breaker leaves the store alone: every
// operation fails at once, without waiting on the network, while a PING
// after each back-off (100 ms, doubling to 500 ms) finds out when Redis
// answers again. With a Cluster client, the store also has the client reload
// the slot layout when the breaker opens and before each PING, so that
// decisions find the replica promoted by a failover. A runtime.StoreHook
// sees each change.
//
// A Store is safe for concurrent use. Close stops its batcher goroutines.
type Store struct {
	client redis.UniversalClient
	opt    options

	// The queue: calls waiting for a batcher, and the batchers' calls in
	// flight, both guarded by mu and watched by the watchdog (see queue.go).
	mu       sync.Mutex
	pending  []*call
	batchers []*batcher
	wake     chan struct{} // cap 1: pending has calls for a batcher
	kick     chan struct{} // cap 1: calls are queued; the watchdog watches
	quit     chan struct{} // closed by Close: batchers drain and stop
	stopWD   chan struct{} // closed by Close once the batchers stopped
	wg       sync.WaitGroup
	wdWG     sync.WaitGroup
	closing  sync.Once
	closed   atomic.Bool

	sharded    bool         // the client spreads keys over servers by hash tag
	honoursCtx bool         // the client bounds socket I/O by the context's deadline
	queued     atomic.Int64 // calls handed to the batchers, not yet answered
	directs    atomic.Int32 // idle-store round trips made by callers
	calls      sync.Pool
	stats      counters
	brk        breaker
	probes     sync.WaitGroup // the breaker's probe running
	procs      processes
	misconf    misconfigs
}

// New returns a Store deciding through client. The client stays the
// caller's: Close does not close it.
func New(client redis.UniversalClient, opts ...Option) *Store {
	s := &Store{client: client, opt: defaultOptions(), quit: make(chan struct{}), stopWD: make(chan struct{}),
		wake: make(chan struct{}, 1), kick: make(chan struct{}, 1), procs: newProcesses()}
	for _, o := range opts {
		o(&s.opt)
	}
	s.brk.probe = s.probe
	switch c := client.(type) {
	case *redis.Client:
		s.honoursCtx = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		s.sharded, s.honoursCtx = true, c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		s.sharded, s.honoursCtx = true, c.Options().ContextTimeoutEnabled
	}
	if s.opt.pipelining {
		for i := 0; i < s.opt.pipelines; i++ {
			b := &batcher{s: s, pipe: client.Pipeline()}
			s.batchers = append(s.batchers, b)
			s.wg.Add(1)
			go b.run()
		}
		s.wdWG.Add(1)
		go s.watch()
	}
	return s
}

// Client returns the client the store decides through, for code that keeps
// other state next to the limits (leases, shared caches).
func (s *Store) Client() redis.UniversalClient { return s.client }

// Close stops the batcher goroutines; decisions queued or made afterwards
// fail with an error wrapping runtime.ErrStoreUnavailable. It does not close
// the client. Close is idempotent.
func (s *Store) Close() error {
	s.closing.Do(func() {
		// enqueue checks closed under mu, so no call enters pending after
		// the batchers, told by quit, have drained it.
		s.closed.Store(true)
		s.brk.stop()
		close(s.quit)
		s.wg.Wait() // the batchers answer or fail every queued call
		close(s.stopWD)
		s.wdWG.Wait()
		s.probes.Wait()
		s.procs.wg.Wait()
	})
	return nil
}

var (
	errClosed  = errors.New("redisstore: store closed")
	errTimeout = errors.New("redisstore: no answer within the decision timeout")
)

// unavailable wraps cause so that errors.Is(err, runtime.ErrStoreUnavailable)
// and errors.Is(err, cause) both hold.
func unavailable(cause error) error {
	return fmt.Errorf("%w: %w", runtime.ErrStoreUnavailable, cause)
}

// Decide implements runtime.Store. Each limit of req brings the values in
// force for this call (they may change between calls of one limit: the
// state under its key stays), and req.Costs the units the call takes.
func (s *Store) Decide(ctx context.Context, req *runtime.Request) (runtime.Decision, error) {
	if err := validate(req); err != nil {
		return runtime.Decision{}, err
	}
	if free(req) {
		return runtime.Decision{Allowed: true, Rejected: -1}, nil // every cost 0: nothing to decide
	}
	if err := s.guard(); err != nil {
		return runtime.Decision{}, err
	}
	c := s.getCall()
	c.prepare(req, modeDecide, s.opt.spread)
	if err := s.do(ctx, c); err != nil {
		s.stats.errors.Add(1)
		return runtime.Decision{}, err
	}
	d, err := parseDecision(c.reply)
	s.putCall(c)
	if err != nil {
		s.stats.errors.Add(1)
		return runtime.Decision{}, s.classify(ctx, err)
	}
	if d.Allowed {
		s.stats.allowed.Add(1)
	} else {
		s.stats.rejected.Add(1)
	}
	return d, nil
}

// Cancel implements runtime.Store: it gives back, on every limit of req, the
// reservation of one admitted call with a delay.
func (s *Store) Cancel(ctx context.Context, req *runtime.Request) error {
	if err := validate(req); err != nil {
		return err
	}
	if free(req) {
		return nil
	}
	if err := s.guard(); err != nil {
		return err
	}
	c := s.getCall()
	c.prepare(req, modeCancel, s.opt.spread)
	if err := s.do(ctx, c); err != nil {
		s.stats.errors.Add(1)
		return err
	}
	s.putCall(c)
	s.stats.cancels.Add(1)
	return nil
}

// do runs c and returns its error; on success the caller owns c again. On
// failure c is recycled here or by the batcher that still holds it, or
// dropped (a call timed out by the watchdog may still be in flight).
func (s *Store) do(ctx context.Context, c *call) error {
	if !s.opt.pipelining {
		return s.direct(ctx, c)
	}
	// An idle store lets the caller make the round trip itself (no hand-off
	// to the batcher) when the client bounds it by the context.
	if s.honoursCtx && s.queued.Load() == 0 && s.directs.CompareAndSwap(0, 1) {
		err := s.direct(ctx, c)
		s.directs.Store(0)
		return err
	}
	if !s.enqueue(c) {
		s.putCall(c)
		return unavailable(errClosed)
	}
	defer s.queued.Add(-1)
	if done := ctx.Done(); done == nil {
		<-c.done
	} else {
		select {
		case <-c.done:
		case <-done:
			if c.state.CompareAndSwap(callPending, callAbandoned) {
				return unavailable(ctx.Err()) // the batcher recycles c
			}
			<-c.done // answered or timed out meanwhile
		}
	}
	if c.state.Load() == callExpired {
		return s.classify(ctx, errTimeout)
	}
	if c.err != nil {
		err := s.classify(ctx, c.err)
		s.putCall(c)
		return err
	}
	s.observe(nil, false)
	return nil
}

// direct makes c's round trip on the caller's goroutine, bounded by the
// decision timeout through the context; with a client that does not bound
// socket I/O by the context, on a goroutine of its own that the caller waits
// for at most the decision timeout (see detached).
func (s *Store) direct(ctx context.Context, c *call) error {
	if s.closed.Load() {
		s.putCall(c)
		return unavailable(errClosed)
	}
	switch _, ok := ctx.Deadline(); {
	case !s.honoursCtx:
		tctx, cancel := context.WithTimeout(ctx, s.opt.timeout)
		err := s.detached(tctx, func(ctx context.Context) error {
			s.process(ctx, c)
			return c.err
		})
		cancel()
		if errors.Is(err, errTimeout) {
			return s.classify(ctx, err) // c is dropped: its goroutine may still use it
		}
	case !ok && ctx.Done() == nil:
		c.bound.arm(ctx, s.opt.timeout)
		s.process(&c.bound, c)
		c.bound.disarm()
	default:
		tctx, cancel := context.WithTimeout(ctx, s.opt.timeout)
		s.process(tctx, c)
		cancel()
	}
	if c.err != nil {
		err := s.classify(ctx, c.err)
		s.putCall(c)
		return err
	}
	s.observe(nil, false)
	return nil
}

// detached runs fn on a goroutine of its own and waits for it until ctx
// ends, when it returns errTimeout: the time bound of a store operation with
// a client that does not honour contexts (no ContextTimeoutEnabled), whose
// socket reads would otherwise wait for its own ReadTimeout (3 s by default).
// fn runs on until the client gives up; a late answer is dropped, but tells
// the breaker that the store answers again (often the first sign of it, as a
// stalled server answers what it had received when it resumes).
func (s *Store) detached(ctx context.Context, fn func(context.Context) error) error {
	const pending, answered, abandoned = 0, 1, 2
	var state atomic.Int32
	done := make(chan error, 1)
	go func() {
		err := fn(ctx)
		if state.CompareAndSwap(pending, answered) {
			done <- err
		} else if err == nil || isAnswer(err) {
			s.observe(nil, false)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if state.CompareAndSwap(pending, abandoned) {
			return errTimeout
		}
		return <-done
	}
}

// run makes one store operation fn besides decisions (leases, the shared
// cache): through the breaker, bounded by the decision timeout whatever the
// client's options, its error classified. An answer of redis.Nil is
// returned as is.
func (s *Store) run(ctx context.Context, fn func(context.Context) error) error {
	if s.closed.Load() {
		return unavailable(errClosed)
	}
	if err := s.guard(); err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, s.opt.timeout)
	defer cancel()
	var err error
	if s.honoursCtx {
		err = fn(tctx)
	} else {
		err = s.detached(tctx, fn)
	}
	if err == nil || isAnswer(err) {
		s.observe(nil, false)
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = errTimeout // the store's bound ran out, not the caller's context
	}
	return s.classify(ctx, err)
}

// isAnswer reports whether err is an answer of the store rather than a
// failure (a missing key).
func isAnswer(err error) bool { return errors.Is(err, redis.Nil) }

// classify wraps the error err of an operation of the caller with context
// ctx: the caller's own context error when that ended it, else err, marked
// as a misconfiguration when it is one; and feeds the failure to the breaker.
func (s *Store) classify(ctx context.Context, err error) error {
	callerDone := ctx.Err() != nil
	s.observe(err, callerDone)
	if callerDone {
		return unavailable(ctx.Err())
	}
	if errors.Is(err, errTimeout) || errors.Is(err, context.DeadlineExceeded) {
		s.stats.timeouts.Add(1)
	}
	if m := s.misconfigured(err); m != nil {
		return unavailable(m)
	}
	return unavailable(err)
}

// process runs one call as its own round trip, replaying it with EVAL once
// if the server does not know the script.
func (s *Store) process(ctx context.Context, c *call) {
	cmd := redis.NewStringCmd(ctx, c.args...)
	_ = s.client.Process(ctx, cmd)
	if isNoScript(cmd.Err()) {
		s.stats.scriptLoads.Add(1)
		c.useEval()
		cmd = redis.NewStringCmd(ctx, c.args...)
		_ = s.client.Process(ctx, cmd)
	}
	c.reply, c.err = cmd.Val(), cmd.Err()
}

func isNoScript(err error) bool {
	return err != nil && redis.HasErrorPrefix(err, "NOSCRIPT")
}

// States of a call handed to a batcher.
const (
	callPending   = iota // queued or in flight
	callDone             // answered; the caller reads it
	callAbandoned        // the caller gave up; the batcher recycles it
	callExpired          // timed out by the watchdog; nobody recycles it
)

// call is one decision on its way to Redis. Calls are pooled with their
// buffers and channel, so a decision allocates little.
type call struct {
	args   []interface{} // EVALSHA sha numkeys keys... argv, for this call alone
	keys   []string      // the keys; args holds pointers to them (boxing a pointer does not allocate)
	argv   string        // ARGV[1]; args holds a pointer to it
	nkeys  int
	body   string     // the packed call without the m header, for coalescing
	tag    string     // the hash tag of its keys: calls with one tag may share a script run
	script *luaScript // the script that runs it: calls with one script may share a run
	buf    []byte
	ends   []int
	reply  string
	err    error
	done   chan struct{}
	state  atomic.Uint32
	due    int64 // when the watchdog times it out (monoNanos); guarded by Store.mu
	bound  boundCtx
	memo   encMemo // the request keys, argv, body, tag and script were encoded for
}

// encMemo is the single-limit request a call last encoded, when it had no
// Now. Calls are pooled per P, so the callers of a hot limit and key often
// get back a call that encoded the same request, and prepare then skips
// encoding it again.
type encMemo struct {
	ok      bool
	mode    int
	spread  bool
	limit   runtime.Limit
	cost    int64
	ks, key string
	maxWait time.Duration
}

// matches reports whether m is the encoding of req.
func (m *encMemo) matches(req *runtime.Request, mode int, spread bool) bool {
	return m.ok && len(req.Limits) == 1 && req.Now.IsZero() && m.mode == mode && m.spread == spread &&
		m.maxWait == req.MaxWait && *req.Limits[0] == m.limit && m.cost == req.Cost(0) && m.key == req.Keys[0] &&
		m.ks == req.Keyspace
}

// remember makes m the encoding of req, when req can have one.
func (m *encMemo) remember(req *runtime.Request, mode int, spread bool) {
	m.ok = len(req.Limits) == 1 && req.Now.IsZero()
	if m.ok {
		*m = encMemo{ok: true, mode: mode, spread: spread, limit: *req.Limits[0], cost: req.Cost(0),
			ks: req.Keyspace, key: req.Keys[0], maxWait: req.MaxWait}
	}
}

var (
	evalshaArg interface{} = "evalsha"
	evalArg    interface{} = "eval"
	numKeyArgs             = func() (a [65]interface{}) {
		for i := range a {
			a[i] = strconv.Itoa(i)
		}
		return a
	}()
)

func (s *Store) getCall() *call {
	if c, ok := s.calls.Get().(*call); ok {
		c.state.Store(callPending)
		return c
	}
	return &call{done: make(chan struct{}, 1)}
}

// putCall recycles c. It keeps c's encoding (see encMemo).
func (s *Store) putCall(c *call) {
	c.err, c.reply = nil, ""
	clear(c.args)
	s.calls.Put(c)
}

// prepare fills c's arguments for req.
func (c *call) prepare(req *runtime.Request, mode int, spread bool) {
	if !c.memo.matches(req, mode, spread) {
		c.encode(req, mode, spread)
		c.memo.remember(req, mode, spread)
	}
	n := c.nkeys
	c.args = append(c.args[:0], evalshaArg, c.script.shaArg, numKeysArg(n))
	for i := range c.keys {
		c.args = append(c.args, &c.keys[i])
	}
	c.args = append(c.args, &c.argv)
}

// encode sets c's keys, argv, body, tag and script for req.
func (c *call) encode(req *runtime.Request, mode int, spread bool) {
	e := encode(c.buf[:0], c.ends[:0], req, mode, spread)
	c.buf, c.ends = e.buf, e.keyEnds
	c.nkeys = len(req.Limits)
	c.keys = c.keys[:0]
	start := 0
	for _, end := range e.keyEnds {
		c.keys = append(c.keys, e.all[start:end])
		start = end
	}
	c.argv = e.all[e.argv:]
	c.script = scriptFor(req, mode)
	c.body = e.all[e.argv+8:]
	c.tag = e.all[e.tagStart:e.tagEnd]
}

func numKeysArg(n int) interface{} {
	if n < len(numKeyArgs) {
		return numKeyArgs[n]
	}
	return strconv.Itoa(n)
}

// useEval turns c's EVALSHA into an EVAL carrying the script.
func (c *call) useEval() { useEval(c.args, c.script) }

// useEval turns the EVALSHA args of script s into an EVAL carrying it.
func useEval(args []interface{}, s *luaScript) { args[0], args[1] = evalArg, s.srcArg }
