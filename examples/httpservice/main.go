// Command httpservice is throttlegen's load-shedding example: an HTTP
// service whose expensive endpoint sheds load with a generated concurrency
// wrapper (capacity, consumer and priority quotas; see service.go), whose
// whole API sits behind runtime/httpthrottle middleware, and which exports
// its decisions as Prometheus metrics (runtime/promhook) on /metrics.
//
// See the shedding in one command (serves on a free port, loads it for 3s,
// prints who got what and the metrics):
//
//	go run ./examples/httpservice -demo
//
// Or serve, and load it from elsewhere:
//
//	go run ./examples/httpservice -addr 127.0.0.1:8080
//	go run ./examples/httpservice -load http://127.0.0.1:8080 -duration 5s
//	curl -s 127.0.0.1:8080/metrics | grep ^throttle_
package main

import (
	"bufio"
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
	"time"

	"github.com/prometheus/client_golang/prometheus"

	throttle "github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/promhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "httpservice:", err)
		os.Exit(1)
	}
}

// run is the program.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("httpservice", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "127.0.0.1:8080", "serve on `address`")
	load := fs.String("load", "", "only load the service at `URL` (e.g. http://127.0.0.1:8080)")
	demo := fs.Bool("demo", false, "serve on a free port, load it, print the answers and the metrics")
	duration := fs.Duration("duration", 3*time.Second, "how long -load and -demo send requests")
	work := fs.Duration("work", 50*time.Millisecond, "how long a report takes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case *load != "":
		tallies, err := Load(ctx, strings.TrimRight(*load, "/"), DefaultMix, *duration)
		PrintTallies(out, tallies)
		return err
	case *demo:
		srv, err := Start("127.0.0.1:0", &Service{Work: *work})
		if err != nil {
			return err
		}
		defer srv.Close()
		fmt.Fprintf(out, "serving on %s; loading it for %v\n\n", srv.URL, *duration)
		tallies, err := Load(ctx, srv.URL, DefaultMix, *duration)
		PrintTallies(out, tallies)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "\nGET /metrics (throttle_decisions_total):")
		return printMetrics(ctx, out, srv.URL, "throttle_decisions_total")
	default:
		srv, err := Start(*addr, &Service{Work: *work})
		if err != nil {
			return err
		}
		defer srv.Close()
		fmt.Fprintf(out, "serving on %s (/api/report, /api/hello, /metrics, /healthz)\n", srv.URL)
		<-ctx.Done()
		return nil
	}
}

// Server is a running httpservice.
type Server struct {
	URL string // e.g. http://127.0.0.1:8080
	srv *http.Server
}

// Start serves s on addr (":0" picks a free port) with a fresh Prometheus
// registry holding the throttle metrics, installed as the runtime's hook.
func Start(addr string, s *Service) (*Server, error) {
	hook := promhook.New(promhook.WithConstLabels(prometheus.Labels{"service": "httpservice"}))
	reg := prometheus.NewRegistry()
	if err := reg.Register(hook); err != nil {
		return nil, err
	}
	throttle.Configure(throttle.WithHook(hook))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: newHandler(s, reg), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "httpservice:", err)
		}
	}()
	return &Server{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// Close stops the server at once.
func (s *Server) Close() error { return s.srv.Close() }

// printMetrics copies the lines of base/metrics that start with prefix.
func printMetrics(ctx context.Context, out io.Writer, base, prefix string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			fmt.Fprintln(out, sc.Text())
		}
	}
	return sc.Err()
}
