package runtime

// waiter is a call waiting for a slot. The limiter decides it under its
// mutex, sets reason (0 means granted) and closes done.
type waiter struct {
	prev, next *waiter
	consumer   string
	cls        prioClass
	cc         *consumerCount // set when granted
	lease      *leaseWait     // scope=global waiters only
	reason     Reason
	done       chan struct{}
	queued     bool
	seq        uint64 // its place in arrival order, for unpop
}

// waitList is an intrusive doubly linked list of waiters, oldest first, so
// that LIFO and FIFO pops and the removal of a waiter that gives up are all
// O(1). It is guarded by its limiter's mutex.
type waitList struct {
	head, tail *waiter
	n          int
	pushed     uint64 // waiters ever pushed: the next one's seq
}

func (l *waitList) push(w *waiter) {
	w.seq = l.pushed
	l.pushed++
	w.prev, w.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	w.queued = true
	l.n++
}

// pop removes and returns the newest waiter (LIFO) or the oldest (FIFO).
// The list must not be empty.
func (l *waitList) pop(o Order) *waiter {
	w := l.tail
	if o == FIFO {
		w = l.head
	}
	l.remove(w)
	return w
}

// remove takes w out of the list and reports whether it was in it.
func (l *waitList) remove(w *waiter) bool {
	if !w.queued {
		return false
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	l.n--
	return true
}

// unpop puts back a waiter that pop returned in its place in arrival
// order. Waiters pushed while it was out of the list (the global dispatcher
// tries one with the store without holding the mutex) are newer: under LIFO
// they go first. The search starts at the end pop takes from, where w
// usually belongs.
func (l *waitList) unpop(w *waiter, o Order) {
	var after *waiter // the newest waiter older than w; nil: w goes first
	if o == FIFO {
		for n := l.head; n != nil && n.seq < w.seq; n = n.next {
			after = n
		}
	} else {
		after = l.tail
		for after != nil && after.seq > w.seq {
			after = after.prev
		}
	}
	w.prev = after
	if after != nil {
		w.next = after.next
		after.next = w
	} else {
		w.next = l.head
		l.head = w
	}
	if w.next != nil {
		w.next.prev = w
	} else {
		l.tail = w
	}
	w.queued = true
	l.n++
}
