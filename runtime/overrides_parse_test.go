package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testKnown is the program the table tests check override texts against.
func testKnown() *knownLimits {
	k := &knownLimits{policies: map[string][]string{
		"weather-vendor":        {"gcra"},
		"example.com/users.Get": {"sliding_window"},
		"api":                   {"concurrency"},
		"pacer":                 {"leaky_bucket"},
		"both":                  {"fixed_window", "gcra"},
	}}
	for n := range k.policies {
		k.names = append(k.names, n)
	}
	return k
}

// problemText is problems as ParseOverrides' error would print them.
func problemText(ps []OverrideProblem) string {
	return (&OverrideError{Problems: ps}).Error()
}

func TestParseOverridesErrors(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, tc := range []struct{ name, text, want string }{
		{"misspelt name", "weather-vendr gcra quota=5",
			`1:1: unknown limit "weather-vendr"; did you mean "weather-vendor"?`},
		{"unknown name", "nothing gcra quota=5",
			`1:1: unknown limit "nothing": no rate limit or concurrency limiter of this program has that name (a rate limit's name= or a concurrency limiter's pool=, else the function's full name importpath.Func)`},
		{"misspelt policy", "weather-vendor gcrra quota=5",
			`1:16: unknown policy "gcrra"; did you mean "gcra"?`},
		{"unknown policy", "weather-vendor bulkhead quota=5",
			`1:16: unknown policy "bulkhead" (want one of fixed_window, sliding_window, token_bucket, gcra, leaky_bucket, concurrency)`},
		{"policy not overridable", "weather-vendor retry attempts=3",
			`1:16: policy retry cannot be overridden: overrides change rate limits and concurrency limiters`},
		{"other policy", "weather-vendor sliding_window quota=5",
			`1:16: "weather-vendor" is a gcra limit, not sliding_window: an override for a limit of another policy is refused`},
		{"other policy of a rate limit as concurrency", "weather-vendor concurrency capacity=5",
			`1:16: "weather-vendor" is a gcra limit, not concurrency: an override for a limit of another policy is refused`},
		{"other policy, two policies", "both token_bucket quota=5",
			`1:6: "both" is a fixed_window and gcra limit, not token_bucket: an override for a limit of another policy is refused`},
		{"other policy, arguments still judged", "api gcra capacity=5",
			"1:5: \"api\" is a concurrency limit, not gcra: an override for a limit of another policy is refused\n" +
				`1:10: unknown argument "capacity" for gcra (want one of quota, duration, burst, wait, fail, mode, key)`},
		{"unknown and unknown", "nothing nopolicy quota=1",
			"1:1: unknown limit \"nothing\": no rate limit or concurrency limiter of this program has that name (a rate limit's name= or a concurrency limiter's pool=, else the function's full name importpath.Func)\n" +
				`1:9: unknown policy "nopolicy" (want one of fixed_window, sliding_window, token_bucket, gcra, leaky_bucket, concurrency)`},
		{"misspelt argument", "weather-vendor gcra quot=5",
			`1:21: unknown argument "quot" for gcra; did you mean "quota"?`},
		{"argument of another algorithm", "weather-vendor gcra bucket=5",
			`1:21: unknown argument "bucket" for gcra (want one of quota, duration, burst, wait, fail, mode, key)`},
		{"burst on a window", "example.com/users.Get sliding_window burst=5",
			`1:38: unknown argument "burst" for sliding_window (want one of quota, duration, wait, fail, mode, key)`},
		{"expression", "weather-vendor gcra cost=2",
			`1:21: cost= cannot be overridden: expressions and identities cannot be overridden`},
		{"identity", "weather-vendor gcra name=other",
			`1:21: name= cannot be overridden: expressions and identities cannot be overridden`},
		{"scope", "api concurrency scope=global",
			`1:17: scope= cannot be overridden: expressions and identities cannot be overridden`},
		{"consumer", "api concurrency consumer=tenant",
			`1:17: consumer= cannot be overridden: expressions and identities cannot be overridden`},
		{"pool", "api concurrency pool=other",
			`1:17: pool= cannot be overridden: expressions and identities cannot be overridden`},
		{"key on concurrency", "api concurrency capacity=2 key=acme",
			`1:28: key= selects a key of a rate limit; a concurrency override applies to the whole limiter`},
		{"quota zero", "weather-vendor gcra quota=0",
			`1:27: quota=0: must be at least 1`},
		{"quota not a number", "weather-vendor gcra quota=MaxCalls",
			`1:27: quota=MaxCalls: want a whole number`},
		{"quota too large", "weather-vendor gcra quota=9007199254740993",
			`1:27: quota=9007199254740993: too large (at most 2^53)`},
		{"burst zero", "weather-vendor gcra burst=0",
			`1:27: burst=0: must be at least 1`},
		{"bucket zero", "pacer leaky_bucket bucket=0",
			`1:27: bucket=0: must be at least 1`},
		{"duration zero", "weather-vendor gcra duration=0s",
			`1:30: duration=0s: must be positive`},
		{"duration negative", "weather-vendor gcra duration=-1s",
			`1:30: duration=-1s: must be positive`},
		{"duration bad", "weather-vendor gcra duration=1 second",
			"1:30: duration=1: want a duration such as 1s or 250ms\n" +
				`1:32: argument "second" has no value: write name=value`},
		{"duration sub-microsecond", "weather-vendor gcra duration=1500ns",
			`1:30: duration=1500ns: must be a whole number of microseconds`},
		{"wait negative", "weather-vendor gcra wait=-1ms",
			`1:26: wait=-1ms: must be positive`},
		{"fail", "weather-vendor gcra fail=opn",
			`1:26: fail=opn: want one of open, closed, local; did you mean "open"?`},
		{"mode", "weather-vendor gcra mode=shadw",
			`1:26: mode=shadw: want one of enforce, shadow, off; did you mean "shadow"?`},
		{"capacity zero", "api concurrency capacity=0",
			`1:26: capacity=0: must be at least 1`},
		{"queue negative", "api concurrency queue=-1",
			`1:23: queue=-1: must be at least 0`},
		{"order", "api concurrency order=lifoo",
			`1:23: order=lifoo: want one of lifo, fifo; did you mean "lifo"?`},
		{"max_wait", "api concurrency max_wait=soon",
			`1:26: max_wait=soon: want a duration such as 1s or 250ms`},
		{"priority quota name", "api concurrency priority_quota=normal:0.5,urgent:0.2",
			`1:43: priority_quota: unknown priority "urgent": want high, normal, low or none (calls without a priority)`},
		{"priority quota misspelt", "api concurrency priority_quota=hihg:0.2",
			`1:32: priority_quota: unknown priority "hihg": want high, normal, low or none (calls without a priority); did you mean "high"?`},
		{"consumer quota fraction", "api concurrency consumer_quota=1.5",
			`1:32: consumer_quota: "1.5": want a fraction in (0, 1], or NAME:fraction`},
		{"consumer quota twice", "api concurrency consumer_quota=a:0.5,a:0.3",
			`1:38: consumer_quota: "a" given twice`},
		{"consumer quota empty name", "api concurrency consumer_quota=:0.5",
			`1:32: consumer_quota: empty name before ':'`},
		{"quoted quota list", `api concurrency consumer_quota="0.5, b:2"`,
			`1:37: consumer_quota: " b:2": want a fraction in (0, 1], or NAME:fraction`},
		{"argument twice", "weather-vendor gcra quota=1 quota=2",
			`1:29: argument quota given twice`},
		{"sets nothing", "weather-vendor gcra",
			`1:16: the override of "weather-vendor" sets nothing: give the arguments to change, such as quota=100 or mode=shadow`},
		{"sets nothing but a key", "weather-vendor gcra key=acme",
			`1:16: the override of "weather-vendor" sets nothing: give the arguments to change, such as quota=100 or mode=shadow`},
		{"concurrency sets nothing", "api concurrency # capacity=2",
			`1:5: the override of "api" sets nothing: give the arguments to change, such as capacity=64 or mode=shadow`},
		{"missing policy", "weather-vendor",
			`1:1: missing policy after "weather-vendor": write NAME POLICY ARGUMENT=VALUE...`},
		{"argument for policy", "weather-vendor quota=5",
			`1:16: want a policy after the limit name, not an argument: write NAME POLICY ARGUMENT=VALUE...`},
		{"quoted policy", `weather-vendor "gcra" quota=5`,
			`1:16: the policy is a bare word, such as gcra or concurrency`},
		{"unterminated quote", `weather-vendor gcra key="acme quota=5`,
			`1:25: unterminated quoted value of key`},
		{"unterminated raw", "weather-vendor gcra key=`acme quota=5",
			`1:25: unterminated raw value of key`},
		{"bad escape", `weather-vendor gcra key="a\q" quota=5`,
			`1:25: bad quoted value of key: invalid syntax`},
		{"text after quote", `weather-vendor gcra key="a"b quota=5`,
			`1:28: unexpected text after the quoted value of key: separate words with a space`},
		{"no value", "weather-vendor gcra quota",
			`1:21: argument "quota" has no value: write name=value`},
		{"no name", "weather-vendor gcra =5",
			`1:21: missing argument name before =`},
		{"empty value", "weather-vendor gcra quota= burst=2",
			`1:27: argument quota has an empty value`},
		{"empty name", `"" gcra quota=5`,
			`1:1: empty limit name`},
		{"unterminated name", `"weather-vendor gcra quota=5`,
			`1:1: unterminated quoted value of the limit name`},
		{"duplicate line", "weather-vendor gcra quota=5\n\nweather-vendor  gcra burst=3",
			`3:1: a second override of gcra "weather-vendor" (the first is on line 1)`},
		{"duplicate keyed line", "weather-vendor gcra quota=5 key=acme\nweather-vendor gcra quota=6\nweather-vendor gcra key=`acme` burst=3",
			"3:1: a second override of gcra \"weather-vendor\" for key \"acme\" (the first is on line 1)"},
		{"duplicate concurrency", "api concurrency capacity=5\napi concurrency queue=3",
			`2:1: a second override of concurrency "api" (the first is on line 1)`},
		{"long name is clipped", long + " gcra quota=5",
			`1:1: unknown limit "` + strings.Repeat("x", 200) + `… (100 more bytes)": no rate limit or concurrency limiter of this program has that name (a rate limit's name= or a concurrency limiter's pool=, else the function's full name importpath.Func)`},
		{"long value is clipped", "weather-vendor gcra quota=" + long,
			`1:27: quota=` + strings.Repeat("x", 200) + `… (100 more bytes): want a whole number`},
		{"every error in order", "# limits\nweather-vendr gcra quota=5\napi concurrency capacity=0 queue=x\n\nexample.com/users.Get sliding_window quota=10 duration=1m\npacer leaky_bucket bucket=0 # comment",
			"2:1: unknown limit \"weather-vendr\"; did you mean \"weather-vendor\"?\n" +
				"3:26: capacity=0: must be at least 1\n" +
				"3:34: queue=x: want a whole number\n" +
				"6:27: bucket=0: must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := parseOverrides(tc.text, testKnown())
			if got := problemText(ps); got != tc.want {
				t.Errorf("parse of %q:\n got: %s\nwant: %s", tc.text, got, tc.want)
			}
		})
	}
}

