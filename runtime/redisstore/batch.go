package redisstore

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher is one goroutine that sends queued calls to Redis. It takes
// everything pending (up to MaxBatch, waiting up to the pipeline window when
// one is set) and sends it as one pipeline; for a Cluster client go-redis
// splits the pipeline by node. Calls that arrive while a pipeline is in
// flight form the next one, so the batch size follows the load and an idle
// store adds no delay. See queue.go for the hand-off.
type batcher struct {
	s       *Store
	pipe    redis.Pipeliner
	batch   []*call
	flight  []*call // batch while its round trip lasts; guarded by s.mu
	groups  []*group
	byTag   map[groupKey]*group
	timer   *time.Timer
	failing bool // the last round trip failed
}

func (b *batcher) run() {
	defer b.s.wg.Done()
	s := b.s
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			b.drain()
			return
		}
		for b.take() {
			if s.opt.window > 0 && len(b.batch) < s.opt.maxBatch {
				b.linger()
			}
			b.exec()
		}
	}
}

// take moves up to MaxBatch pending calls into b.batch and publishes them as
// b's flight; it reports whether there were any.
func (b *batcher) take() bool {
	s := b.s
	s.mu.Lock()
	n := b.grab()
	s.mu.Unlock()
	return n > 0
}

// grab moves up to MaxBatch − len(b.batch) pending calls into b.batch,
// leaving out those whose caller gave up (recycled) or timed out, publishes
// b.batch as b's flight, and wakes another batcher for what it leaves. The
// caller holds s.mu.
func (b *batcher) grab() int {
	s := b.s
	n := min(len(s.pending), s.opt.maxBatch-len(b.batch))
	for _, c := range s.pending[:n] {
		switch c.state.Load() {
		case callPending:
			b.batch = append(b.batch, c)
		case callAbandoned:
			s.putCall(c)
		}
	}
	rest := copy(s.pending, s.pending[n:])
	clear(s.pending[rest:])
	s.pending = s.pending[:rest]
	b.flight = b.batch
	if rest > 0 {
		signal(s.wake)
	}
	return n
}

// linger waits up to the pipeline window for more calls.
func (b *batcher) linger() {
	s := b.s
	if b.timer == nil {
		b.timer = time.NewTimer(s.opt.window)
	} else {
		b.timer.Reset(s.opt.window)
	}
	for len(b.batch) < s.opt.maxBatch {
		select {
		case <-s.wake:
			s.mu.Lock()
			b.grab()
			s.mu.Unlock()
			continue
		case <-b.timer.C:
			return
		}
	}
	b.timer.Stop()
}

// land ends b's flight: the watchdog no longer sees its calls.
func (b *batcher) land() {
	b.s.mu.Lock()
	b.flight = nil
	b.s.mu.Unlock()
}

// drain fails every pending call when the store closes.
func (b *batcher) drain() {
	s := b.s
	s.mu.Lock()
	calls := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, c := range calls {
		if c.state.Load() == callAbandoned {
			s.putCall(c)
			continue
		}
		c.err = errClosed
		b.complete(c)
	}
}

// group is calls sent as one script run: they share a script, and their
// keys share a hash tag (on a single server, any calls do).
type group struct {
	script *luaScript
	calls  []*call
	args   []interface{}
	cmd    *redis.StringCmd
}

// groupKey identifies the group of a call on a sharded client.
type groupKey struct {
	tag    string
	script *luaScript
}

// exec sends the batch, one script run per group of calls, all groups in one
// pipeline; replays NOSCRIPT answers with EVAL once; and hands every answer
// to its caller.
func (b *batcher) exec() {
	s := b.s
	if len(b.batch) == 0 {
		b.land()
		return
	}
	// While the server answers, round trips run without a deadline (no
	// allocation per batch; callers are bounded by the watchdog). After
	// a failure they are bounded by the decision timeout until one succeeds,
	// so that go-redis's dial and retry back-off cannot keep the batcher
	// from noticing that the server is back.
	ctx := context.Background()
	if b.failing {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opt.timeout)
		defer cancel()
	}
	s.stats.pipelines.Add(1)
	s.stats.batched.Add(uint64(len(b.batch)))
	if len(b.batch) == 1 {
		c := b.batch[0]
		s.process(ctx, c)
		b.failing = c.err != nil
		b.land()
		b.complete(c)
		b.batch[0] = nil
		b.batch = b.batch[:0]
		return
	}
	b.group()
	for _, g := range b.groups {
		g.cmd = redis.NewStringCmd(ctx, g.args...)
	}
	b.send(ctx, false)
	if b.anyNoScript() {
		s.stats.scriptLoads.Add(1)
		b.send(ctx, true)
	}
	b.failing = false
	b.land()
	for _, g := range b.groups {
		reply, err := g.cmd.Val(), g.cmd.Err()
		b.failing = b.failing || err != nil
		if err == nil && len(reply) != replySize*len(g.calls) {
			err = errMalformedReply
		}
		for i, c := range g.calls {
			if err != nil {
				c.err = err
			} else {
				c.reply = reply[replySize*i : replySize*(i+1)]
			}
			b.complete(c)
		}
		clear(g.calls)
		g.calls, g.args, g.cmd, g.script = g.calls[:0], nil, nil, nil
	}
	clear(b.batch)
	b.batch = b.batch[:0]
	b.groups = b.groups[:0]
}

