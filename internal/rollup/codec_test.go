package rollup

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCodecRoundTrip encodes and decodes value arrays of the shapes the
// rollup holds (durations, ties, extremes) and checks values and sums.
func TestCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 10, 1000} {
		for _, kind := range []string{"durations", "ties", "extremes"} {
			v := make([]int64, n)
			for i := range v {
				switch kind {
				case "durations":
					v[i] = int64(rng.ExpFloat64() * 3.6e7)
				case "ties":
					v[i] = 42
				case "extremes":
					v[i] = []int64{math.MinInt64 / 2, -1, 0, 1, math.MaxInt64 / 2}[rng.IntN(5)]
				}
			}
			want := slices.Clone(v)
			slices.Sort(want)
			var wantSum int64
			for _, x := range want {
				wantSum += x
			}
			got, sum, err := DecodeAppend([]int64{7}, Encode(v))
			if err != nil || !slices.Equal(got[1:], want) || got[0] != 7 || sum != wantSum {
				t.Errorf("%d %s: decoded %v (sum %d, %v), want %v (sum %d)", n, kind, got[1:min(len(got), 5)], sum, err, want[:min(n, 4)], wantSum)
			}
			ids := slices.Clone(want)
			for i := range ids {
				ids[i] = int64(i*3) + 1<<40*int64(i%2)
			}
			slices.Sort(ids)
			if got, err := DecodeIDs(nil, EncodeIDs(ids)); err != nil || !slices.Equal(got, ids) {
				t.Errorf("%d ids: decoded %v (%v)", n, got[:min(len(got), 4)], err)
			}
			if got, sum, err := DecodeList(nil, EncodeList(v)); err != nil || !slices.Equal(got, v) || sum != wantSum {
				t.Errorf("%d %s list: decoded %v (sum %d, %v)", n, kind, got[:min(len(got), 4)], sum, err)
			}
			if Count(Encode(v)) != n {
				t.Errorf("%d %s: Count %d", n, kind, Count(Encode(v)))
			}
		}
	}
	for _, bad := range [][]byte{{0x80}, {0x02, 0x80}, {0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}} {
		if _, _, err := DecodeAppend(nil, bad); err == nil {
			t.Errorf("decoding %x: no error", bad)
		}
		if _, err := DecodeIDs(nil, bad); err == nil {
			t.Errorf("decoding ids %x: no error", bad)
		}
		if _, _, err := DecodeList(nil, bad); err == nil {
			t.Errorf("decoding a list %x: no error", bad)
		}
	}
}

// BenchmarkDecode decodes a day's worth of a population: 2,700 durations in
// arrays of 35, as a 90-day read at a million PRs a year does 90 times.
func BenchmarkDecode(b *testing.B) {
	benchDecode(b, func(v []int64) []byte { return Encode(v) }, DecodeAppend)
}

func benchDecode(b *testing.B, encode func([]int64) []byte, decode func([]int64, []byte) ([]int64, int64, error)) {
	rng := rand.New(rand.NewPCG(1, 2))
	var arrays [][]byte
	n := 0
	for range 80 {
		v := make([]int64, 35)
		for i := range v {
			v[i] = int64(rng.ExpFloat64() * 3.6e7)
		}
		arrays = append(arrays, encode(v))
		n += len(v)
	}
	dst := make([]int64, 0, n)
	for b.Loop() {
		dst = dst[:0]
		for _, a := range arrays {
			dst, _, _ = decode(dst, a)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
}
