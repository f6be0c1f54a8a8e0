package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/runtime/fakeclock"
)

// rtcClock installs a fake clock (reading about the real time, so that
// context deadlines mean the same on both) for the test's duration.
func rtcClock(t *testing.T) *fakeclock.Clock {
	t.Helper()
	clk := fakeclock.New(time.Now())
	old := current.Load()
	Configure(WithClock(clk))
	t.Cleanup(func() { current.Store(old) })
	return clk
}

// rtcRecorder is a Hook recording events.
type rtcRecorder struct{ events chan Event }

func (r *rtcRecorder) OnDecision(e Event) { r.events <- e }

func TestRetryDefaults(t *testing.T) {
	s := NewRetry(RetrySpec{}).spec
	if s.Attempts != DefaultRetryAttempts || s.Base != DefaultRetryBase || s.On != OnDefault ||
		s.Backoff != Exponential || s.Jitter != FullJitter || s.BudgetWindow != DefaultBudgetWindow {
		t.Fatalf("defaults not applied: %+v", s)
	}
}

func TestRetryable(t *testing.T) {
	throttled := fmt.Errorf("wrapped: %w", &ThrottledError{Policy: "gcra", Reason: ReasonQuota})
	timeout := fmt.Errorf("wrapped: %w", ErrTimeout)
	plain := io.EOF
	cases := []struct {
		on                         RetryOn
		throttled, timeout, plain  bool
		deadline, netTimeout, none bool
	}{
		{on: 0, throttled: true, timeout: true, deadline: true, netTimeout: true},
		{on: OnThrottled, throttled: true},
		{on: OnTimeout, timeout: true, deadline: true, netTimeout: true},
		{on: OnError, throttled: true, timeout: true, plain: true, deadline: true, netTimeout: true},
		{on: OnNone},
	}
	for _, c := range cases {
		r := NewRetry(RetrySpec{On: c.on})
		got := []bool{
			r.Retryable(throttled), r.Retryable(timeout), r.Retryable(plain),
			r.Retryable(context.DeadlineExceeded), r.Retryable(os.ErrDeadlineExceeded), r.Retryable(nil),
		}
		want := []bool{c.throttled, c.timeout, c.plain, c.deadline, c.netTimeout, false}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("on=%b case %d: Retryable = %v, want %v", c.on, i, got[i], want[i])
			}
		}
	}
}

func TestRetryDelay(t *testing.T) {
	ms := time.Millisecond
	exp := NewRetry(RetrySpec{Attempts: 10, Base: 100 * ms, Max: 1000 * ms})
	for i, want := range []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms, 1000 * ms} {
		if got := exp.delay(i + 1); got != want {
			t.Errorf("exponential Delay(%d) = %v, want %v", i+1, got, want)
		}
	}
	constant := NewRetry(RetrySpec{Attempts: 10, Backoff: Constant, Base: 30 * ms})
	for i := 1; i < 5; i++ {
		if got := constant.delay(i); got != 30*ms {
			t.Errorf("constant Delay(%d) = %v", i, got)
		}
	}
	unbounded := NewRetry(RetrySpec{Attempts: 1000, Base: time.Second})
	if got := unbounded.delay(500); got <= 0 {
		t.Errorf("unbounded Delay(500) = %v overflowed", got)
	}
}

