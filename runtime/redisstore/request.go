package redisstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// Modes of the decision script (ARGV mode).
const (
	modeDecide = 1
	modeCancel = 2
)

// errMalformedReply is returned when the script answers something the store
// cannot parse (a server running another version of the script).
var errMalformedReply = errors.New("redisstore: malformed script reply")

// validate checks what the script relies on: one key per limit, one cost
// per limit (or none), costs not negative, and valid parameters
// (ratemath.Derive: the same rules as the in-memory store) whose products
// the scripts compute exactly (ratemath.Params.CheckExact: below 2^53).
// Each call's values are checked as they come: a limit's values may change
// from one call to the next.
func validate(req *runtime.Request) error {
	if len(req.Limits) == 0 || len(req.Keys) != len(req.Limits) {
		return errors.New("redisstore: request needs one key per limit")
	}
	if req.Costs != nil && len(req.Costs) != len(req.Limits) {
		return errors.New("redisstore: request needs one cost per limit, or none")
	}
	for i, l := range req.Limits {
		if l == nil {
			return errors.New("redisstore: nil limit")
		}
		p, err := limitParams(l)
		if err == nil {
			err = p.CheckExact()
		}
		if err != nil {
			return fmt.Errorf("redisstore: invalid limit %+v: %w", l, err)
		}
		if c := req.Cost(i); c < 0 {
			return fmt.Errorf("redisstore: limit %q: cost %d: %w", l.Name, c, runtime.ErrInvalidCost)
		}
	}
	return nil
}

// free reports whether every cost of req is 0: the call is admitted
// without touching any state, and needs no round trip.
func free(req *runtime.Request) bool {
	if req.Costs == nil {
		return false
	}
	for _, c := range req.Costs {
		if c != 0 {
			return false
		}
	}
	return true
}

// limitParams derives l's parameters, as the in-memory store does.
func limitParams(l *runtime.Limit) (ratemath.Params, error) {
	return ratemath.Derive(uint8(l.Algorithm), l.Quota, l.Duration, l.Burst, l.Bucket)
}

// encoded locates the parts of a call's one string (see encode).
type encoded struct {
	all      string
	keyEnds  []int // end offset of each key in all
	argv     int   // offset of ARGV[1] (the m = 1 header, then the body)
	tagStart int   // the hash tag of the call's keys is all[tagStart:tagEnd]
	tagEnd   int
	buf      []byte // the scratch buffer, for reuse
}

// encode builds the keys of req and its packed ARGV (as lua/dispatch.lua
// reads it, for one call) into one string: one allocation per call.
func encode(buf []byte, ends []int, req *runtime.Request, mode int, spread bool) encoded {
	pfx := prefix(req.Keyspace)
	var tagBuf [8]byte
	tag := sharedTag
	if spread && len(req.Limits) == 1 && req.Keys[0] != "" {
		tag = string(appendTag(tagBuf[:0], req.Limits[0], req.Keys[0])) // does not escape
	}
	for i, l := range req.Limits {
		buf = appendKey(buf, pfx, tag, l, req.Keys[i])
		ends = append(ends, len(buf))
	}
	argv := len(buf)
	nowSet, now := int64(0), int64(0)
	if !req.Now.IsZero() {
		nowSet, now = 1, req.Now.UnixMicro()
	}
	maxWait := int64(-1)
	if req.MaxWait >= 0 {
		maxWait = ratemath.Micros(req.MaxWait)
	}
	buf = appendInts(buf, 1, int64(mode), nowSet, now, maxWait, int64(len(req.Limits)))
	for i, l := range req.Limits {
		p, _ := limitParams(l) // validated
		buf = appendInts(buf, int64(p.Algo.ID), p.Quota, p.Period, p.Burst, p.Bucket, p.Interval, p.Capacity, p.BurstSpan,
			req.Cost(i))
	}
	tagStart := len(pfx) + 2
	return encoded{all: string(buf), keyEnds: ends, argv: argv,
		tagStart: tagStart, tagEnd: tagStart + len(tag), buf: buf}
}

// appendInts appends vs as little-endian int64s (Lua's struct '<i8').
func appendInts(b []byte, vs ...int64) []byte {
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return b
}

// replySize is the size of the script's packed reply.
const replySize = 6 * 8

// parseDecision parses the script's reply: six little-endian int64s,
// allowed remaining delay retry rejected reason.
func parseDecision(s string) (runtime.Decision, error) {
	if len(s) != replySize {
		return runtime.Decision{}, errMalformedReply
	}
	var v [6]int64
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64([]byte(s[8*i : 8*i+8])))
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
