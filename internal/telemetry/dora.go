package telemetry

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// overall is the repo label of the values over every repository.
const overall = "all"

var (
	doraDeploymentsDesc = prometheus.NewDesc("veelocity_dora_deployments",
		"Production deployments in the last 30 days (METRICS.md, deployment frequency), by repository; repo=\"all\" is every repository.",
		[]string{"repo"}, nil)
	doraLeadTimeDesc = prometheus.NewDesc("veelocity_dora_lead_time_median_seconds",
		"Median lead time for changes deployed in the last 30 days, by repository; absent without deployed changes.",
		[]string{"repo"}, nil)
	doraCFRDesc = prometheus.NewDesc("veelocity_dora_change_failure_rate",
		"Share (0 to 1) of the last 30 days' deployments that caused an incident, by repository; absent without deployments.",
		[]string{"repo"}, nil)
	doraRecoveryDesc = prometheus.NewDesc("veelocity_dora_recovery_median_seconds",
		"Median time to recover from the incidents resolved in the last 30 days, by repository; absent without any.",
		[]string{"repo"}, nil)
	doraReworkDesc = prometheus.NewDesc("veelocity_dora_rework_rate",
		"Share (0 to 1) of the last 30 days' deployments that shipped rework, by repository; absent without deployments.",
		[]string{"repo"}, nil)
	doraAgeDesc = prometheus.NewDesc("veelocity_dora_computed_timestamp_seconds",
		"When the DORA gauges were last computed (Unix time).", nil, nil)
)

// DORASource is where the DORA gauges come from.
type DORASource struct {
	Metrics *metrics.Service
	Store   *store.Store
	// Now is the clock that sets "today" (default time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// doraCollector serves the rolling 30-day DORA values of every repository
// and overall. It computes them through the metrics service (so they follow
// METRICS.md exactly as the API does) and keeps them until the data version
// or the day changes: a scrape reads a snapshot, and a changed version makes
// one background refresh, so scrapes stay cheap at hundreds of repositories.
type doraCollector struct {
	src DORASource

	mu         sync.Mutex
	snap       *doraSnapshot
	refreshing bool
}

type doraSnapshot struct {
	key  string // data version and day
	at   time.Time
	rows []doraRow
}

type doraRow struct {
	repo string
	d    *metrics.DORA
}

// WatchDORA adds the DORA gauges, computed from src.
func (t *Telemetry) WatchDORA(src DORASource) {
	if t == nil {
		return
	}
	if src.Now == nil {
		src.Now = time.Now
	}
	if src.Log == nil {
		src.Log = slog.Default()
	}
	t.dora = &doraCollector{src: src}
	t.reg.MustRegister(t.dora)
	for _, result := range []string{"hit", "miss"} {
		t.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "veelocity_metrics_cache_lookups_total",
			Help:        "Lookups of the metrics' result cache, by result: a miss computed the answer. Each metric a page or an endpoint asks for is a lookup.",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 {
			st := src.Metrics.CacheStats()
			if result == "hit" {
				return float64(st.Hits)
			}
			return float64(st.Misses)
		}))
	}
}

// RefreshDORA recomputes the DORA gauges now, unless they are current.
func (t *Telemetry) RefreshDORA(ctx context.Context) error {
	if t == nil || t.dora == nil {
		return nil
	}
	return t.dora.refresh(ctx)
}

// RefreshDORALater starts recomputing the DORA gauges in the background,
// unless a refresh runs already, and returns at once. The server calls it
// after each derive, so that scrapes find them ready.
func (t *Telemetry) RefreshDORALater() {
	if t == nil || t.dora == nil {
		return
	}
	t.dora.refreshInBackground()
}

