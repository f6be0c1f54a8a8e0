package runtime

// TEMPORARY until the overrides branch lands.
func loadEnvOverrides() {}
