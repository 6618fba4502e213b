package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestRollupEqualsFacts answers every PR metric of the worked scenarios
// twice, from the rollup and from pr_facts, and wants the same JSON: the
// rollup changes the speed, never the answer.
func TestRollupEqualsFacts(t *testing.T) {
	for _, sc := range []struct {
		name  string
		build func(*testing.T, *store.Store) (int64, int64)
	}{
		{"dora", func(t *testing.T, st *store.Store) (int64, int64) {
			_, web, api := doraScenario(t, st)
			return web, api
		}},
		{"development", func(t *testing.T, st *store.Store) (int64, int64) {
			web, api := devScenario(t, st)
			defineTeams(t, scenario.New(t, st))
			return web, api
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			st := storetest.New(t)
			web, _ := sc.build(t, st)
			ctx := context.Background()
			fast := New(st, false)
			if ok, err := fast.rollupReady(ctx); err != nil || !ok {
				t.Fatalf("the rollup is not built after derive (%v)", err)
			}
			slow := New(st, false)
			slow.noRollup = true
			// The rollup read from the database rather than the mirror.
			fromDB := New(st, false)
			fromDB.noMirror = true
			if m, err := fast.mirror(ctx); err != nil || m == nil || len(m.days) == 0 {
				t.Fatalf("the mirror holds nothing (%v)", err)
			}
			var cells int
			if err := st.DB().QueryRow(`SELECT count(*) FROM pr_rollup`).Scan(&cells); err != nil || cells == 0 {
				t.Fatalf("pr_rollup has %d rows (%v)", cells, err)
			}
			params := []string{
				"start_date=2026-03-01&end_date=2026-03-07&period=day",
				"start_date=2026-02-20&end_date=2026-03-10&period=week&include_trend=true",
				"start_date=2026-01-15&end_date=2026-03-31&period=month",
				fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&repo_id=%d&include_trend=true", web),
				"start_date=2026-03-01&end_date=2026-03-07&author=alice",
				"start_date=2026-03-01&end_date=2026-03-07&author=ALICE&period=day",
				"start_date=2025-01-01&end_date=2026-12-31&period=month",
				// Ranges whose previous range has lead times too, for
				// the trends.
				"start_date=2026-03-04&end_date=2026-03-07&include_trend=true",
				"start_date=2026-03-05&end_date=2026-03-08&period=day&include_trend=true",
			}
			if sc.name == "development" { // with teams, and Linear issues
				params = append(params,
					"start_date=2026-03-01&end_date=2026-03-07&period=day&team=web&include_trend=true",
					"start_date=2026-03-01&end_date=2026-03-07&team=platform",
					fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&team=platform&repo_id=%d", web),
					"start_date=2026-03-01&end_date=2026-03-07&team=web&author=alice",
					"start_date=2026-03-01&end_date=2026-03-07&team=norepos")
			}
			cycles, leadTrends := 0, 0
			for _, params := range params {
				q := query(t, st, params)
				answers := func(s *Service) []byte {
					dora, err := s.DORA(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					dev, err := s.Development(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					devs, err := s.Developers(ctx, q, "login", "")
					if err != nil {
						t.Fatal(err)
					}
					series, err := s.LeadTimeSeries(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					authors, err := s.Authors(ctx, q, 200)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := json.Marshal([]any{dora, dev, devs, series, authors})
					return b
				}
				got, want := answers(fast), answers(slow)
				if !bytes.Equal(got, want) {
					t.Errorf("%s: the rollup answers\n%s\nthe facts answer\n%s", params, got, want)
				}
				if db := answers(fromDB); !bytes.Equal(db, want) {
					t.Errorf("%s: the rollup read from the database answers\n%s\nthe facts answer\n%s", params, db, want)
				}
				// Every population selected through bins, with the bounds
				// the rollup reads keep (the scenarios' populations are
				// far below binnedFrom).
				old := binnedFrom
				binnedFrom = 2
				binned := answers(New(st, false))
				binnedFrom = old
				if !bytes.Equal(binned, want) {
					t.Errorf("%s: the rollup, selecting through bins, answers\n%s\nthe facts answer\n%s", params, binned, want)
				}
				if !regexp.MustCompile(`"median_hours":[0-9]`).Match(want) {
					t.Errorf("%s: nothing to compare: %s", params, want)
				}
				if regexp.MustCompile(`"cycle_time":\{"count":[1-9]`).Match(want) {
					cycles++
				}
				if regexp.MustCompile(`"phases":\{[^}]*\},"tier":[^,]*,"trend":\{"previous":[0-9]`).Match(want) {
					leadTrends++
				}
			}
			if sc.name == "dora" && leadTrends == 0 {
				t.Error("no lead time has a trend with a previous value: the trends are hardly compared")
			}
			if sc.name == "development" && cycles < 5 {
				t.Errorf("only %d parameter sets have a cycle time: the issue rollup is hardly compared", cycles)
			}
		})
	}
}

// TestPercentilesBySelection checks the selection against a sort on random
// populations with many ties and sorted runs, as the rollup's arrays are.
func TestPercentilesBySelection(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{1, 2, 3, 10, 17, 100, 1000, 4095, 4096, 20000, 300000} {
		for _, spread := range []int64{1, 5, 1 << 40, -1, -2} {
			v := make([]int64, n)
			for i := range v {
				switch spread {
				case -1: // heavy-tailed, as durations are, with a few huge outliers
					v[i] = int64(rng.ExpFloat64() * 3.6e6)
					if rng.IntN(1000) == 0 {
						v[i] = 1 << 50
					}
				case -2: // negative and positive, up to int64's extremes
					v[i] = int64(rng.Uint64())
				default:
					v[i] = rng.Int64N(spread)
				}
			}
			// Sorted runs, as concatenated rollup arrays come.
			for i := 0; i < n; i += 50 {
				slices.Sort(v[i:min(n, i+50)])
			}
			sorted := slices.Clone(v)
			slices.Sort(sorted)
			ps := []float64{0.5, 0.75, 0.9}
			got := percentiles(slices.Clone(v), ps...)
			// The same with the bounds known, as a rollup read knows them.
			within := percentilesWithin(slices.Clone(v), bounds{sorted[0], sorted[n-1], true}, ps...)
			for i, p := range ps {
				if want := percentileSorted(sorted, p); got[i] != want || within[i] != want {
					t.Errorf("n=%d spread=%d p=%v: got %v, %v with the bounds; want %v", n, spread, p, got[i], within[i], want)
				}
			}
		}
	}
}

// TestRollupReadBounds: a rollup read's bounds, per bucket and over the
// range, are the smallest and largest values it read.
func TestRollupReadBounds(t *testing.T) {
	st := storetest.New(t)
	b, web, _ := doraScenario(t, st)
	// Arrays of several values: three PRs of one author, reviewed, merged
	// and deployed on the same days.
	for i := range 3 {
		h := float64(i)
		b.PullRequest(web, scenario.PR{Number: 40 + i, Author: "dave", Commits: []time.Time{ts(8, h)}, Created: ts(8, 1+h),
			Reviews: []scenario.Review{{Author: "bob", Submitted: tp(8, 2+2*h)}}, Merged: tp(8, 6+h), MergeSHA: fmt.Sprint("d", i)})
	}
	b.Deployment(web, "dave-1", ts(8, 20), "d2")
	b.Derive()
	ctx := context.Background()
	s := New(st, false)
	checked, wide := 0, 0
	for _, period := range []Period{Week, Day} {
		q := Query{Start: ts(1, 0), End: ts(15, 0), Period: period}
		r, err := s.readRollup(ctx, q, rollup.LeadTimes, rollup.CodingTimes, rollup.ReviewTimes)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []rollup.Pop{rollup.LeadTimes, rollup.CodingTimes, rollup.ReviewTimes} {
			rp := r.pops[p]
			check := func(what string, v []int64, b bounds) {
				if len(v) == 0 {
					return
				}
				if !b.known || b.lo != slices.Min(v) || b.hi != slices.Max(v) {
					t.Errorf("pop %d, %s: bounds %+v, values %v", p, what, b, v)
				}
				checked++
				if b.lo < b.hi {
					wide++
				}
			}
			check("the range", slices.Concat(rp.whole().parts...), rp.whole().b)
			for i := range rp.counts {
				b := rp.bucket(i)
				if v := slices.Concat(b.parts...); len(v) != b.n {
					t.Errorf("pop %d, bucket %d: %d values, counted %d", p, i, len(v), b.n)
				}
				check(fmt.Sprint("bucket ", i), slices.Concat(b.parts...), b.b)
			}
		}
	}
	// The same of a read per author, which the developers table makes.
	authors, err := s.readAuthors(ctx, Query{Start: ts(1, 0), End: ts(15, 0), Period: Week}, true)
	if err != nil {
		t.Fatal(err)
	}
	for login, a := range authors {
		for i, vs := range a.pops {
			v := slices.Concat(vs.parts...)
			if len(v) != vs.n {
				t.Errorf("author %s, population %d: %d values, counted %d", login, i, len(v), vs.n)
			}
			if len(v) == 0 {
				continue
			}
			if b := vs.b; !b.known || b.lo != slices.Min(v) || b.hi != slices.Max(v) {
				t.Errorf("author %s, population %d: bounds %+v, values %v", login, i, b, v)
			}
			checked++
			if vs.b.lo < vs.b.hi {
				wide++
			}
		}
	}
	if checked < 10 || wide < 6 {
		t.Errorf("only %d populations with values checked, %d of them of several values", checked, wide)
	}
}

// TestCodec round-trips value arrays through the rollup's encoding.
func TestCodec(t *testing.T) {
	for _, v := range [][]int64{nil, {0}, {5, -3, 1 << 50, 7, 7}, {-1 << 40, 0, 1 << 40}} {
		enc := rollup.Encode(slices.Clone(v))
		got, sum, err := rollup.DecodeAppend(nil, enc)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(v)
		slices.Sort(want)
		var wantSum int64
		for _, x := range v {
			wantSum += x
		}
		if !slices.Equal(got, want) || sum != wantSum {
			t.Errorf("%v: decoded %v (sum %d), want %v (sum %d)", v, got, sum, want, wantSum)
		}
	}
	if _, _, err := rollup.DecodeAppend(nil, []byte{0x80}); !errors.Is(err, rollup.ErrCorrupt) {
		t.Errorf("a truncated array decodes without error: %v", err)
	}
}

// TestIDCodec round-trips the issue rollup's id lists (ascending) and value
// lists (in their order), and counts their values.
func TestIDCodec(t *testing.T) {
	for _, ids := range [][]int64{nil, {0}, {1}, {5, 6, 7, 300, 1 << 40}} {
		enc := rollup.EncodeIDs(ids)
		got, err := rollup.DecodeIDs(nil, enc)
		if err != nil || !slices.Equal(got, ids) || rollup.Count(enc) != len(ids) {
			t.Errorf("%v: decoded %v (%v), counted %d", ids, got, err, rollup.Count(enc))
		}
	}
	for _, v := range [][]int64{nil, {0}, {-3, 7, 2, -1 << 50, 1 << 50}} {
		enc := rollup.EncodeList(v)
		got, sum, err := rollup.DecodeList(nil, enc)
		var want int64
		for _, x := range v {
			want += x
		}
		if err != nil || !slices.Equal(got, v) || sum != want || rollup.Count(enc) != len(v) {
			t.Errorf("%v: decoded %v (sum %d, %v), counted %d", v, got, sum, err, rollup.Count(enc))
		}
	}
	if _, err := rollup.DecodeIDs(nil, []byte{0x80}); !errors.Is(err, rollup.ErrCorrupt) {
		t.Errorf("a truncated id list decodes without error: %v", err)
	}
	if _, _, err := rollup.DecodeList(nil, []byte{0x80}); !errors.Is(err, rollup.ErrCorrupt) {
		t.Errorf("a truncated value list decodes without error: %v", err)
	}
}

// TestSimultaneousMissesComputeOnce sends ten identical requests at once to
// an empty cache: one computes, the others share its answer.
func TestSimultaneousMissesComputeOnce(t *testing.T) {
	st := storetest.New(t)
	s := New(st, false)
	ctx := context.Background()
	q := query(t, st, "start_date=2026-03-01&end_date=2026-03-07")
	var computed atomic.Int32
	var arrived sync.WaitGroup
	arrived.Add(10)
	release := make(chan struct{})
	go func() { arrived.Wait(); close(release) }()
	var wg sync.WaitGroup
	answers := make([]*int, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arrived.Done()
			// The computation waits until all ten have arrived, so that
			// without singleflight each would miss the cache and compute.
			answers[i], _ = cached(ctx, s, "test", q, "", func() (*int, error) {
				computed.Add(1)
				<-release
				n := 42
				return &n, nil
			})
		}()
	}
	wg.Wait()
	if n := computed.Load(); n != 1 {
		t.Errorf("ten simultaneous identical requests computed %d times, want 1", n)
	}
	if c := s.CacheStats(); c.Misses != 1 || c.Hits != 9 {
		t.Errorf("cache counts: %+v, want 1 miss and 9 hits (the nine that waited for it)", c)
	}
	for i, a := range answers {
		if a == nil || *a != 42 || a != answers[0] {
			t.Errorf("request %d got %v, not the shared answer", i, a)
		}
	}
}

// TestParallelCancelsOnFailure: when one of a metric's queries fails, the
// others are canceled and the first error is returned.
func TestParallelCancelsOnFailure(t *testing.T) {
	boom := errors.New("boom")
	canceled := make(chan error, 1)
	err := parallel(context.Background(), func(ctx context.Context) error {
		<-ctx.Done() // a long query, until canceled
		canceled <- ctx.Err()
		return ctx.Err()
	}, func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("parallel returned %v, want the failing query's error", err)
	}
	if err := <-canceled; !errors.Is(err, context.Canceled) {
		t.Errorf("the other query saw %v, want context.Canceled", err)
	}
}
