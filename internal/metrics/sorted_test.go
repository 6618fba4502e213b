package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
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
				switch kind {
				case "durations":
					v[i] = int64(rng.ExpFloat64() * 3.6e7)
				case "ties":
					v[i] = rng.Int64N(7)
				case "huge":
					v[i] = rng.Int64()
				case "negative":
					v[i] = rng.Int64N(1000) - 500
				}
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
					switch kind {
					case "durations", "single":
						p[i] = int64(rng.ExpFloat64() * 3.6e7)
					case "ties":
						p[i] = rng.Int64N(4)
					case "extremes":
						p[i] = []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}[rng.IntN(5)]
					case "negative":
						p[i] = rng.Int64N(1000) - 500
					}
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
		p := make([]int64, 10000)
		for i := range p {
			p[i] = min(int64(rng.ExpFloat64()*2e8), 3e10)
		}
		slices.Sort(p)
		s.add(p, 0)
	}
	for b.Loop() {
		s.summary()
	}
}