func TestRetryFullJitterStaysBelowBackoff(t *testing.T) {
	r := NewRetry(RetrySpec{Attempts: 5, Base: time.Second})
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		d := r.wait(2, io.EOF)
		if d < 0 || d >= 2*time.Second {
			t.Fatalf("jittered delay %v outside [0, 2s)", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct jittered delays in 200", len(seen))
	}
	// A throttled error's RetryAfter is a floor.
	te := &ThrottledError{Policy: "gcra", Reason: ReasonQuota, RetryAfter: 5 * time.Second}
	for i := 0; i < 50; i++ {
		if d := r.wait(1, fmt.Errorf("x: %w", te)); d != 5*time.Second {
			t.Fatalf("throttled wait = %v, want RetryAfter 5s", d)
		}
	}
}

// nextAsync runs r.Next on its own goroutine and returns its result channel.
func nextAsync(ctx context.Context, r *Retry, attempt int, err error) <-chan bool {
	ch := make(chan bool, 1)
	go func() { ch <- r.Next(ctx, attempt, err) }()
	return ch
}

func TestRetryNextWaitsBackoffOnClock(t *testing.T) {
	clk := rtcClock(t)
	r := NewRetry(RetrySpec{Attempts: 3, Base: time.Second, Jitter: NoJitter})
	res := nextAsync(context.Background(), r, 2, ErrTimeout) // second backoff: 2s
	if !clk.WaitForTimers(1, 5*time.Second) {
		t.Fatal("Next did not start waiting")
	}
	clk.Advance(2*time.Second - time.Nanosecond)
	select {
	case <-res:
		t.Fatal("Next returned before its backoff")
	default:
	}
	clk.Advance(time.Nanosecond)
	if !<-res {
		t.Fatal("Next = false, want true")
	}
	// The attempts are used up after the third.
	if r.Next(context.Background(), 3, ErrTimeout) {
		t.Fatal("Next after the last attempt = true")
	}
}

func TestRetryNextHonoursRetryAfter(t *testing.T) {
	clk := rtcClock(t)
	r := NewRetry(RetrySpec{Attempts: 2, Base: time.Millisecond})
	te := &ThrottledError{Policy: "gcra", Reason: ReasonQuota, RetryAfter: 3 * time.Second}
	res := nextAsync(context.Background(), r, 1, te)
	clk.WaitForTimers(1, 5*time.Second)
	clk.Advance(3*time.Second - time.Microsecond)
	select {
	case <-res:
		t.Fatal("Next returned before RetryAfter")
	default:
	}
	clk.Advance(time.Microsecond)
	if !<-res {
		t.Fatal("Next = false")
	}
}

func TestRetryNextNeverSleepsPastDeadline(t *testing.T) {
	clk := rtcClock(t)
	r := NewRetry(RetrySpec{Attempts: 5, Base: time.Second, Jitter: NoJitter})
	ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(time.Minute))
	defer cancel()
	te := &ThrottledError{Policy: "gcra", Reason: ReasonQuota, RetryAfter: 2 * time.Minute}
	if r.Next(ctx, 1, te) {
		t.Fatal("Next = true although RetryAfter outlasts the deadline")
	}
	if n := clk.Timers(); n != 0 {
		t.Fatalf("Next left %d timers", n)
	}
	short, cancel2 := context.WithDeadline(context.Background(), clk.Now().Add(time.Second))
	defer cancel2()
	if r.Next(short, 1, io.EOF) {
		t.Fatal("Next = true although the delay ends exactly at the deadline")
	}
}

func TestRetryNextStopsWhenContextEnds(t *testing.T) {
	clk := rtcClock(t)
	r := NewRetry(RetrySpec{Attempts: 5, Base: time.Hour, Jitter: NoJitter})
	ctx, cancel := context.WithCancel(context.Background())
	res := nextAsync(ctx, r, 1, ErrTimeout)
	clk.WaitForTimers(1, 5*time.Second)
	cancel()
	if <-res {
		t.Fatal("Next = true after cancel")
	}
	if n := clk.Timers(); n != 0 {
		t.Fatalf("Next left %d timers", n)
	}
	if r.Next(ctx, 1, ErrTimeout) {
		t.Fatal("Next = true on an ended context")
	}
}

func TestRetryDoneWrapsLastError(t *testing.T) {
	r := NewRetry(RetrySpec{})
	if err := r.Done(3, nil); err != nil {
		t.Fatalf("Done(nil) = %v", err)
	}
	if err := r.Done(1, io.EOF); err != io.EOF {
		t.Fatalf("Done of one attempt = %v, want the error unchanged", err)
	}
	te := &ThrottledError{Policy: "gcra", Reason: ReasonQuota, RetryAfter: time.Second}
	err := r.Done(3, te)
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts != 3 {
		t.Fatalf("Done(3) = %v, want a *RetryError of 3 attempts", err)
	}
	var got *ThrottledError
	if !errors.Is(err, ErrThrottled) || !errors.As(err, &got) || got != te {
		t.Fatalf("the cause is lost: %v", err)
	}
}

