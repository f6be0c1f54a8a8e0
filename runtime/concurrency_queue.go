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
}

// waitList is an intrusive doubly linked list of waiters, oldest first, so
// that LIFO and FIFO pops and the removal of a waiter that gives up are all
// O(1). It is guarded by its limiter's mutex.
type waitList struct {
	head, tail *waiter
	n          int
}

func (l *waitList) push(w *waiter) {
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

// unpop puts back a waiter that pop returned, where pop takes from.
func (l *waitList) unpop(w *waiter, o Order) {
	if o != FIFO || l.head == nil {
		l.push(w)
		return
	}
	w.prev, w.next = nil, l.head
	l.head.prev = w
	l.head = w
	w.queued = true
	l.n++
}