// refreshInBackground starts a refresh unless one runs.
func (c *doraCollector) refreshInBackground() {
	c.mu.Lock()
	start := !c.refreshing
	c.refreshing = true
	c.mu.Unlock()
	if !start {
		return
	}
	go func() {
		defer func() {
			c.mu.Lock()
			c.refreshing = false
			c.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := c.refresh(ctx); err != nil {
			c.src.Log.Error("metrics: refreshing the DORA gauges", "err", err)
		}
	}()
}

func (c *doraCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{doraDeploymentsDesc, doraLeadTimeDesc, doraCFRDesc, doraRecoveryDesc, doraReworkDesc, doraAgeDesc} {
		ch <- d
	}
}

// Collect emits the snapshot. The first scrape computes it; a later one
// that finds it out of date starts a refresh in the background and emits
// what it has.
func (c *doraCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c.mu.Lock()
	snap := c.snap
	c.mu.Unlock()
	if snap == nil {
		if err := c.refresh(ctx); err != nil {
			c.src.Log.Error("metrics: computing the DORA gauges", "err", err)
			return
		}
	} else if key, err := c.key(ctx); err == nil && key != snap.key {
		c.refreshInBackground()
	}
	c.mu.Lock()
	snap = c.snap
	c.mu.Unlock()
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(doraAgeDesc, prometheus.GaugeValue, float64(snap.at.Unix()))
	for _, r := range snap.rows {
		emitDORA(ch, r)
	}
}

func emitDORA(ch chan<- prometheus.Metric, r doraRow) {
	gauge := func(desc *prometheus.Desc, v *float64, scale float64) {
		if v != nil {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, *v*scale, r.repo)
		}
	}
	if r.d.DeploymentFrequency != nil {
		total := float64(r.d.DeploymentFrequency.Total)
		gauge(doraDeploymentsDesc, &total, 1)
	}
	if r.d.LeadTime != nil {
		gauge(doraLeadTimeDesc, r.d.LeadTime.MedianHours, 3600)
	}
	if r.d.ChangeFailureRate != nil {
		gauge(doraCFRDesc, r.d.ChangeFailureRate.Rate, 1)
	}
	if r.d.RecoveryTime != nil {
		gauge(doraRecoveryDesc, r.d.RecoveryTime.MedianHours, 3600)
	}
	if r.d.ReworkRate != nil {
		gauge(doraReworkDesc, r.d.ReworkRate.Rate, 1)
	}
}

// key identifies the data the gauges depend on: the data version the
// derive step bumps, and the day that ends the 30-day window.
func (c *doraCollector) key(ctx context.Context) (string, error) {
	v, _, err := c.src.Store.AppState(ctx, store.DataVersionKey)
	return v + "|" + c.src.Now().UTC().Format(time.DateOnly), err
}

// refresh recomputes the snapshot if its key changed.
func (c *doraCollector) refresh(ctx context.Context) error {
	key, err := c.key(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	current := c.snap != nil && c.snap.key == key
	c.mu.Unlock()
	if current {
		return nil
	}
	today := c.src.Now().UTC()
	repos, err := c.repositories(ctx)
	if err != nil {
		return err
	}
	// The API's default range: the 30 days ending today.
	base, err := metrics.ParseQuery(ctx, c.src.Store, url.Values{}, today)
	if err != nil {
		return err
	}
	snap := &doraSnapshot{key: key, at: c.src.Now()}
	for _, r := range append([]model.Repository{{FullName: overall}}, repos...) {
		q := base
		q.RepoID = r.ID
		d, err := c.src.Metrics.DORA(ctx, q)
		if err != nil {
			return err
		}
		snap.rows = append(snap.rows, doraRow{repo: r.FullName, d: d})
	}
	c.mu.Lock()
	c.snap = snap
	c.mu.Unlock()
	return nil
}

// repositories lists every repository.
func (c *doraCollector) repositories(ctx context.Context) ([]model.Repository, error) {
	var out []model.Repository
	for page := 1; ; page++ {
		repos, total, err := c.src.Store.Repositories(ctx, store.Page{Page: page, Limit: 500})
		if err != nil {
			return nil, err
		}
		out = append(out, repos...)
		if len(repos) == 0 || len(out) >= total {
			return out, nil
		}
	}
}
