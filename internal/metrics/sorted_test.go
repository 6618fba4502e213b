package metrics

import (
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