// group splits the batch into script runs: one per script on a single
// server, one per script and hash tag otherwise (a Cluster runs a script
// only on keys of one slot).
func (b *batcher) group() {
	if !b.s.sharded {
	calls:
		for _, c := range b.batch {
			for _, g := range b.groups {
				if g.script == c.script {
					g.calls = append(g.calls, c)
					continue calls
				}
			}
			g := b.newGroup(c.script)
			g.calls = append(g.calls, c)
		}
	} else {
		if b.byTag == nil {
			b.byTag = make(map[groupKey]*group)
		}
		for _, c := range b.batch {
			k := groupKey{c.tag, c.script}
			g := b.byTag[k]
			if g == nil {
				g = b.newGroup(c.script)
				b.byTag[k] = g
			}
			g.calls = append(g.calls, c)
		}
		clear(b.byTag)
	}
	for _, g := range b.groups {
		if len(g.calls) == 1 {
			g.args = g.calls[0].args
			continue
		}
		// A single-limit script takes a call that repeats the one before
		// it (same key, same body: a hot key under load) as an 8-byte mark
		// and no key (lua/single.lua).
		marks := g.script != dispatchScript
		nkeys, size := 0, 8
		for i, c := range g.calls {
			if marks && i > 0 && repeats(c, g.calls[i-1]) {
				size += repeatSize
				continue
			}
			nkeys += c.nkeys
			size += len(c.body)
		}
		argv := make([]byte, 0, size)
		argv = binary.LittleEndian.AppendUint64(argv, uint64(len(g.calls)))
		args := make([]interface{}, 0, 4+nkeys)
		args = append(args, evalshaArg, g.script.shaArg, numKeysArg(nkeys))
		for i, c := range g.calls {
			if marks && i > 0 && repeats(c, g.calls[i-1]) {
				argv = append(argv, repeatMark[:]...)
				continue
			}
			args = append(args, c.args[3:3+c.nkeys]...)
			argv = append(argv, c.body...)
		}
		g.args = append(args, string(argv))
	}
}

// repeatSize is the size of a repeat mark: a call's mode word, 0.
const repeatSize = 8

var repeatMark [repeatSize]byte

// repeats reports whether c is the same call as prev: one key and one body.
func repeats(c, prev *call) bool {
	return c.nkeys == 1 && prev.nkeys == 1 && c.body == prev.body && c.keys[0] == prev.keys[0]
}

// newGroup returns an empty group of script, reusing the batcher's.
func (b *batcher) newGroup(script *luaScript) *group {
	if len(b.groups) < cap(b.groups) {
		b.groups = b.groups[:len(b.groups)+1]
		if g := b.groups[len(b.groups)-1]; g != nil {
			g.script = script
			return g
		}
	} else {
		b.groups = append(b.groups, nil)
	}
	g := &group{script: script}
	b.groups[len(b.groups)-1] = g
	return g
}

// anyNoScript reports whether a group's server did not know the script, and
// turns those groups into EVALs.
func (b *batcher) anyNoScript() bool {
	any := false
	for _, g := range b.groups {
		if isNoScript(g.cmd.Err()) {
			useEval(g.args, g.script)
			g.cmd = redis.NewStringCmd(context.Background(), g.args...)
			any = true
		} else {
			g.args = nil // answered: send(replay) skips it
		}
	}
	return any
}

// send runs the groups' commands, as one pipeline when there are several;
// with replay, only the groups that need it (those with args left).
func (b *batcher) send(ctx context.Context, replay bool) {
	var one *group
	n := 0
	for _, g := range b.groups {
		if replay && g.args == nil {
			continue
		}
		one = g
		n++
	}
	if n == 1 {
		_ = b.s.client.Process(ctx, one.cmd)
		return
	}
	for _, g := range b.groups {
		if replay && g.args == nil {
			continue
		}
		_ = b.pipe.Process(ctx, g.cmd)
	}
	_, _ = b.pipe.Exec(ctx)
}

// complete hands c's answer to its caller, recycles c if the caller gave
// up, or leaves it if the watchdog timed it out.
func (b *batcher) complete(c *call) {
	if c.state.CompareAndSwap(callPending, callDone) {
		c.done <- struct{}{}
		return
	}
	if c.state.Load() == callAbandoned {
		b.s.putCall(c)
	}
}
