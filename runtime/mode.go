package runtime

import "strconv"

// Mode says what a rate or concurrency policy does with its decisions
// (mode=): enforce them, only report them, or not decide at all.
type Mode uint8

// The modes of the mode= argument.
const (
	// ModeEnforce decides every call and rejects those over the limit (the
	// default).
	ModeEnforce Mode = iota
	// ModeShadow decides every call exactly as ModeEnforce does, leaving the
	// same state (a call that would have been rejected consumes nothing and
	// holds no slot), but lets every call run and returns no error: the hook
	// sees a call that would have been rejected with Event.Allowed false and
	// Event.Shadow true. A shadow limit never delays a call, and never
	// fails one: a negative cost or a per-call value below 1 is reported
	// to the hook (Event.Err) instead.
	ModeShadow
	// ModeOff skips the policy: no decision, no state, no hook event.
	ModeOff
)

var modeNames = [...]string{ModeEnforce: "enforce", ModeShadow: "shadow", ModeOff: "off"}

// String returns the mode's name in directives: "enforce", "shadow" or "off".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode returns the Mode named s, and false for an unknown name.
func ParseMode(s string) (Mode, bool) {
	for m, n := range modeNames {
		if n == s {
			return Mode(m), true
		}
	}
	return 0, false
}
