package runtime

// StoreEvent is a change in a store's health: it stopped answering (its
// breaker opened: decisions apply their fail policy without asking it), it
// answers again, or it answered with a new kind of misconfiguration.
type StoreEvent struct {
	Store     string // which store, e.g. "redisstore"
	Available bool   // false: the store stopped answering; true: it answers again
	// Misconfigured is set on the first error of each distinct cause that
	// retrying cannot fix (see ErrStoreMisconfigured); Err is that error.
	Misconfigured bool
	Err           error // why the store stopped answering, or the misconfiguration
}

// StoreHook is a Hook that also observes stores' changes of health. Install
// it with WithHook like any Hook; stores call OnStoreEvent on the goroutine of
// the decision that saw the change, once per change (not once per call), so
// it may log or page.
type StoreHook interface {
	Hook
	OnStoreEvent(StoreEvent)
}

// ReportStoreEvent passes e to the configured hook when that hook implements
// StoreHook, and does nothing otherwise. It is for Store implementations:
// call it once per change of health, never per decision.
func ReportStoreEvent(e StoreEvent) {
	if h, ok := loadConfig().hook.(StoreHook); ok {
		h.OnStoreEvent(e)
	}
}
