package telemetry

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// ClientStats is what a source's API client tells about its work: the
// GitHub client (shared by the github and actions sources) and the Linear
// client implement it.
type ClientStats interface {
	// Retries is how many requests the client sent again since it was made
	// (after a server error, a network error or a rate limit).
	Retries() int64
	// RateLimits is what the latest answers said remains of each rate-limit
	// budget, by bucket (GitHub: core, graphql; Linear: requests,
	// complexity); a budget not seen yet is absent.
	RateLimits() map[string]float64
}

var (
	retriesDesc = prometheus.NewDesc("veelocity_sync_retries_total",
		"Requests to a source's API sent again after a failure or a rate limit, by client (github covers the github and actions sources).",
		[]string{"source"}, nil)
	rateDesc = prometheus.NewDesc("veelocity_sync_rate_limit_remaining",
		"What the source's latest answer said remains of a rate-limit budget, by client and bucket.",
		[]string{"source", "bucket"}, nil)
)

// clientCollector reads the watched clients at each scrape.
type clientCollector struct {
	mu      sync.Mutex
	clients map[string]ClientStats
}

// WatchClient makes the scrape report c's retries and rate-limit budget as
// source's.
func (t *Telemetry) WatchClient(source string, c ClientStats) {
	if t == nil || c == nil {
		return
	}
	t.clients.mu.Lock()
	defer t.clients.mu.Unlock()
	if t.clients.clients == nil {
		t.clients.clients = map[string]ClientStats{}
	}
	t.clients.clients[source] = c
}

func (cc *clientCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- retriesDesc
	ch <- rateDesc
}

func (cc *clientCollector) Collect(ch chan<- prometheus.Metric) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for source, c := range cc.clients {
		ch <- prometheus.MustNewConstMetric(retriesDesc, prometheus.CounterValue, float64(c.Retries()), source)
		for bucket, v := range c.RateLimits() {
			ch <- prometheus.MustNewConstMetric(rateDesc, prometheus.GaugeValue, v, source, bucket)
		}
	}
}
