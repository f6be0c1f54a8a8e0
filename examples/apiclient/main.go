// Command apiclient is throttlegen's API-client example: workers look up
// weather forecasts from a vendor that allows 20 calls per second, and every
// call goes through ForecastThrottled (cache → retry → gcra → timeout, see
// client.go). The vendor enforces its own limit and counts what it refused:
// a run shows the client spending the quota without tripping it.
//
// In memory (one process; starts a stand-in vendor on 127.0.0.1):
//
//	go run ./examples/apiclient
//
// Across processes, sharing one quota and one cache through Redis:
//
//	go run ./examples/apiclient -serve-vendor 127.0.0.1:8080 &
//	go run ./examples/apiclient -redis 127.0.0.1:6379 -vendor http://127.0.0.1:8080 &
//	go run ./examples/apiclient -redis 127.0.0.1:6379 -vendor http://127.0.0.1:8080
//
// The vendor prints, each second, what it served and refused: together the
// clients stay within 20 calls per second.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	throttle "github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// The vendor's own limit: as fast as the client's gcra directive, with more
// burst, so that network jitter does not make it refuse calls the client's
// limiter spaced out.
const (
	vendorRate  = 20
	vendorBurst = 10
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apiclient:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	redis, vendor, serveVendor string
	redisTimeout               time.Duration
	prefix                     string
	workers, lookups, cities   int
}

func parse(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("apiclient", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.redis, "redis", "", "Redis `addresses`, comma-separated (several: a Cluster): share the quota and the cache with other processes")
	fs.DurationVar(&c.redisTimeout, "redis-timeout", redisstore.DefaultTimeout, "how long Redis may take to answer before it counts as unavailable (the quota then lets calls through: fail=open)")
	fs.StringVar(&c.vendor, "vendor", "", "the vendor's base `URL` (default: start a stand-in vendor)")
	fs.StringVar(&c.serveVendor, "serve-vendor", "", "only serve a stand-in vendor on `addr` until interrupted")
	fs.IntVar(&c.workers, "workers", 4, "concurrent workers")
	fs.IntVar(&c.lookups, "lookups", 120, "lookups, spread over the workers")
	fs.IntVar(&c.cities, "cities", 40, "distinct cities looked up")
	fs.StringVar(&c.prefix, "prefix", "city", "city names are `prefix`-NN (other prefixes miss the cache)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.workers < 1 || c.lookups < 0 || c.cities < 1 {
		return c, errors.New("-workers and -cities must be at least 1, -lookups at least 0")
	}
	return c, nil
}

// run is the program: parse args, configure the runtime, look up forecasts
// and print a summary to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	c, err := parse(args, out)
	if err != nil {
		return err
	}
	if c.serveVendor != "" {
		return serveVendor(ctx, c.serveVendor, out)
	}
	r, err := lookUp(ctx, c)
	fmt.Fprintf(out, "%d lookups by %d workers in %v: %d answered, %d failed\n",
		c.lookups, c.workers, r.elapsed.Round(10*time.Millisecond), r.answered, r.failed)
	fmt.Fprintf(out, "cache: %d hits, %d misses\n", r.cacheHits, r.cacheMisses)
	fmt.Fprintf(out, "weather-vendor quota (gcra 20/s, burst 5): %d calls admitted, %d waited for their turn, %d rejected\n",
		r.rateAllowed, r.rateWaited, r.rateRejected)
	if r.vendor != nil {
		fmt.Fprintf(out, "vendor (its own limit %d/s, burst %d): served %d, refused %d\n",
			vendorRate, vendorBurst, r.vendor.Served, r.vendor.Refused)
	}
	return err
}

// report is what a run of lookUp saw.
type report struct {
	stats
	answered, failed int
	elapsed          time.Duration
	vendor           *VendorStats // nil when the vendor is another process's
}

// lookUp configures the runtime for c, runs the workers and reports. The
// error is the first failed lookup's, if any.
func lookUp(ctx context.Context, c config) (report, error) {
	var r report
	hook := &statsHook{}
	opts := []throttle.Option{throttle.WithHook(hook)}
	if c.redis != "" {
		rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: strings.Split(c.redis, ",")})
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return r, fmt.Errorf("redis %s: %w", c.redis, err)
		}
		store := redisstore.New(rdb, redisstore.WithTimeout(c.redisTimeout))
		opts = append(opts, throttle.WithStore(store), throttle.WithKeyspace("apiclient"))
	}
	// Leave the process's runtime as it found it (tests run this more than once).
	defer throttle.SaveConfig()()
	throttle.Configure(opts...)

	var vendor *Vendor
	base := c.vendor
	if base == "" {
		vendor = NewVendor(vendorRate, vendorBurst)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return r, err
		}
		srv := &http.Server{Handler: vendor}
		go srv.Serve(ln)
		defer srv.Close()
		base = "http://" + ln.Addr().String()
	}

	client := &Client{BaseURL: base}
	start := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for w := range c.workers {
		wg.Go(func() {
			for i := w; i < c.lookups; i += c.workers {
				_, err := client.ForecastThrottled(ctx, cityName(c.prefix, i, c.cities))
				mu.Lock()
				if err == nil {
					r.answered++
				} else {
					r.failed++
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.stats = hook.snapshot()
	if vendor != nil {
		v := vendor.Stats()
		r.vendor = &v
	}
	if firstErr != nil {
		return r, fmt.Errorf("%d lookups failed, the first with: %w", r.failed, firstErr)
	}
	return r, nil
}

// cityName is the city of the i-th lookup: each of n cities comes up once
// before any repeats.
func cityName(prefix string, i, n int) string {
	return fmt.Sprintf("%s-%02d", prefix, i%n)
}

// serveVendor serves a stand-in vendor on addr until ctx ends, printing
// each second what it served and refused.
func serveVendor(ctx context.Context, addr string, out io.Writer) error {
	v := NewVendor(vendorRate, vendorBurst)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: v}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(out, "vendor on http://%s (limit %d/s, burst %d)\n", ln.Addr(), vendorRate, vendorBurst)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var prev VendorStats
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			s := v.Stats()
			if s != prev {
				fmt.Fprintf(out, "served %d (+%d), refused %d (+%d)\n",
					s.Served, s.Served-prev.Served, s.Refused, s.Refused-prev.Refused)
				prev = s
			}
		}
	}
}
