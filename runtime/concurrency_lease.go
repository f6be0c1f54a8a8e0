package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
	"time"
)

// heldLease is a lease this process holds, renewed until released.
type heldLease struct {
	req   *LeaseRequest
	store LeaseStore
	cls   prioClass
}

// Lease IDs are a random per-process prefix and a sequence number, unique
// among processes.
var (
	leasePrefix = func() string {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:]) + ":"
	}()
	leaseSeq atomic.Uint64
)

// hold records a lease taken and makes sure it is renewed.
func (g *globalState) hold(seq uint64, req *LeaseRequest, ls LeaseStore, cls prioClass) {
	g.c.mu.Lock()
	g.held++
	g.c.mu.Unlock()
	g.leasesMu.Lock()
	g.leases[seq] = heldLease{req: req, store: ls, cls: cls}
	start := !g.renewing
	g.renewing = true
	g.leasesMu.Unlock()
	if start {
		go g.renew()
	}
}

// renew renews the held leases every third of their TTL, and stops as soon
// as none is held.
func (g *globalState) renew() {
	t := time.NewTimer(g.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			t.Reset(g.ttl / 3)
		case <-g.idle:
		}
		g.leasesMu.Lock()
		if len(g.leases) == 0 {
			g.renewing = false
			g.leasesMu.Unlock()
			return
		}
		byStore := map[LeaseStore][]*LeaseRequest{}
		for _, l := range g.leases {
			byStore[l.store] = append(byStore[l.store], l.req)
		}
		g.leasesMu.Unlock()
		for ls, reqs := range byStore {
			ctx, cancel := context.WithTimeout(context.Background(), g.ttl/3)
			err := ls.RenewLeases(ctx, reqs)
			cancel()
			if err != nil {
				if cfg := loadConfig(); cfg.hook != nil {
					cfg.hook.OnDecision(Event{Policy: "concurrency", Name: g.c.spec.Name, Allowed: true, Err: err})
				}
			}
		}
	}
}

// release gives a lease back.
func (g *globalState) release(s Slot) {
	g.leasesMu.Lock()
	l, ok := g.leases[s.lease]
	delete(g.leases, s.lease)
	if len(g.leases) == 0 {
		select {
		case g.idle <- struct{}{}:
		default:
		}
	}
	g.leasesMu.Unlock()
	if !ok {
		return
	}
	g.c.mu.Lock()
	g.held--
	g.c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), g.ttl)
	defer cancel()
	if err := l.store.ReleaseLease(ctx, l.req); err != nil {
		if cfg := loadConfig(); cfg.hook != nil {
			cfg.hook.OnDecision(Event{Policy: "concurrency", Name: g.c.spec.Name, Key: l.req.Consumer, Allowed: true, Err: err})
		}
		g.forget(l.store, l.req)
	}
}

// forgetRetry is how often forget tries to release a lease again.
const forgetRetry = 50 * time.Millisecond

// forget releases the lease req in the background, for a slot that no call
// holds although the store may have it taken: the call gave up before the
// store answered, the store answered too late, or the release itself failed.
// Without it such a slot would stay taken until the lease's TTL. It tries
// every forgetRetry until the store answers, the lease has expired by itself
// (its TTL from now), or ls is no longer the configured store. Releasing a
// lease the store never granted changes nothing.
func (g *globalState) forget(ls LeaseStore, req *LeaseRequest) {
	go func() {
		deadline := time.Now().Add(req.TTL)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), g.ttl)
			err := ls.ReleaseLease(ctx, req)
			cancel()
			if err == nil || !time.Now().Before(deadline) {
				return
			}
			if cur, _ := loadConfig().store.(LeaseStore); cur != ls {
				return
			}
			time.Sleep(forgetRetry)
		}
	}()
}
