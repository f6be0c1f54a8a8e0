package charts_test

import (
	"context"
	"fmt"
	"time"

	"github.com/throttlegen/throttlegen/internal/charts"
	"github.com/throttlegen/throttlegen/runtime"
)

// Replay six calls, 50ms apart, against a fixed window of three calls per
// second.
func ExampleSimulate() {
	a := charts.Algo{Limit: runtime.Limit{Algorithm: runtime.FixedWindow, Quota: 3, Duration: time.Second}}
	var arrivals []time.Duration
	for i := range 6 {
		arrivals = append(arrivals, time.Duration(i)*50*time.Millisecond)
	}
	calls, err := charts.Simulate(context.Background(), a, arrivals)
	if err != nil {
		panic(err)
	}
	for _, c := range calls {
		fmt.Println(c.At, c.Outcome == charts.Admitted)
	}
	// Output:
	// 0s true
	// 50ms true
	// 100ms true
	// 150ms false
	// 200ms false
	// 250ms false
}
