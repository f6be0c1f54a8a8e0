package promhook_test

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/throttlegen/throttlegen/runtime"
	"github.com/throttlegen/throttlegen/runtime/promhook"
)

func Example() {
	h := promhook.New(promhook.WithConstLabels(prometheus.Labels{"service": "users"}))
	prometheus.MustRegister(h)
	runtime.Configure(runtime.WithHook(h))
	// Serve prometheus' promhttp.Handler() as usual.
}