func TestParseOverridesData(t *testing.T) {
	text := "# NAME                  POLICY         ARGUMENTS                      [key=VALUE]\r\n" +
		"weather-vendor          gcra           quota=50 burst=10 wait=0 fail=closed\r\n" +
		"\n" +
		"   # an indented comment\n" +
		"example.com/users.Get   sliding_window quota=100 duration=1m mode=shadow   # trailing comment\n" +
		"example.com/users.Get   sliding_window quota=1000 key=acme\n" +
		"example.com/users.Get   sliding_window mode=off key=\"ac me\"\n" +
		"example.com/users.Get   sliding_window quota=7 key=`a#b`\n" +
		"\"pacer\"                 leaky_bucket   bucket=\"3\" fail=local\n" +
		"api\tconcurrency\tcapacity=64 queue=128 priority_quota=LOW:0.2,0.9 consumer_quota=0.5,billing:0.25 order=fifo max_wait=250ms mode=shadow\n"
	set, ps := parseOverrides(text, testKnown())
	if len(ps) > 0 {
		t.Fatal(problemText(ps))
	}
	if set.lines != 7 {
		t.Errorf("lines = %d, want 7", set.lines)
	}
	wv := set.rate[limitID{"weather-vendor", GCRA}]
	if wv == nil || wv.keys != nil {
		t.Fatalf("weather-vendor: %+v", wv)
	}
	if want := (rateOverride{has: ovQuota | ovBurst | ovWait | ovFail, Quota: 50, Burst: 10, Fail: FailClosed}); *wv.all != want {
		t.Errorf("weather-vendor: %+v, want %+v", *wv.all, want)
	}
	ug := set.rate[limitID{"example.com/users.Get", SlidingWindow}]
	if want := (rateOverride{has: ovQuota | ovDuration | ovMode, Quota: 100, Duration: time.Minute, Mode: ModeShadow}); ug == nil || *ug.all != want {
		t.Fatalf("users.Get: %+v, want all %+v", ug, want)
	}
	wantKeys := map[string]rateOverride{
		"acme":  {has: ovQuota, Quota: 1000},
		"ac me": {has: ovMode, Mode: ModeOff},
		"a#b":   {has: ovQuota, Quota: 7},
	}
	if len(ug.keys) != len(wantKeys) {
		t.Errorf("keys %v, want %v", ug.keys, wantKeys)
	}
	for k, want := range wantKeys {
		if got := ug.keys[k]; got == nil || *got != want {
			t.Errorf("key %q: %+v, want %+v", k, got, want)
		}
	}
	if p := set.rate[limitID{"pacer", LeakyBucket}]; p == nil || *p.all != (rateOverride{has: ovBucket | ovFail, Bucket: 3, Fail: FailLocal}) {
		t.Errorf("pacer: %+v", p)
	}
	want := concOverride{
		has:            ovCapacity | ovQueue | ovPriorityQuota | ovConsumerQuota | ovOrder | ovMaxWait | ovMode,
		Capacity:       64,
		Queue:          128,
		PriorityQuotas: []Quota{{Name: "low", Fraction: 0.2}, {Fraction: 0.9}},
		ConsumerQuotas: []Quota{{Fraction: 0.5}, {Name: "billing", Fraction: 0.25}},
		Order:          FIFO,
		MaxWait:        250 * time.Millisecond,
		Mode:           ModeShadow,
	}
	if got := set.conc["api"]; got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("api: %+v, want %+v", got, want)
	}
}

