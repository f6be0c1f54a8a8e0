package redisstore

import (
	"context"
	"encoding/binary"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/ratemath"
)

// driverFiles are the Lua files that are not an algorithm's.
var driverFiles = map[string]bool{"prelude": true, "common": true, "state": true, "dispatch": true, "single": true}

// TestEveryAlgorithmHasItsScripts: every row of the algorithm table has its
// Lua file (with a cancel exactly when it reserves), its own script and its
// functions in the dispatcher, and every other Lua file is a driver's: no
// algorithm is missing, and none is left over.
func TestEveryAlgorithmHasItsScripts(t *testing.T) {
	rows := map[string]bool{}
	for i := range ratemath.Algorithms {
		a := &ratemath.Algorithms[i]
		rows[a.Name] = true
		src, err := luaFiles.ReadFile("lua/" + a.Name + ".lua")
		if err != nil {
			t.Errorf("%s: no Lua file: %v", a.Name, err)
			continue
		}
		if strings.Contains(string(src), cancelMark) != a.Reserves {
			t.Errorf("%s: lua/%s.lua has a cancel: %v; the algorithm reserves: %v",
				a.Name, a.Name, !a.Reserves, a.Reserves)
		}
		if algScripts[a.ID] == nil || AlgorithmScript(runtime.Algorithm(a.ID)) == "" {
			t.Errorf("%s: no script of its own", a.Name)
		}
		for _, fn := range []string{"_decide(", "_commit(", "_cancel("} {
			want := fn != "_cancel(" || a.Reserves
			if has := strings.Contains(Script(), "local function "+a.Name+fn); has != want {
				t.Errorf("%s: the dispatcher defines %s%s: %v, want %v", a.Name, a.Name, fn, has, want)
			}
		}
	}
	files, err := fs.Glob(luaFiles, "lua/*.lua")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "lua/"), ".lua")
		if !driverFiles[name] && !rows[name] {
			t.Errorf("%s is neither a driver's nor an algorithm's of the table", f)
		}
	}
}

// TestUnknownAlgorithmIsAnError: a call naming an algorithm the table does
// not hold is refused by the store, and by the scripts if it reached them;
// neither falls through to another algorithm.
func TestUnknownAlgorithmIsAnError(t *testing.T) {
	unknown := runtime.Algorithm(len(ratemath.Algorithms) + 1)
	req := &runtime.Request{Keyspace: "unknown", Keys: []string{"k"},
		Limits: []*runtime.Limit{{Name: "u", Algorithm: unknown, Quota: 1, Duration: time.Second, Bucket: 1}}}
	if err := validate(req); err == nil {
		t.Fatal("validate accepted an unknown algorithm")
	}
	if AlgorithmScript(unknown) != "" {
		t.Fatal("an unknown algorithm has a script")
	}

	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	for _, mode := range []int{modeDecide, modeCancel} {
		// Encode a valid gcra call over two limits (the dispatcher's), then
		// make its first limit's algorithm unknown.
		gcra := &runtime.Limit{Name: "g", Algorithm: runtime.GCRA, Quota: 1, Duration: time.Second}
		req := &runtime.Request{Keyspace: "unknown", Keys: []string{"k", "k2"}, Limits: []*runtime.Limit{gcra, gcra}}
		e := encode(nil, nil, req, mode, false)
		argv := []byte(e.all[e.argv:])
		const algWord = 8 * (1 + 5) // m, then mode nowset now maxwait n
		if got := int64(binary.LittleEndian.Uint64(argv[algWord:])); got != int64(runtime.GCRA) {
			t.Fatalf("the word at %d is %d, not the algorithm", algWord, got)
		}
		binary.LittleEndian.PutUint64(argv[algWord:], uint64(unknown))
		keys := []string{e.all[:e.keyEnds[0]], e.all[e.keyEnds[0]:e.keyEnds[1]]}
		err := rdb.Eval(ctx, dispatchScript.src, keys, string(argv)).Err()
		if err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("mode %d: the dispatcher answered %v to an unknown algorithm, want a malformed-request error", mode, err)
		}
	}
}
