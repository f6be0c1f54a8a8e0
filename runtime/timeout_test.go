package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestTimeoutContextExpiresOnClock(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := rtcClock(t)
	start := clk.Now()
	tctx := WithTimeout(context.Background(), time.Second)
	defer tctx.Cancel()
	if dl, ok := tctx.Deadline(); !ok || !dl.Equal(start.Add(time.Second)) {
		t.Fatalf("Deadline = %v, %v", dl, ok)
	}
	if tctx.Err() != nil || tctx.TimedOut() {
		t.Fatal("ended before its deadline")
	}
	if err := TimeoutError(tctx, io.EOF); err != io.EOF {
		t.Fatalf("TimeoutError before the deadline = %v, want the call's error", err)
	}
	clk.Advance(time.Second)
	if err := tctx.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err = %v, want DeadlineExceeded", err)
	}
	// Done, asked for only now, is closed at once.
	select {
	case <-tctx.Done():
	default:
		t.Fatal("Done not closed after the deadline")
	}
	for _, callErr := range []error{nil, context.DeadlineExceeded, fmt.Errorf("rpc: %w", context.DeadlineExceeded), io.EOF} {
		err := TimeoutError(tctx, callErr)
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("TimeoutError(%v) = %v, want ErrTimeout and DeadlineExceeded", callErr, err)
		}
		if callErr != nil && !errors.Is(err, callErr) {
			t.Errorf("TimeoutError(%v) lost the call's error", callErr)
		}
	}
}

func TestTimeoutContextDoneFiresOnFakeClock(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := rtcClock(t)
	tctx := WithTimeout(context.Background(), time.Second)
	defer tctx.Cancel()
	done := tctx.Done()
	if done != tctx.Done() {
		t.Fatal("Done returned two channels")
	}
	// A child built by the standard library follows it.
	child, cancel := context.WithCancel(tctx)
	defer cancel()
	clk.Advance(999 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("Done closed early")
	default:
	}
	clk.Advance(time.Millisecond)
	<-done
	<-child.Done()
	if tctx.Err() != context.DeadlineExceeded || !tctx.TimedOut() {
		t.Fatalf("Err = %v", tctx.Err())
	}
}

func TestTimeoutContextDoneFiresOnSystemClock(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	before := time.Now()
	tctx := WithTimeout(context.Background(), 5*time.Millisecond)
	defer tctx.Cancel()
	after := time.Now()
	if dl, ok := tctx.Deadline(); !ok || dl.Before(before.Add(5*time.Millisecond)) || dl.After(after.Add(5*time.Millisecond)) {
		t.Fatalf("Deadline %v not 5ms after WithTimeout (between %v and %v)", dl, before, after)
	}
	<-tctx.Done() // no timing assertion: it only has to close
	if err := TimeoutError(tctx, tctx.Err()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("TimeoutError = %v", err)
	}
}

func TestTimeoutContextFollowsParent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := rtcClock(t)
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	tctx := WithTimeout(parent, time.Hour)
	defer tctx.Cancel()
	if tctx.Value(key{}) != "v" {
		t.Fatal("parent's value lost")
	}
	done := tctx.Done()
	cancel()
	<-done
	if tctx.Err() != context.Canceled || tctx.TimedOut() {
		t.Fatalf("Err = %v, TimedOut = %v", tctx.Err(), tctx.TimedOut())
	}
	// The parent's end is the caller's business: no timeout error.
	if err := TimeoutError(tctx, context.Canceled); err != context.Canceled {
		t.Fatalf("TimeoutError = %v, want Canceled", err)
	}
	if n := clk.Timers(); n != 0 {
		t.Fatalf("%d timers left after the parent ended", n)
	}

	// Without Done, Err still sees the parent.
	parent2, cancel2 := context.WithCancel(context.Background())
	tctx2 := WithTimeout(parent2, time.Hour)
	defer tctx2.Cancel()
	cancel2()
	if tctx2.Err() != context.Canceled {
		t.Fatalf("Err = %v", tctx2.Err())
	}
}

func TestTimeoutContextParentDeadlineEarlier(t *testing.T) {
	clk := rtcClock(t)
	parent, cancel := context.WithDeadline(context.Background(), clk.Now().Add(time.Minute))
	defer cancel()
	tctx := WithTimeout(parent, time.Hour)
	defer tctx.Cancel()
	if dl, _ := tctx.Deadline(); !dl.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("Deadline = %v, want the parent's", dl)
	}
}

func TestTimeoutContextCancelReleasesTimer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := rtcClock(t)
	tctx := WithTimeout(context.Background(), time.Hour)
	<-func() <-chan struct{} { d := tctx.Done(); tctx.Cancel(); return d }()
	tctx.Cancel() // twice is fine
	if tctx.Err() != context.Canceled {
		t.Fatalf("Err = %v", tctx.Err())
	}
	if n := clk.Timers(); n != 0 {
		t.Fatalf("%d timers left after Cancel", n)
	}
	clk.Advance(2 * time.Hour)
	if err := TimeoutError(tctx, nil); err != nil {
		t.Fatalf("TimeoutError after Cancel then the deadline = %v", err)
	}
}

