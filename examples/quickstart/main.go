// Command quickstart is throttlegen's first example: a function limited to
// five calls per second per user, called eight times in a row.
//
// Run it from the repository root:
//
//	go generate ./examples/quickstart && go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	throttle "github.com/throttlegen/throttlegen/runtime"
)

//go:generate go tool throttlegen

// Greet stands for a call to a vendor API that allows five calls per second
// per user, with bursts of five.
//
//throttle:gcra quota=5 duration=1s burst=5 key=user
func Greet(ctx context.Context, user string) (string, error) {
	return "hello, " + user, nil
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run calls GreetThrottled eight times for one user and once for another,
// printing what each call got.
func run(ctx context.Context, w io.Writer) error {
	calls := []string{"ada", "ada", "ada", "ada", "ada", "ada", "ada", "ada", "grace"}
	for i, user := range calls {
		msg, err := GreetThrottled(ctx, user)
		var te *throttle.ThrottledError
		switch {
		case err == nil:
			fmt.Fprintf(w, "call %d (%s): %s\n", i+1, user, msg)
		case errors.As(err, &te):
			fmt.Fprintf(w, "call %d (%s): throttled (%s), retry after %v\n", i+1, user, te.Reason, te.RetryAfter.Round(1e6))
		default:
			return err
		}
	}
	return nil
}
