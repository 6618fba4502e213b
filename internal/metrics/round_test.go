package metrics

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// roundExact is round's rule computed with exact rationals: the value's
// shortest decimal spelling, scaled, plus one half, truncated away from
// zero, read back as the nearest float.
func roundExact(v float64, decimals int) float64 {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'f', -1, 64))
	if !ok {
		return v
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	r.Mul(r, new(big.Rat).SetInt(scale))
	num := new(big.Int).Abs(r.Num())
	num.Add(num.Mul(num, big.NewInt(2)), r.Denom())
	q := num.Quo(num, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	if r.Sign() < 0 {
		q.Neg(q)
	}
	out, _ := new(big.Rat).SetFrac(q, scale).Float64()
	return out
}

// TestRound checks round against exact rational arithmetic on the cases
// that matter (halves that floats hold a little below or above, carries,
// negatives, zero) and on random values of every magnitude the metrics
// report, bit for bit.
func TestRound(t *testing.T) {
	cases := []struct {
		v        float64
		decimals int
		want     float64
	}{
		{0.145, 2, 0.15}, // 522 s in hours: the float is a little below 0.145
		{1.005, 2, 1.01},
		{2.675, 2, 2.68},
		{0.9999, 2, 1},
		{99.995, 2, 100},
		{-0.145, 2, -0.15},
		{-0.004, 2, 0},
		{0.00005, 4, 0.0001},
		{0.33333333, 4, 0.3333},
		{12, 2, 12},
		{0.5, 0, 1},
		{-2.5, 0, -3},
		{1e21, 2, 1e21},
	}
	for _, c := range cases {
		got := *round(c.v, c.decimals)
		if got != c.want || math.Signbit(got) != math.Signbit(c.want) {
			t.Errorf("round(%v, %d) = %v, want %v", c.v, c.decimals, got, c.want)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := *round(v, 2); !(math.IsNaN(v) && math.IsNaN(got)) && got != v {
			t.Errorf("round(%v, 2) = %v", v, got)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		// Hours of durations and rates: from 1e-6 to 1e7, and exact
		// quotients of milliseconds as the metrics make them.
		var v float64
		if i%2 == 0 {
			v = math.Pow(10, rng.Float64()*13-6)
		} else {
			v = float64(rng.Int64N(1e12)) / msPerHour
		}
		if i%5 == 0 {
			v = -v
		}
		for _, d := range []int{0, 2, 4} {
			got, want := *round(v, d), roundExact(v, d)
			if got != want || math.Signbit(got) != math.Signbit(want) {
				t.Fatalf("round(%v, %d) = %v, exact rounding gives %v", v, d, got, want)
			}
		}
	}
}
