package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// probeConcurrency is how many requests the probe keeps open: as many as
// serve computes at once on a 2-core machine (workSlots in package
// server), so none waits in serve's queue.
const probeConcurrency = 4

// probeResult is what the probe measured.
type probeResult struct {
	requests, errors int
	p50, p99         time.Duration
	// cpu is serve's CPU time over the probe, alloc the bytes it
	// allocated and gcs its garbage collections, from its /metrics.
	cpu        time.Duration
	alloc, gcs float64
}

// probe sends n requests of the load's mix (mixURL), closed loop,
// probeConcurrency at a time, to serve at base, and reads from serve's
// /metrics what they cost it. The requests come from a fixed seed, so two
// runs ask the same questions. The open-loop load measures latencies,
// which depend on the queue; this measures what a request costs, in the
// figures that move least on a busy machine (allocation and collections
// hardly at all). Run on a fresh serve, most of its requests are cold.
func probe(ctx context.Context, cfg Config, base string, end time.Time, n int) (*probeResult, error) {
	rng := rand.New(rand.NewPCG(1, 7))
	all := cases()
	urls := make(chan string, n)
	for range n {
		urls <- mixURL(rng, all, base, end, cfg.loadEndDays())
	}
	close(urls)
	before, err := serveMetrics(ctx, base)
	if err != nil {
		return nil, err
	}
	res := &probeResult{requests: n}
	var mu sync.Mutex
	var times []time.Duration
	var wg sync.WaitGroup
	for range probeConcurrency {
		wg.Go(func() {
			for u := range urls {
				d, status, _, err := get(ctx, u)
				mu.Lock()
				if err != nil || status != http.StatusOK {
					res.errors++
				} else {
					times = append(times, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	after, err := serveMetrics(ctx, base)
	if err != nil {
		return nil, err
	}
	delta := func(name string) (float64, error) {
		a, ok := before[name]
		b, ok2 := after[name]
		if !ok || !ok2 {
			return 0, fmt.Errorf("serve's /metrics has no %s", name)
		}
		return b - a, nil
	}
	cpu, err := delta("process_cpu_seconds_total")
	if err != nil {
		return nil, err
	}
	res.cpu = time.Duration(cpu * float64(time.Second))
	if res.alloc, err = delta("go_memstats_alloc_bytes_total"); err != nil {
		return nil, err
	}
	if res.gcs, err = delta("go_gc_duration_seconds_count"); err != nil {
		return nil, err
	}
	res.p50, res.p99 = percentile(times, 50), percentile(times, 99)
	return res, nil
}

// row is the probe's line of the table.
func (r *probeResult) row() Row {
	per := float64(max(r.requests, 1))
	return Row{
		What: fmt.Sprintf("closed loop: %d requests of the load's mix, %d at a time, on a fresh serve (p50, p99)", r.requests, probeConcurrency),
		P50:  r.p50, P95: r.p99, Errors: r.errors,
		Note: fmt.Sprintf("serve's CPU %.1f ms a request, %.1f MB allocated a request, %.0f collections, %d errors",
			float64(r.cpu)/float64(time.Millisecond)/per, r.alloc/1e6/per, r.gcs, r.errors),
	}
}
