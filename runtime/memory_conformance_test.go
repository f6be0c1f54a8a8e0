package runtime_test

import (
	"testing"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/internal/conformance"
)

func TestMemoryStoreConformance(t *testing.T) {
	conformance.Run(t, func(*testing.T) runtime.Store { return runtime.NewMemoryStore() })
}
