package main

// ours is the implementation name of throttlegen in every case.
const ours = "throttlegen"

// fastest stands, as a target's Versus, for the fastest peer of the case.
const fastest = "fastest"

// target is one goal of an issue: ours/Versus on Metric must be <= Max,
// and our allocs/op <= MaxAllocs (when MaxAllocs >= 0).
//
// With a PeerMetric, Versus is not a row of the case: its figure is our own
// row's PeerMetric, measured in the same iterations as Metric (an
// interleaved benchmark), and the ratio is the median of the per-sample
// ratios.
type target struct {
	Issue      string
	Case       string
	Versus     string
	Metric     string
	Max        float64
	MaxAllocs  float64
	Note       string
	PeerMetric string
}

// notPeer lists implementations that are not peers when looking for the
// fastest one: raw Redis floors, our own variants, failsafe's executor
// (its permit path is the cheaper way to use the same bulkhead).
var notPeer = map[string]bool{"ping": true, "evalsha": true, "throttlegen-nopipe": true, "memory": true,
	"const": true, "cost1": true, "none": true, "enforce": true}

var targets = []target{
	{"3", "Rate/const/allowed/seq", fastest, "ns/op", 1.0, 0, "", ""},
	{"3", "Rate/const/allowed/seq", "xtime", "ns/op", 0.6, 0, "", ""},
	{"3", "Rate/const/allowed/par", fastest, "ns/op", 1.0, 0, "", ""},
	{"3", "Rate/const/allowed/par", "xtime", "ns/op", 0.6, 0, "", ""},
	{"3", "Rate/const/rejected/seq", fastest, "ns/op", 1.0, 1, "", ""},
	{"3", "Rate/const/rejected/seq", "xtime", "ns/op", 0.6, 1, "", ""},
	{"3", "Rate/const/rejected/par", fastest, "ns/op", 1.0, 1, "", ""},
	{"3", "Rate/const/rejected/par", "xtime", "ns/op", 0.6, 1, "", ""},
	{"3", "RateKeys/keys100k/seq", "sethvargo", "ns/op", 0.8, 0, "", ""},
	{"3", "RateKeys/keys100k/par", "sethvargo", "ns/op", 0.8, 0, "", ""},
	{"3", "IdleKeys/idle1M", "throttled", "B/key", 1.0, -1, "heap in use per idle key", ""},
	{"4", "Redis/seqpaired", "evalsha", "ns/op", 1.15, 8, "raw EVALSHA floor, interleaved", "evalsha-ns/op"},
	{"4", "Redis/par64", "redis_rate", "ns/op", 0.25, -1, "<= 0.25 is >= 4x the decisions/s", ""},
	{"5", "Bulkhead/uncontended", "failsafe-permit", "ns/op", 1.0, 0, "", ""},
	{"6", "Compose/success", "failsafe", "ns/op", 0.1, 1, "", ""},
	{"13", "Breaker/open", "memory", "ns/op", 2.0, -1, "store's breaker open vs the same limit in memory", ""},
	{"13", "RedisHot/hot64", "redis_rate", "ns/op", 0.02, -1, "<= 0.02 is >= 50x the decisions/s", ""},
	{"12", "Operate/percall", "const", "ns/op", 1.1, 0, "per-call quota vs the same constant quota", ""},
	{"12", "Operate/cost", "cost1", "ns/op", 1.05, 0, "cost=8 vs cost=1", ""},
	{"12", "Operate/override", "none", "ns/op", 1.1, 0, "an override in force vs none", ""},
}
