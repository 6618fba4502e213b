package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/veelocity/veelocity/internal/rollup"
)

// TestSortValues checks the radix sort against a comparison sort, on the
// shapes of values it meets: sorted runs of durations, ties, values up to
// int64's largest, and negatives (which it leaves to the comparison sort).
func TestSortValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{0, 1, 5, 1023, 1024, 5000, 70000} {
		for _, kind := range []string{"durations", "ties", "huge", "negative", "zeros"} {
			v := make([]int64, n)
			for i := range v {
				v[i] = testValue(rng, kind)
			}
			for i := 0; i < n; i += 40 { // sorted runs, as rollup arrays come
				slices.Sort(v[i:min(n, i+40)])
			}
			want := slices.Clone(v)
			slices.Sort(want)
			sortValues(v)
			if !slices.Equal(v, want) {
				t.Errorf("%d %s values: sorted wrong", n, kind)
			}
		}
	}
}

// BenchmarkSortValues sorts an author's year of durations as the Teams
// page does: 60,000 values in sorted runs of 80, up to about a year in ms.
func BenchmarkSortValues(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	v := make([]int64, 60000)
	for i := range v {
		v[i] = min(int64(rng.ExpFloat64()*2e8), 3e10)
	}
	for i := 0; i < len(v); i += 80 {
		slices.Sort(v[i:min(len(v), i+80)])
	}
	w := make([]int64, len(v))
	for b.Loop() {
		copy(w, v)
		sortValues(w)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(v)), "ns/value")
}

// TestSortedSetKth checks every rank of sets of sorted parts against the
// merged, sorted values: ties within and across parts, negatives, values
// at int64's ends, one part, parts of one value.
func TestSortedSetKth(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, kind := range []string{"durations", "ties", "extremes", "negative", "single"} {
		for round := range 20 {
			var s sortedSet
			var all []int64
			parts := 1 + rng.IntN(30)
			if kind == "single" {
				parts = 1
			}
			for range parts {
				p := make([]int64, 1+rng.IntN(60))
				for i := range p {
					p[i] = testValue(rng, kind)
				}
				slices.Sort(p)
				var sum int64
				for _, v := range p {
					sum += v
				}
				s.add(p, sum)
				all = append(all, p...)
			}
			slices.Sort(all)
			for k, want := range all {
				if got := s.kth(k); got != want {
					t.Fatalf("%s, round %d: kth(%d) = %d, want %d", kind, round, k, got, want)
				}
			}
		}
	}
}

// BenchmarkSortedSetSummary selects a team's percentiles as the Teams page
// does: the sorted values of 25 members, 10,000 each.
func BenchmarkSortedSetSummary(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	var s sortedSet
	for range 25 {
		p, _ := sortedDurations(rng, 10000)
		s.add(p, 0)
	}
	for b.Loop() {
		s.summary()
	}
}

// TestValueSetPercentiles checks valueSet's percentiles, selected through
// bins across parts (sorted, as the rollup's arrays are, with their bounds
// known, or in no order, as the issue rollup's lists are) and in place
// below binnedFrom, against percentile_cont of the merged, sorted values.
// Populations of thousands of values put several values in the bins next
// to the ranks' bins.
func TestValueSetPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	ps := []float64{0.5, 0.75, 0.9}
	for _, kind := range []string{"durations", "ties", "extremes", "negative", "dense"} {
		for _, sorted := range []bool{true, false} {
			for round := range 12 {
				vs := valueSet{anyOrder: !sorted}
				var all []int64
				for range 1 + rng.IntN(200) {
					p := make([]int64, rng.IntN(90))
					for i := range p {
						p[i] = testValue(rng, kind)
					}
					if sorted {
						slices.Sort(p)
						if len(p) > 0 {
							if !vs.b.known {
								vs.b = bounds{p[0], p[len(p)-1], true}
							}
							vs.b.widen(p[0], p[len(p)-1])
						}
					}
					vs.parts = append(vs.parts, p)
					vs.n += len(p)
					all = append(all, p...)
				}
				if vs.n == 0 {
					continue
				}
				before := slices.Concat(vs.parts...)
				slices.Sort(all)
				want := make([]float64, len(ps))
				for i, p := range ps {
					want[i] = percentileSorted(all, p)
				}
				for _, from := range []int{2, 1 << 30} { // through bins; in place
					old := binnedFrom
					binnedFrom = from
					got := vs.percentiles(ps...)
					binnedFrom = old
					if !slices.Equal(got, want) {
						t.Fatalf("%s, sorted %v, round %d, binnedFrom %d: %v, want %v", kind, sorted, round, from, got, want)
					}
				}
				if !slices.Equal(slices.Concat(vs.parts...), before) {
					t.Fatalf("%s, sorted %v, round %d: the parts were changed", kind, sorted, round)
				}
			}
		}
	}
}

