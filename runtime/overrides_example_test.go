package runtime_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// Overrides change the limits of a running program by their identity. The
// limits here are created by hand; generated wrappers create theirs at
// package initialisation, named by name= or pool=, else by the function's
// full name.
func ExampleParseOverrides() {
	defer runtime.SaveConfig()()
	runtime.NewRateLimiter("example-vendor", runtime.RateSpec{Algorithm: runtime.GCRA, Quota: 10, Duration: time.Second})
	api := runtime.NewConcurrency(runtime.ConcurrencySpec{Name: "example-api", Capacity: 8})

	// Every problem is reported, with its line and column.
	_, err := runtime.ParseOverrides(`
example-vendr gcra        quota=50
example-api   concurrency capacity=0 consumer=tenant
`)
	fmt.Println(err)

	o, err := runtime.ParseOverrides(`
# NAME        POLICY      ARGUMENTS          [key=VALUE]
example-vendor gcra       quota=50 burst=10
example-vendor gcra       quota=500 key=acme # a bigger tenant
example-api   concurrency capacity=64 queue=128 priority_quota=low:0.2
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	runtime.Configure(runtime.WithOverrides(o))
	fmt.Println(o.Len(), "overrides; example-api capacity", api.Stats().Capacity)
	// Output:
	// 2:1: unknown limit "example-vendr"; did you mean "example-vendor"?
	// 3:36: capacity=0: must be at least 1
	// 3:38: consumer= cannot be overridden: expressions and identities cannot be overridden
	// 3 overrides; example-api capacity 64
}

// ReloadOverrides puts a changed file in force, and keeps the set in force
// when the new file is bad: the program never runs without limits.
// WatchOverrides does the same by polling the file.
func ExampleReloadOverrides() {
	defer runtime.SaveConfig()()
	pool := runtime.NewConcurrency(runtime.ConcurrencySpec{Name: "example-reports", Capacity: 4})
	dir, _ := os.MkdirTemp("", "limits")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "limits.txt")

	os.WriteFile(path, []byte("example-reports concurrency capacity=16\n"), 0o644)
	if err := runtime.ReloadOverrides(path); err != nil {
		fmt.Println(err)
	}
	fmt.Println("capacity", pool.Stats().Capacity)

	os.WriteFile(path, []byte("example-reports concurrency capacity=sixteen\n"), 0o644)
	if err := runtime.ReloadOverrides(path); err != nil {
		fmt.Println(strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
	}
	fmt.Println("capacity", pool.Stats().Capacity)
	// Output:
	// capacity 16
	// limits.txt:1:38: capacity=sixteen: want a whole number
	// capacity 16
}
