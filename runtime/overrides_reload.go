package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// OverridesEnv is the environment variable naming an override file that the
// program loads before its first decision.
const OverridesEnv = "THROTTLEGEN_OVERRIDES"

var (
	envOverridesOnce sync.Once
	envOverridesDone atomic.Bool             // set once loadEnvOverrides has run
	envStderr        io.Writer   = os.Stderr // where a bad file is reported
)

// loadEnvOverrides puts the override file named by THROTTLEGEN_OVERRIDES in
// force, once per process: limiters call it on their cold path, when they
// first resolve their settings, so that it runs before the program's first
// decision. A file that cannot be loaded is reported on stderr and the
// generated values stay. When the program has put a set in force itself
// before (WithOverrides, ReloadOverrides), that set stays: the program's
// own choice wins.
//
// Callers check envOverridesDone first, so that later calls cost one atomic
// load, and must not hold a limiter's lock: it may call Configure.
func loadEnvOverrides() {
	envOverridesOnce.Do(func() {
		defer envOverridesDone.Store(true)
		path := os.Getenv(OverridesEnv)
		if path == "" {
			return
		}
		o, err := LoadOverrides(path)
		if err != nil {
			fmt.Fprintf(envStderr, "throttle: %s=%s: the generated limits stay in force:\n%v\n", OverridesEnv, path, err)
			return
		}
		Configure(func(c *config) {
			if c.overrides == nil {
				c.overrides = o.set
			}
		})
	})
}

// overridesChanged is called after a Configure or a restored SaveConfig
// published cfg with another override set than before: every named
// concurrency limiter takes its new settings at once, so that waiting calls
// get the slots a larger capacity gives them without waiting for the next
// call.
func overridesChanged(cfg *config) {
	poolsMu.Lock()
	cs := make([]*Concurrency, 0, len(pools))
	for _, c := range pools {
		cs = append(cs, c)
	}
	poolsMu.Unlock()
	for _, c := range cs {
		c.refresh(true)
	}
}

// ReloadOverrides loads the override file at path (LoadOverrides) and, when
// it is valid, puts it in force (Configure(WithOverrides(o))). When it is
// not, the set in force stays and the error says why: a bad file never
// leaves the program without limits, nor with half of a file.
//
// Call it when the file may have changed, for example on SIGHUP:
//
//	hup := make(chan os.Signal, 1)
//	signal.Notify(hup, syscall.SIGHUP)
//	go func() {
//		for range hup {
//			if err := runtime.ReloadOverrides(path); err != nil {
//				log.Print(err)
//			}
//		}
//	}()
//
// or let WatchOverrides poll the file. ReloadOverrides is safe for
// concurrent use; concurrent reloads put one of the files in force.
func ReloadOverrides(path string) error {
	o, err := LoadOverrides(path)
	if err != nil {
		return err
	}
	Configure(WithOverrides(o))
	return nil
}

// DefaultWatchInterval is the polling interval of WatchOverrides when it is
// given none.
const DefaultWatchInterval = 10 * time.Second

// WatchOverrides keeps the override file at path in force until ctx ends.
// It loads the file at once, then reads it every `every` (real time,
// DefaultWatchInterval when every <= 0) and reloads it (ReloadOverrides)
// whenever its content changed: an edit, a replacement by rename (as
// editors and ConfigMap updates do), or the file coming back after it was
// removed. A file that cannot be read or has errors is reported to report
// (nil writes to stderr), once per distinct content or error, and the set
// in force stays, so the program never runs without limits: fix the file
// and the next poll puts it in force.
//
// WatchOverrides blocks: run it on its own goroutine. It returns once ctx
// ends, leaving nothing running behind.
//
//	go runtime.WatchOverrides(ctx, "/etc/myapp/limits.txt", 10*time.Second, func(err error) {
//		log.Printf("limits not reloaded: %v", err)
//	})
func WatchOverrides(ctx context.Context, path string, every time.Duration, report func(error)) {
	if every <= 0 {
		every = DefaultWatchInterval
	}
	if report == nil {
		report = func(err error) { fmt.Fprintln(envStderr, err) }
	}
	w := overrideWatch{path: path, report: report}
	w.poll()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll()
		}
	}
}

// overrideWatch is WatchOverrides' memory of what it read last.
type overrideWatch struct {
	path    string
	report  func(error)
	content []byte // the content last read (applied or reported)
	read    bool   // content holds a read file
	lastErr string // the read error last reported
}

// poll reads the file and reloads it when its content changed.
func (w *overrideWatch) poll() {
	b, err := os.ReadFile(w.path)
	if err != nil {
		msg := err.Error()
		if msg != w.lastErr {
			w.lastErr = msg
			w.report(fmt.Errorf("throttle: overrides: %w", err))
		}
		w.read = false // a file that comes back is read again
		return
	}
	w.lastErr = ""
	if w.read && bytes.Equal(b, w.content) {
		return
	}
	w.content, w.read = b, true
	o, err := ParseOverrides(string(b))
	if oe, ok := err.(*OverrideError); ok {
		oe.Path = w.path
	}
	if err != nil {
		w.report(err)
		return
	}
	Configure(WithOverrides(o))
}