// rtcDriveNext runs r.Next, advancing clk past any backoff it waits.
func rtcDriveNext(clk *fakeclock.Clock, r *Retry, attempt int, err error) bool {
	res := nextAsync(context.Background(), r, attempt, err)
	for {
		select {
		case ok := <-res:
			return ok
		case <-time.After(time.Millisecond):
			if clk.Timers() > 0 {
				clk.Advance(r.spec.Max + r.spec.Base)
			}
		}
	}
}

func TestRetryBudgetCapsRetries(t *testing.T) {
	clk := rtcClock(t)
	r := NewRetry(RetrySpec{Attempts: 2, Base: time.Nanosecond, Jitter: NoJitter, Budget: 0.1})
	// 100 calls in the window, then as many retries as the budget allows.
	for i := 0; i < 100; i++ {
		r.Done(1, nil)
	}
	granted := 0
	for i := 0; i < 50; i++ {
		if rtcDriveNext(clk, r, 1, ErrTimeout) {
			granted++
		}
	}
	// retries+1 <= 0.1·(100+1) + 1 allows 11.
	if granted != 11 {
		t.Fatalf("budget granted %d retries, want 11", granted)
	}
	// After the window, the old calls and retries no longer count.
	clk.Advance(DefaultBudgetWindow)
	if !rtcDriveNext(clk, r, 1, ErrTimeout) {
		t.Fatal("the per-window floor retry was refused")
	}
	if r.Next(context.Background(), 1, ErrTimeout) {
		t.Fatal("a second retry without calls was granted")
	}
}

func TestRetryHookSeesDecisions(t *testing.T) {
	clk := rtcClock(t)
	rec := &rtcRecorder{events: make(chan Event, 4)}
	Configure(WithHook(rec))
	r := NewRetry(RetrySpec{Name: "pkg.F", Attempts: 3, Base: time.Second, Jitter: NoJitter})

	// Attempts used up: nothing to report.
	_ = r.Next(context.Background(), 3, io.EOF)
	select {
	case e := <-rec.events:
		t.Fatalf("unexpected event %+v", e)
	default:
	}

	// Refused: the RetryAfter outlasts the deadline.
	dl, cancel := context.WithDeadline(context.Background(), clk.Now().Add(time.Minute))
	defer cancel()
	_ = r.Next(dl, 1, &ThrottledError{Policy: "gcra", RetryAfter: time.Hour})
	if e := <-rec.events; e.Policy != "retry" || e.Name != "pkg.F" || e.Allowed {
		t.Fatalf("refusal event %+v", e)
	}

	// Granted after waiting the backoff.
	res := nextAsync(context.Background(), r, 1, io.EOF)
	clk.WaitForTimers(1, 5*time.Second)
	clk.Advance(time.Second)
	<-res
	if e := <-rec.events; !e.Allowed || e.Wait != time.Second {
		t.Fatalf("grant event %+v", e)
	}
}

// ExampleRetry shows the loop generated code runs for
// //throttle:retry attempts=3 on=error.
func ExampleRetry() {
	retry := NewRetry(RetrySpec{Name: "example.Fetch", Attempts: 3, Base: time.Millisecond, On: OnError})
	calls := 0
	fetch := func(ctx context.Context) (string, error) {
		calls++
		if calls < 3 {
			return "", io.ErrUnexpectedEOF
		}
		return "ok", nil
	}

	ctx := context.Background()
	var (
		r0  string
		err error
	)
	attempt := 1
	for ; ; attempt++ {
		r0, err = fetch(ctx)
		if err == nil || !retry.Retryable(err) || !retry.Next(ctx, attempt, err) {
			break
		}
	}
	err = retry.Done(attempt, err)
	fmt.Println(r0, err, attempt)
	// Output: ok <nil> 3
}

// TestRetryableNotForCost: on=throttled does not retry a cost no limit could
// ever admit (ReasonCost); on=error retries any error, as it says.
func TestRetryableNotForCost(t *testing.T) {
	cost := fmt.Errorf("wrapped: %w", &ThrottledError{Policy: "gcra", Reason: ReasonCost})
	if NewRetry(RetrySpec{On: OnThrottled}).Retryable(cost) {
		t.Error("on=throttled retries a rejection for cost")
	}
	if !NewRetry(RetrySpec{On: OnError}).Retryable(cost) {
		t.Error("on=error does not retry a rejection for cost")
	}
}
