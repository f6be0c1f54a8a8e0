package runtime

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// heapPerKey returns the heap (HeapAlloc, after a GC) that n distinct keys of
// keyLen bytes, each admitted once by a limit of algorithm alg, keep alive in
// a new MemoryStore, per key. Each key is built inside the measurement, as a
// server builds keys from requests, and dropped by the caller after its
// call: a store that keeps the caller's string pays for its bytes.
func heapPerKey(alg Algorithm, keyLen, n int) float64 {
	l := &Limit{Name: "bytes", Algorithm: alg, Quota: 10, Duration: time.Hour}
	p := mustParams(l)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewMemoryStore()
	tab := s.table("bench", l)
	buf := make([]byte, keyLen)
	for i := range buf {
		buf[i] = 'k'
	}
	for i := range n {
		b := strconv.AppendInt(buf[:0], int64(i), 10)
		b = append(b, buf[len(b):]...)
		if o := tab.decideOne(&p, string(b), 1, 0, 1); !o.Allowed {
			panic("a new key was rejected")
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	runtime.KeepAlive(buf)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
}

// BenchmarkMemoryBytesPerKey reports the heap each of 50,000 keys keeps in a
// limit, by algorithm and key length (metric B/key). The measurement is
// made once, whatever b.N: run it with -benchtime 1x.
func BenchmarkMemoryBytesPerKey(b *testing.B) {
	const n = 50_000
	for _, alg := range []Algorithm{GCRA, TokenBucket} {
		for _, kl := range []int{16, 64, 65, 1024} {
			b.Run(alg.String()+"/"+strconv.Itoa(kl)+"B", func(b *testing.B) {
				b.ReportMetric(heapPerKey(alg, kl, n), "B/key")
			})
		}
	}
}

// BenchmarkRateLongKey is BenchmarkRateKeys100k's present-key decision with
// keys of 64 bytes (kept as they are) and 1 KB (kept as their SHA-256).
func BenchmarkRateLongKey(b *testing.B) {
	for _, kl := range []int{64, 1024} {
		keys := make([]string, 1000)
		for i := range keys {
			k := strconv.Itoa(i)
			keys[i] = k + strings.Repeat("k", kl-len(k))
		}
		for _, alg := range []Algorithm{GCRA, TokenBucket} {
			b.Run(alg.String()+"/"+strconv.Itoa(kl)+"B", func(b *testing.B) {
				cycleKeys(b, benchRate(b, "long"+strconv.Itoa(kl), alg, 1<<40, time.Microsecond), keys)
			})
		}
	}
}
