package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher is one goroutine that sends queued calls to Redis. It takes the
// first call it finds, everything else queued at that moment (up to
// MaxBatch, waiting up to the pipeline window when one is set), and sends
// them as one pipeline; for a Cluster client go-redis splits the pipeline by
// node. Calls that arrive while a pipeline is in flight form the next one,
// so the batch size follows the load and an idle store adds no delay.
type batcher struct {
	s      *Store
	pipe   redis.Pipeliner
	batch  []*call
	replay []*call
	timer  *time.Timer
}

func (b *batcher) run() {
	defer b.s.wg.Done()
	s := b.s
	for {
		select {
		case c := <-s.queue:
			b.collect(c)
		case <-s.quit:
			b.drain()
			return
		}
		b.exec()
	}
}

// collect gathers c and what else is queued into b.batch.
func (b *batcher) collect(c *call) {
	s := b.s
	b.batch = b.add(b.batch[:0], c)
	for len(b.batch) < s.opt.maxBatch {
		select {
		case c := <-s.queue:
			b.batch = b.add(b.batch, c)
			continue
		default:
		}
		if s.opt.window <= 0 {
			return
		}
		if b.timer == nil {
			b.timer = time.NewTimer(s.opt.window)
		} else {
			b.timer.Reset(s.opt.window)
		}
		for len(b.batch) < s.opt.maxBatch {
			select {
			case c := <-s.queue:
				b.batch = b.add(b.batch, c)
			case <-b.timer.C:
				return
			}
		}
		b.timer.Stop()
		return
	}
}

// add appends c unless its caller gave up already, in which case c is
// recycled.
func (b *batcher) add(batch []*call, c *call) []*call {
	if c.state.Load() == callAbandoned {
		b.s.putCall(c)
		return batch
	}
	return append(batch, c)
}

// drain fails every queued call when the store closes.
func (b *batcher) drain() {
	for {
		select {
		case c := <-b.s.queue:
			c.err = errClosed
			b.complete(c)
		default:
			return
		}
	}
}

// exec sends the batch, replays NOSCRIPT answers with EVAL once, and hands
// every answer to its caller.
func (b *batcher) exec() {
	if len(b.batch) == 0 {
		return
	}
	s := b.s
	ctx := context.Background()
	s.stats.pipelines.Add(1)
	s.stats.batched.Add(uint64(len(b.batch)))
	if len(b.batch) == 1 {
		s.process(ctx, b.batch[0])
		b.complete(b.batch[0])
		b.batch[0] = nil
		return
	}
	b.send(ctx, b.batch)
	b.replay = b.replay[:0]
	for _, c := range b.batch {
		if isNoScript(c.cmd.Err()) {
			c.useEval()
			b.replay = append(b.replay, c)
		}
	}
	if len(b.replay) > 0 {
		s.stats.scriptLoads.Add(1)
		b.send(ctx, b.replay)
		clear(b.replay)
	}
	for i, c := range b.batch {
		c.reply, c.err = c.cmd.Val(), c.cmd.Err()
		c.cmd = nil
		b.complete(c)
		b.batch[i] = nil
	}
}

// send runs calls as one pipeline.
func (b *batcher) send(ctx context.Context, calls []*call) {
	for _, c := range calls {
		c.cmd = redis.NewStringCmd(ctx, c.args...)
		_ = b.pipe.Process(ctx, c.cmd)
	}
	_, _ = b.pipe.Exec(ctx)
}

// complete hands c's answer to its caller, or recycles c if the caller gave
// up.
func (b *batcher) complete(c *call) {
	if c.state.CompareAndSwap(callPending, callDone) {
		c.done <- struct{}{}
		return
	}
	b.s.putCall(c)
}