func TestTimeoutErrorIgnoresOtherContexts(t *testing.T) {
	if err := TimeoutError(context.Background(), io.EOF); err != io.EOF {
		t.Fatalf("TimeoutError = %v", err)
	}
	if err := TimeoutError(context.Background(), nil); err != nil {
		t.Fatalf("TimeoutError = %v", err)
	}
}

func TestTimeoutContextOneAllocation(t *testing.T) {
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		tctx := WithTimeout(ctx, time.Second)
		_ = tctx.Err()
		_ = TimeoutError(tctx, nil)
		tctx.Cancel()
	})
	if allocs > 1 {
		t.Fatalf("WithTimeout path: %v allocs, want ≤ 1", allocs)
	}
}

func TestRunTimeoutReturnsResult(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rtcClock(t)
	v, err := RunTimeout(context.Background(), time.Hour, func() int { return 42 })
	if v != 42 || err != nil {
		t.Fatalf("RunTimeout = %v, %v", v, err)
	}
}

func TestRunTimeoutTimesOutAndCallRunsOn(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := rtcClock(t)
	release := make(chan struct{})
	finished := make(chan struct{})
	type res struct{ n int }
	out := make(chan error, 1)
	go func() {
		_, err := RunTimeout(context.Background(), time.Second, func() res {
			<-release
			defer close(finished)
			return res{1}
		})
		out <- err
	}()
	clk.WaitForTimers(1, 5*time.Second)
	clk.Advance(time.Second)
	err := <-out
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunTimeout = %v, want ErrTimeout", err)
	}
	close(release) // the call runs on and finishes
	<-finished
}

func TestRunTimeoutContextEnds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := rtcClock(t)
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	out := make(chan error, 1)
	go func() {
		_, err := RunTimeout(ctx, time.Hour, func() int { <-release; return 1 })
		out <- err
	}()
	clk.WaitForTimers(1, 5*time.Second)
	cancel()
	if err := <-out; err != context.Canceled {
		t.Fatalf("RunTimeout = %v, want Canceled", err)
	}
	if n := clk.Timers(); n != 0 {
		t.Fatalf("%d timers left", n)
	}
	close(release)
}

func TestRunTimeoutPropagatesPanic(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rtcClock(t)
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("recovered %v, want boom", p)
		}
	}()
	_, _ = RunTimeout(context.Background(), time.Hour, func() int { panic("boom") })
	t.Fatal("no panic")
}

// ExampleWithTimeout shows what generated code does for a context-first
// function with //throttle:timeout duration=2s.
func ExampleWithTimeout() {
	fetch := func(ctx context.Context) (string, error) {
		<-ctx.Done() // a slow call that honours its context
		return "", ctx.Err()
	}
	tctx := WithTimeout(context.Background(), 10*time.Millisecond)
	defer tctx.Cancel()
	_, err := fetch(tctx)
	err = TimeoutError(tctx, err)
	fmt.Println(errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	// Output: true true
}

// ExampleRunTimeout shows what generated code does for a function without a
// context and //throttle:timeout duration=1s.
func ExampleRunTimeout() {
	parse := func(s string) (int, error) { return len(s), nil }
	type results struct {
		r0  int
		err error
	}
	res, err := RunTimeout(context.Background(), time.Second, func() results {
		r0, err := parse("hello")
		return results{r0, err}
	})
	if err == nil {
		err = res.err
	}
	fmt.Println(res.r0, err)
	// Output: 5 <nil>
}

// TestTimeoutContextConcurrentUse races Done, Err, Cancel, the parent's
// cancellation and the deadline; run it with -race.
func TestTimeoutContextConcurrentUse(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := rtcClock(t)
	for i := 0; i < 200; i++ {
		parent, cancelParent := context.WithCancel(context.Background())
		tctx := WithTimeout(parent, time.Second)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				switch (i + g) % 4 {
				case 0:
					<-tctx.Done()
				case 1:
					_ = tctx.Err()
					<-tctx.Done()
				case 2:
					cancelParent()
				case 3:
					tctx.Cancel()
				}
			}()
		}
		close(start)
		if i%3 == 0 {
			clk.Advance(time.Second)
		}
		tctx.Cancel() // every context ends, whoever wins
		wg.Wait()
		<-tctx.Done()
		if tctx.Err() == nil {
			t.Fatal("ended context reports no error")
		}
		cancelParent()
	}
	if n := clk.Timers(); n != 0 {
		t.Fatalf("%d timers left", n)
	}
}
