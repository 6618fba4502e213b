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
