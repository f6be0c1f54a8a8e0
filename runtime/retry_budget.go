package runtime

import (
	"sync"
	"time"
)

// retryBuckets is how many buckets a retry budget's window is split into.
const retryBuckets = 10

// retryBudget counts calls and retries over a sliding window of retryBuckets
// buckets. A retry is allowed when, counting it, the retries of the window do
// not exceed ratio × (the calls of the window + the call asking) + 1. It is
// safe for concurrent use.
type retryBudget struct {
	ratio float64
	width int64 // nanoseconds per bucket

	mu      sync.Mutex
	buckets [retryBuckets]budgetBucket
}

type budgetBucket struct {
	epoch   int64 // the bucket's index since the Unix epoch
	calls   int64
	retries int64
}

func newRetryBudget(ratio float64, window time.Duration) *retryBudget {
	w := int64(window) / retryBuckets
	if w <= 0 {
		w = 1
	}
	return &retryBudget{ratio: ratio, width: w}
}

// bucketLocked returns the bucket of now, emptied if it held an older epoch.
func (b *retryBudget) bucketLocked(now time.Time) *budgetBucket {
	e := now.UnixNano() / b.width
	k := &b.buckets[e%retryBuckets]
	if k.epoch != e {
		*k = budgetBucket{epoch: e}
	}
	return k
}

// sumLocked returns the calls and retries of the window ending at now.
func (b *retryBudget) sumLocked(now time.Time) (calls, retries int64) {
	e := now.UnixNano() / b.width
	for i := range b.buckets {
		k := &b.buckets[i]
		if k.epoch > e-retryBuckets && k.epoch <= e {
			calls += k.calls
			retries += k.retries
		}
	}
	return calls, retries
}

// addCall counts a finished call.
func (b *retryBudget) addCall(now time.Time) {
	b.mu.Lock()
	b.bucketLocked(now).calls++
	b.mu.Unlock()
}

// takeRetry reports whether one more retry fits the budget, and counts it if so.
func (b *retryBudget) takeRetry(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	calls, retries := b.sumLocked(now)
	if float64(retries+1) > b.ratio*float64(calls+1)+1 {
		return false
	}
	b.bucketLocked(now).retries++
	return true
}
