package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/store"
)

// loadResult is what one load run saw.
type loadResult struct {
	requests, errors, locked int
	// unsent counts the ticks whose request was never sent, because
	// maxInFlight were open: each is one of errors, and has no latency in
	// the percentiles.
	unsent           int
	p50, p99, max    time.Duration
	written, derives int
	// hits and misses are the result cache's lookups during the run, from
	// serve's /metrics (-1 when it could not be read).
	hits, misses int
}

// maxInFlight bounds the open requests: past it a tick counts as an error
// rather than piling up goroutines.
const maxInFlight = 512

// load sends cfg.LoadRate requests a second for cfg.LoadDuration, open
// loop (a request leaves on its tick whatever the earlier ones do), each a
// random target, filter, span and end date among the last
// cfg.LoadEndDays days (60 by default), so the result cache answers only
// some. With withWrites, a writer meanwhile
// rewrites PRs through the store and runs the incremental derive, as a
// sync does, in this process (another process than serve).
func load(parent context.Context, cfg Config, base string, end time.Time, st *store.Store, dbURL string, withWrites bool) (*loadResult, error) {
	ctx, cancel := context.WithTimeout(parent, cfg.LoadDuration)
	defer cancel()
	res := &loadResult{}
	var writerErr error
	var wg sync.WaitGroup
	if withWrites {
		prs, err := recentPRs(parent, st, 2000)
		if err != nil {
			return nil, err
		}
		d, err := newDeriver(st, dbURL)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each round runs to its end under the caller's context; the
			// run's end only stops the next one from starting.
			for i := 0; ctx.Err() == nil; i++ {
				batch := prs[(i*100)%len(prs):]
				batch = batch[:min(100, len(batch))]
				if err := writePRs(parent, st, batch, "(load)"); err != nil {
					writerErr = err
					return
				}
				if _, err := d.Run(parent, derive.Incremental); err != nil {
					writerErr = err
					return
				}
				res.written += len(batch)
				res.derives++
				select {
				case <-ctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
			}
		}()
	}

	hits0, misses0 := cacheLookups(parent, base)
	all := cases()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var times []time.Duration
	sem := make(chan struct{}, maxInFlight)
	tick := time.NewTicker(time.Second / time.Duration(max(1, cfg.LoadRate)))
	defer tick.Stop()
	var reqs sync.WaitGroup
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		u := mixURL(rng, all, base, end, cfg.loadEndDays())
		res.requests++
		select {
		case sem <- struct{}{}:
		default:
			mu.Lock()
			res.errors++
			res.unsent++
			mu.Unlock()
			continue
		}
		reqs.Add(1)
		go func() {
			defer reqs.Done()
			defer func() { <-sem }()
			// Each request may finish after the run's end: it has its own
			// deadline, the client's.
			start := time.Now()
			resp, err := client.Get(u)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			times = append(times, d)
			if err != nil || resp.StatusCode != http.StatusOK {
				res.errors++
			}
			if strings.Contains(string(body), "database is locked") || (err != nil && strings.Contains(err.Error(), "database is locked")) {
				res.locked++
			}
		}()
	}
	reqs.Wait()
	wg.Wait()
	if writerErr != nil {
		return nil, writerErr
	}
	res.p50, res.p99, res.max = percentile(times, 50), percentile(times, 99), percentile(times, 100)
	res.hits, res.misses = -1, -1
	if hits1, misses1 := cacheLookups(parent, base); hits0 >= 0 && hits1 >= 0 {
		res.hits, res.misses = hits1-hits0, misses1-misses0
	}
	return res, nil
}

// mixURL is one request of the load's mix: a random target, filter and
// span, its range ending on one of the last endDays days up to end.
func mixURL(rng *rand.Rand, all []benchCase, base string, end time.Time, endDays int) string {
	c := all[rng.IntN(len(all))]
	to := end.AddDate(0, 0, -rng.IntN(endDays))
	return c.url(base, to.AddDate(0, 0, -(c.days-1)), to)
}

// cacheLookups reads the result cache's hit and miss counts from serve's
// Prometheus metrics; -1, -1 when they cannot be read.
func cacheLookups(ctx context.Context, base string) (hits, misses int) {
	m, err := serveMetrics(ctx, base)
	if err != nil {
		return -1, -1
	}
	hits, misses = -1, -1
	if n, ok := m[`veelocity_metrics_cache_lookups_total{result="hit"}`]; ok {
		hits = int(n)
	}
	if n, ok := m[`veelocity_metrics_cache_lookups_total{result="miss"}`]; ok {
		misses = int(n)
	}
	return hits, misses
}

// serveMetrics reads serve's Prometheus metrics: each sample's value by
// its name with its labels, as the text format writes them.
func serveMetrics(ctx context.Context, base string) (map[string]float64, error) {
	_, status, body, err := get(ctx, base+"/metrics")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %d", status)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if n, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = n
		}
	}
	return out, nil
}