func TestParseOverridesEmpty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# nothing yet\n   \n\t# really\n"} {
		o, err := ParseOverrides(text)
		if err != nil || o.set == nil || o.Len() != 0 {
			t.Errorf("ParseOverrides(%q) = %+v, %v; want an empty set", text, o, err)
		}
	}
	if (Overrides{}).Len() != 0 {
		t.Error("the zero Overrides has lines")
	}
}

// TestParseOverridesRegistered checks ParseOverrides against limits this
// program registered, and the error it returns.
func TestParseOverridesRegistered(t *testing.T) {
	NewRate("example.com/ovtest.Get", RateSpec{Name: "ovtest-vendor", Algorithm: TokenBucket, Quota: 5, Duration: time.Second})
	NewConcurrency(ConcurrencySpec{Name: "ovtest-pool", Capacity: 3})
	o, err := ParseOverrides("ovtest-vendor token_bucket quota=7 burst=9\novtest-pool concurrency capacity=4\n")
	if err != nil {
		t.Fatal(err)
	}
	if o.Len() != 2 || o.set.rate[limitID{"ovtest-vendor", TokenBucket}].all.Quota != 7 || o.set.conc["ovtest-pool"].Capacity != 4 {
		t.Errorf("overrides %+v", o.set)
	}

	o, err = ParseOverrides("ovtest-vendor token_bucket quota=7\novtest-pool gcra quota=1\novtest-vendr token_bucket quota=0\n")
	if o.set != nil {
		t.Error("an erroneous text gave overrides")
	}
	var oe *OverrideError
	if !errors.As(err, &oe) {
		t.Fatalf("error %T %v is not an *OverrideError", err, err)
	}
	want := []OverrideProblem{
		{2, 13, `"ovtest-pool" is a concurrency limit, not gcra: an override for a limit of another policy is refused`},
		{3, 1, `unknown limit "ovtest-vendr"; did you mean "ovtest-vendor"?`},
		{3, 33, `quota=0: must be at least 1`},
	}
	if !reflect.DeepEqual(oe.Problems, want) {
		t.Errorf("problems %+v, want %+v", oe.Problems, want)
	}
	if got, want := err.Error(), "2:13: "+want[0].Msg+"\n3:1: "+want[1].Msg+"\n3:33: "+want[2].Msg; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoadOverrides(t *testing.T) {
	NewConcurrency(ConcurrencySpec{Name: "ovtest-load", Capacity: 3})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(good, []byte("ovtest-load concurrency capacity=5\n"), 0o644)
	os.WriteFile(bad, []byte("# header\novtest-load concurrency capacity=0 order=random\n"), 0o644)
	o, err := LoadOverrides(good)
	if err != nil || o.set.conc["ovtest-load"].Capacity != 5 {
		t.Fatalf("LoadOverrides(good) = %+v, %v", o, err)
	}
	_, err = LoadOverrides(bad)
	want := bad + ":2:34: capacity=0: must be at least 1\n" +
		bad + `:2:42: order=random: want one of lifo, fifo`
	var oe *OverrideError
	if err == nil || err.Error() != want || !errors.As(err, &oe) || oe.Path != bad {
		t.Errorf("LoadOverrides(bad) error:\n%v\nwant:\n%s", err, want)
	}
	_, err = LoadOverrides(filepath.Join(dir, "missing.txt"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("LoadOverrides(missing) error %v", err)
	}
}
