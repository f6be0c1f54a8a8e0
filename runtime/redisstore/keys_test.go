package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throttlegen/throttlegen/internal/redistest"
	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/redisstore"
)

// hostile are user keys and names chosen to break naive layouts: separators,
// braces (Cluster hash tags), escapes, newlines, empty and very long values,
// and pairs whose concatenations coincide.
var hostile = []string{
	"", ":", "::", "a", "a:", ":a", "a:b", "a:b:c", "{", "}", "{}", "{a}", "}{", "{a", "a}",
	`\`, `\\`, `\(`, `\)`, "\n", "\r\n", "a\nb", "\x00", "1:a", "2:ab", "#", "#00",
	strings.Repeat("x", 64), strings.Repeat("x", 65), strings.Repeat("x", 66),
	strings.Repeat("{", 100), strings.Repeat("y", 1000) + "1", strings.Repeat("y", 1000) + "2",
	"é", "\xff",
}

// hashTag returns the part of key Redis Cluster hashes.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// TestKeysInjective: no two (algorithm, name, key) triples share a Redis key,
// and the Cluster hash tag of every key is the tag the store chose, not
// something a user character made up.
func TestKeysInjective(t *testing.T) {
	seen := map[string]string{}
	for _, ks := range []string{"throttle", "my{app}", "a:b"} {
		for _, alg := range []runtime.Algorithm{runtime.GCRA, runtime.FixedWindow} {
			for _, name := range hostile {
				for _, key := range hostile {
					l := &runtime.Limit{Name: name, Algorithm: alg}
					id := ks + "|" + alg.String() + "|" + name + "|" + key
					for _, k := range []string{redisstore.Key(ks, l, key), redisstore.SpreadKey(ks, l, key)} {
						if prev, ok := seen[k]; ok && prev != id {
							t.Fatalf("key %q shared by %q and %q", k, prev, id)
						}
						seen[k] = id
						tag := hashTag(k)
						if strings.ContainsAny(tag, "{}") || tag == k || len(tag) > 8 {
							t.Fatalf("key %q hashes on %q, not on the store's tag", k, tag)
						}
						if ks != "my{app}" && !strings.HasPrefix(k, ks+":{") {
							t.Fatalf("key %q is not under keyspace %q", k, ks)
						}
						if len(k) > 200 {
							t.Fatalf("key %q is %d bytes long", k[:50], len(k))
						}
					}
				}
			}
		}
	}
	// Spread keys spread by user key; the default ones share one tag.
	l := &runtime.Limit{Name: "n", Algorithm: runtime.GCRA}
	if hashTag(redisstore.SpreadKey("k", l, "a")) == hashTag(redisstore.SpreadKey("k", l, "b")) {
		t.Error("spread keys of two users share a hash tag")
	}
	if hashTag(redisstore.Key("k", l, "a")) != hashTag(redisstore.Key("k", &runtime.Limit{Name: "o"}, "b")) {
		t.Error("keys do not share a hash tag")
	}
}

// TestHostileKeysLiveSeparately: decisions on hostile keys of one limit do
// not share state in a real server, and each key written has a TTL and lies
// under the keyspace.
func TestHostileKeysLiveSeparately(t *testing.T) {
	s, srv := newStore(t)
	ctx := context.Background()
	l := &runtime.Limit{Name: "users.Get", Algorithm: runtime.FixedWindow, Quota: 1, Duration: time.Hour}
	for _, key := range hostile {
		d, err := s.Decide(ctx, &runtime.Request{Keyspace: "hostile", Limits: []*runtime.Limit{l}, Keys: []string{key}})
		if err != nil || !d.Allowed {
			t.Fatalf("first call of key %q: %+v, %v (state shared with another key?)", key, d, err)
		}
	}
	n, err := redistest.Do(srv.Addr(), "DBSIZE")
	if err != nil {
		t.Fatal(err)
	}
	if n != strconv.Itoa(len(hostile)) {
		t.Fatalf("%s keys, want one per user key (%d)", n, len(hostile))
	}
	assertTTLs(t, srv.Addr())
}

// assertTTLs fails unless every key of the server has a TTL.
func assertTTLs(t *testing.T, addr string) {
	t.Helper()
	// A script avoids splitting binary key names in the text protocol helper.
	out, err := redistest.Do(addr, "EVAL", `
		local bad = 0
		local cursor = '0'
		repeat
			local r = redis.call('SCAN', cursor, 'COUNT', 1000)
			cursor = r[1]
			for _, k in ipairs(r[2]) do
				if redis.call('PTTL', k) < 0 then bad = bad + 1 end
			end
		until cursor == '0'
		return bad`, "0")
	if err != nil {
		t.Fatal(err)
	}
	if out != "0" {
		t.Fatalf("%s keys without a TTL", out)
	}
}

// hostileKeyspaces are keyspaces chosen to collide under a layout that
// escapes some keyspaces and not others, or that lets a keyspace imitate the
// separators after it.
var hostileKeyspaces = []string{
	"", "p", "p{", `p\(`, `p\\(`, `p\`, `p\\`, "p}", `p\)`, "p:", "p:{t}", "p:{t}:gcra", ":", "{", "}", `\`,
	"throttle", "a:b", "my{app}", `my\(app\)`,
}

// TestKeyspacesNeverShareAKey: no two distinct keyspaces share a rate key
// (default or spread), a cache key, a lease key or a lease channel, and
// every key's Cluster hash tag is the store's.
func TestKeyspacesNeverShareAKey(t *testing.T) {
	seen := map[string]string{}
	add := func(k, id string) {
		t.Helper()
		if prev, ok := seen[k]; ok && prev != id {
			t.Fatalf("key %q shared by %q and %q", k, prev, id)
		}
		seen[k] = id
		if tag := hashTag(k); strings.ContainsAny(tag, "{}") || tag == k {
			t.Fatalf("key %q hashes on %q, not on the store's tag", k, tag)
		}
	}
	for _, ks := range hostileKeyspaces {
		for _, name := range []string{"", "n", "{", `\(`, ":"} {
			for _, key := range []string{"", "k", "}", `\)`, ":{t}:"} {
				l := &runtime.Limit{Name: name, Algorithm: runtime.GCRA}
				id := ks + "|" + name + "|" + key
				add(redisstore.Key(ks, l, key), "rate|"+id)
				add(redisstore.SpreadKey(ks, l, key), "rate|"+id) // one state with Key when unkeyed
				add(redisstore.CacheKey(ks, name, key), "cache|"+id)
			}
			add(redisstore.LeaseChannel(ks, name), "lease|"+ks+"|"+name)
		}
	}
}

// TestKeyspacesLiveSeparately: in a real server, decisions and cache entries
// of keyspaces that once shared keys ("p{" and `p\(`) do not see each other,
// and Clear of one keyspace leaves the others' keys alone.
func TestKeyspacesLiveSeparately(t *testing.T) {
	s, srv := newStore(t)
	ctx := context.Background()
	l := &runtime.Limit{Name: "users.Get", Algorithm: runtime.FixedWindow, Quota: 1, Duration: time.Hour}
	for _, ks := range hostileKeyspaces {
		d, err := s.Decide(ctx, &runtime.Request{Keyspace: ks, Limits: []*runtime.Limit{l}, Keys: []string{"k"}})
		if err != nil || !d.Allowed {
			t.Fatalf("first call in keyspace %q: %+v, %v (state shared with another keyspace?)", ks, d, err)
		}
		if err := s.SetCache(ctx, ks, "f", "k", []byte(ks), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for _, ks := range hostileKeyspaces {
		v, ok, err := s.GetCache(ctx, ks, "f", "k")
		if err != nil || !ok || string(v) != ks {
			t.Fatalf("cache of keyspace %q holds %q, %v, %v", ks, v, ok, err)
		}
	}
	if err := s.Clear(ctx, "p{"); err != nil {
		t.Fatal(err)
	}
	n, err := redistest.Do(srv.Addr(), "DBSIZE")
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(2 * (len(hostileKeyspaces) - 1)); n != want {
		t.Fatalf("%s keys after clearing one keyspace, want %s", n, want)
	}
	if _, ok, _ := s.GetCache(ctx, `p\(`, "f", "k"); !ok {
		t.Fatal(`Clear("p{") removed keyspace p\( 's cache entry`)
	}
	assertTTLs(t, srv.Addr())
}
