package runtime

import (
	"context"
	"time"
)

// LeaseStore is implemented by stores that can enforce a concurrency
// limiter's capacity and quotas across processes (scope=global), such as
// runtime/redisstore. A slot taken across processes is a lease: it expires
// after its TTL unless renewed, so the slots of a process that dies come
// back within the TTL.
//
// Implementations must be safe for concurrent use, and AcquireLease must be
// atomic under any number of processes.
type LeaseStore interface {
	// AcquireLease takes a slot of req.Pool for the lease req.ID when the
	// priority quota, the consumer quota and the capacity all allow it (in
	// that order), and returns 0. Otherwise it returns ReasonPriorityQuota,
	// ReasonConsumerQuota, or ReasonFullQueue when every slot is taken.
	AcquireLease(ctx context.Context, req *LeaseRequest) (Reason, error)
	// RenewLeases extends the given leases of pool by ttl from now.
	RenewLeases(ctx context.Context, keyspace, pool string, ids []string, ttl time.Duration) error
	// ReleaseLease gives a lease back and wakes processes waiting for pool.
	ReleaseLease(ctx context.Context, req *LeaseRequest) error
	// WaitLease blocks until a lease of pool may have been released, at most
	// for d, or until ctx ends. It may return early spuriously; callers then
	// try AcquireLease again.
	WaitLease(ctx context.Context, keyspace, pool string, d time.Duration) error
}

// LeaseRequest describes a lease of a global concurrency pool.
type LeaseRequest struct {
	Keyspace    string
	Pool        string // the pool's name
	ID          string // the lease's identity, unique among every process
	Consumer    string
	Priority    string        // "none", "low", "normal" or "high"
	Capacity    int           // slots of the pool
	ConsumerMax int           // the most leases Consumer may hold; < 0 means no bound
	PriorityMax int           // the most leases Priority may hold; < 0 means no bound
	TTL         time.Duration // how long the lease lives unless renewed
}

// globalState is the process-local side of a scope=global limiter.
type globalState struct {
	c       *Concurrency
	held    int // leases held by this process; guarded by c.mu
	waiting int // calls of this process waiting for a lease; guarded by c.mu
}

func newGlobalState(c *Concurrency) *globalState { return &globalState{c: c} }

func (g *globalState) acquire(ctx context.Context, cfg *config, ls LeaseStore, consumer string, cls prioClass) (Slot, error) {
	panic("throttle: scope=global is not implemented yet")
}

func (g *globalState) release(s Slot) {}
