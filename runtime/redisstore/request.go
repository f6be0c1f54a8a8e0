package redisstore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
)

// Modes of the decision script (ARGV mode).
const (
	modeDecide = 1
	modeCancel = 2
)

// errMalformedReply is returned when the script answers something the store
// cannot parse (a server running another version of the script).
var errMalformedReply = errors.New("redisstore: malformed script reply")

// micros converts d to whole microseconds, rounding up, as the runtime does.
func micros(d time.Duration) int64 {
	q := int64(d) / int64(time.Microsecond)
	if int64(d)%int64(time.Microsecond) > 0 {
		q++
	}
	return q
}

// validate checks what the script relies on: one key per limit and sane
// parameters (the same rules as the in-memory store).
func validate(req *runtime.Request) error {
	if len(req.Limits) == 0 || len(req.Keys) != len(req.Limits) {
		return errors.New("redisstore: request needs one key per limit")
	}
	for _, l := range req.Limits {
		if l == nil || l.Quota <= 0 || l.Duration <= 0 || l.Algorithm < runtime.FixedWindow ||
			l.Algorithm > runtime.LeakyBucket || (l.Algorithm == runtime.LeakyBucket && l.Bucket < 0) {
			return fmt.Errorf("redisstore: invalid limit %+v", l)
		}
	}
	return nil
}

// encode builds the keys and the packed ARGV of req into one string (one
// allocation) and returns it with the end offset of each key in it; the
// ARGV is the rest.
func encode(buf []byte, ends []int, req *runtime.Request, mode int) (string, []int, []byte) {
	pfx := prefix(req.Keyspace)
	var tagBuf [8]byte
	tag := multiTag
	if len(req.Limits) == 1 && req.Keys[0] != "" {
		tag = string(appendTag(tagBuf[:0], req.Limits[0], req.Keys[0])) // does not escape
	}
	for i, l := range req.Limits {
		buf = appendKey(buf, pfx, tag, l, req.Keys[i])
		ends = append(ends, len(buf))
	}
	buf = strconv.AppendInt(buf, int64(mode), 10)
	if req.Now.IsZero() {
		buf = append(buf, " 0 0"...)
	} else {
		buf = append(buf, " 1 "...)
		buf = strconv.AppendInt(buf, req.Now.UnixMicro(), 10)
	}
	maxWait := int64(-1)
	if req.MaxWait >= 0 {
		maxWait = micros(req.MaxWait)
	}
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, maxWait, 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(len(req.Limits)), 10)
	for _, l := range req.Limits {
		b := l.Burst
		if b <= 0 {
			b = l.Quota
		}
		for _, v := range [...]int64{int64(l.Algorithm), l.Quota, micros(l.Duration), b, l.Bucket} {
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, v, 10)
		}
	}
	return string(buf), ends, buf
}

// parseDecision parses the script's reply "allowed remaining delay retry
// rejected reason".
func parseDecision(s string) (runtime.Decision, error) {
	var v [6]int64
	i := 0
	for f := 0; f < len(v); f++ {
		if i >= len(s) {
			return runtime.Decision{}, errMalformedReply
		}
		neg := false
		if s[i] == '-' {
			neg = true
			i++
		}
		start := i
		var n int64
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int64(s[i]-'0')
			i++
		}
		if i == start || (i < len(s) && s[i] != ' ') {
			return runtime.Decision{}, errMalformedReply
		}
		if neg {
			n = -n
		}
		v[f] = n
		i++ // the space
	}
	if i < len(s) {
		return runtime.Decision{}, errMalformedReply
	}
	return runtime.Decision{
		Allowed:    v[0] == 1,
		Remaining:  v[1],
		Delay:      time.Duration(v[2]) * time.Microsecond,
		RetryAfter: time.Duration(v[3]) * time.Microsecond,
		Rejected:   int(v[4]),
		Reason:     runtime.Reason(v[5]),
	}, nil
}
