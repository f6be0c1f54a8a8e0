package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

//go:generate go tool throttlegen

// Forecast is the vendor's answer for one city.
type Forecast struct {
	City  string `json:"city"`
	TempC int    `json:"temp_c"`
}

// ErrVendorBusy is returned when the vendor itself answers 429 Too Many
// Requests: our limit and the vendor's disagreed for a moment (network
// jitter bunched requests, or someone else spends the same quota). The
// retry directive retries it like our own throttling.
var ErrVendorBusy = errors.New("vendor: too many requests")

// Client calls the weather vendor. It is safe for concurrent use.
type Client struct {
	BaseURL string       // the vendor, e.g. "http://127.0.0.1:8080"
	HTTP    *http.Client // nil means http.DefaultClient
}

// Forecast asks the vendor for city's weather. Callers call
// ForecastThrottled, which, from the outside in:
//
//   - answers from a cache for 30s (store=shared: in Redis when the store is
//     Redis, so processes share answers; concurrent lookups of one city make
//     one call);
//   - retries up to 4 attempts when throttled, timed out or ErrVendorBusy,
//     with exponential backoff and full jitter, never sooner than the
//     limiter's Retry-After;
//   - spends the vendor's quota of 20 calls per second with bursts of 5,
//     shared by every process under the name "weather-vendor" when the store
//     is Redis (gcra), waiting up to 1s for its turn;
//   - gives each attempt 2s.
//
//throttle:cache ttl=30s key=city size=1024 store=shared
//throttle:retry attempts=4 backoff=exponential base=25ms max=1s jitter=full on=throttled,timeout,ErrVendorBusy
//throttle:gcra quota=20 duration=1s burst=5 name=weather-vendor wait=1s
//throttle:timeout duration=2s
func (c *Client) Forecast(ctx context.Context, city string) (Forecast, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.BaseURL+"/forecast?city="+url.QueryEscape(city), nil)
	if err != nil {
		return Forecast{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Forecast{}, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusTooManyRequests:
		return Forecast{}, ErrVendorBusy
	default:
		return Forecast{}, fmt.Errorf("vendor: %s", resp.Status)
	}
	var f Forecast
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil {
		return Forecast{}, fmt.Errorf("vendor: %w", err)
	}
	return f, nil
}