// BenchmarkValueSetSummary selects a 90-day range's percentiles as a
// request reads them from the mirror at a million PRs a year: 3,240 sorted
// arrays of 70 durations (36 rows a day).
func BenchmarkValueSetSummary(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	var vs valueSet
	for range 3240 {
		p, _ := sortedDurations(rng, 70)
		if !vs.b.known {
			vs.b = bounds{p[0], p[len(p)-1], true}
		}
		vs.b.widen(p[0], p[len(p)-1])
		vs.parts = append(vs.parts, p)
		vs.n += len(p)
	}
	for b.Loop() {
		vs.summary()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*vs.n), "ns/value")
}

// TestPercentilesAll checks a population's percentiles and each bucket's,
// counted in one pass (rolledPop.percentilesAll), against percentile_cont
// of each bucket's and all the merged, sorted values: buckets empty, of a
// few values or of thousands, parts sorted or in no order, one value
// repeated, medians in the lowest bin, more buckets than it counts at
// once, and more fractions than it marks bins for.
func TestPercentilesAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	want := func(v []int64, ps []float64) []float64 {
		if len(v) == 0 {
			return nil
		}
		v = slices.Clone(v)
		slices.Sort(v)
		out := make([]float64, len(ps))
		for i, p := range ps {
			out[i] = percentileSorted(v, p)
		}
		return out
	}
	for _, kind := range []string{"durations", "ties", "one value", "extremes", "dense", "mostly the smallest"} {
		for _, sorted := range []bool{true, false} {
			for round := range 10 {
				nb := 1 + rng.IntN(20)
				if round == 9 {
					nb = maxFusedBuckets + 1
				}
				p := newRolledPop(nb)
				values := make([][]int64, nb)
				for b := range nb {
					if rng.IntN(4) == 0 {
						continue // an empty bucket
					}
					for range rng.IntN(40) {
						part := make([]int64, 1+rng.IntN(80))
						var sum int64
						for i := range part {
							part[i] = testValue(rng, kind)
							sum += part[i]
						}
						if sorted {
							slices.Sort(part)
							p.add(b, part, sum)
						} else {
							p.addWithin(b, part, sum, slices.Min(part), slices.Max(part))
						}
						values[b] = append(values[b], part...)
					}
				}
				// More fractions than a bin's mark holds go the other way.
				many := []float64{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9}
				for _, fr := range [][2][]float64{{summaryPs, medianPs}, {many, many}} {
					for _, from := range []int{2, binnedFrom} {
						old := binnedFrom
						binnedFrom = from
						whole, buckets := p.percentilesAll(fr[0], fr[1])
						binnedFrom = old
						if w := want(slices.Concat(values...), fr[0]); !slices.Equal(whole, w) {
							t.Fatalf("%s, sorted %v, round %d, binnedFrom %d: the whole's %v, want %v", kind, sorted, round, from, whole, w)
						}
						for b := range nb {
							if w := want(values[b], fr[1]); !slices.Equal(buckets[b], w) {
								t.Fatalf("%s, sorted %v, round %d, binnedFrom %d: bucket %d's %v, want %v", kind, sorted, round, from, b, buckets[b], w)
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkPercentilesAll selects a 365-day range's summary and its 53
// weekly medians as a metric and its series do, at a million PRs a year:
// 36 sorted arrays of 70 durations a day. "apart" selects the whole and
// each bucket on their own.
func BenchmarkPercentilesAll(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	p := newRolledPop(53)
	for day := range 365 {
		for range 36 {
			part, sum := sortedDurations(rng, 70)
			p.add(day/7, part, sum)
		}
	}
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			p.percentilesAll(summaryPs, medianPs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*p.n), "ns/value")
	})
	b.Run("medians", func(b *testing.B) {
		for b.Loop() {
			p.percentilesAll(medianPs, medianPs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*p.n), "ns/value")
	})
	b.Run("apart", func(b *testing.B) {
		for b.Loop() {
			p.whole().summary()
			for i := range p.counts {
				p.bucket(i).medianHours()
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*p.n), "ns/value")
	})
}

// sortedDurations returns n durations up to about a year in ms, as the
// benchmarks' populations hold, sorted, and their sum.
func sortedDurations(rng *rand.Rand, n int) ([]int64, int64) {
	v := make([]int64, n)
	var sum int64
	for i := range v {
		v[i] = min(int64(rng.ExpFloat64()*2e8), 3e10)
		sum += v[i]
	}
	slices.Sort(v)
	return v, sum
}

// testValue draws a value of one of the tests' shapes of population
// (kind).
func testValue(rng *rand.Rand, kind string) int64 {
	switch kind {
	case "durations", "single":
		return int64(rng.ExpFloat64() * 3.6e7)
	case "ties":
		return rng.Int64N(4)
	case "huge":
		return rng.Int64()
	case "extremes":
		return []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}[rng.IntN(5)]
	case "negative":
		return rng.Int64N(1000) - 500
	case "dense": // about as many values as bins: neighbours hold some
		return rng.Int64N(3000)
	case "one value":
		return 42
	case "mostly the smallest": // the medians in the lowest bin
		return max(0, int64(rng.ExpFloat64()*3.6e7)-5e7)
	}
	return 0 // "zeros"
}

// TestUnsortedBounds checks the bounds and sums that the issue rollup's
// reads record for values in no order: a cell's cycle times as decoded
// once (issueRow.cycleTimesOf), and a team's buckets (rolledPop.addList).
// percentilesAll trusts them to bin every value.
func TestUnsortedBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	for round := range 50 {
		v := make([]int64, 1+rng.IntN(40))
		var sum int64
		for i := range v {
			v[i] = testValue(rng, []string{"durations", "negative", "ties"}[round%3])
			sum += v[i]
		}
		row := &issueRow{cycleTimes: rollup.EncodeList(v)}
		got, err := row.cycleTimesOf()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.vals, v) || got.sum != sum || got.min != slices.Min(v) || got.max != slices.Max(v) {
			t.Fatalf("round %d: decoded %v (sum %d, %d to %d), want %v (sum %d, %d to %d)", round, got.vals, got.sum,
				got.min, got.max, v, sum, slices.Min(v), slices.Max(v))
		}
		if again, _ := row.cycleTimesOf(); again != got {
			t.Fatalf("round %d: decoded twice", round)
		}
		p := newRolledPop(3)
		for b, vals := range [][]int64{nil, v, {7}} {
			p.addList(b, vals)
		}
		if b := p.bounds[1]; !b.known || b.lo != slices.Min(v) || b.hi != slices.Max(v) || p.sums[1] != sum || p.counts[1] != len(v) {
			t.Fatalf("round %d: bucket 1's bounds %+v, sum %d, count %d, want %d to %d, %d, %d", round, b, p.sums[1], p.counts[1],
				slices.Min(v), slices.Max(v), sum, len(v))
		}
		if p.counts[0] != 0 || p.all.lo != min(slices.Min(v), 7) || p.all.hi != max(slices.Max(v), 7) {
			t.Fatalf("round %d: the whole's bounds %+v, bucket 0 %d values", round, p.all, p.counts[0])
		}
	}
}
