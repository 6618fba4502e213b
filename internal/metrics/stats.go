package metrics

import (
	"math"
	"math/big"
	"slices"
	"strconv"
)

// Durations summarises a population of durations, reported in hours rounded
// to 2 decimals; every field is null when the population is empty.
type Durations struct {
	AverageHours *float64 `json:"average_hours"`
	MedianHours  *float64 `json:"median_hours"`
	P75Hours     *float64 `json:"p75_hours"`
	P90Hours     *float64 `json:"p90_hours"`
}

const msPerHour = 3_600_000.0

// population collects durations in milliseconds. Negative durations (clock
// skew, bad data) are excluded, never clamped.
type population []int64

func (p *population) add(ms int64) bool {
	if ms < 0 {
		return false
	}
	*p = append(*p, ms)
	return true
}

// summary sorts the population and reports it.
func (p population) summary() Durations {
	if len(p) == 0 {
		return Durations{}
	}
	slices.Sort(p)
	var sum float64
	for _, v := range p {
		sum += float64(v)
	}
	return Durations{
		AverageHours: hours(sum / float64(len(p))),
		MedianHours:  hours(percentileSorted(p, 0.5)),
		P75Hours:     hours(percentileSorted(p, 0.75)),
		P90Hours:     hours(percentileSorted(p, 0.90)),
	}
}

// median returns the median in hours, or nil for an empty population.
func (p population) median() *float64 {
	if len(p) == 0 {
		return nil
	}
	slices.Sort(p)
	return hours(percentileSorted(p, 0.5))
}

// percentileSorted is PostgreSQL's percentile_cont over sorted values:
// linear interpolation between the values at floor and ceil of p × (n − 1).
func percentileSorted(v []int64, p float64) float64 {
	rank := p * float64(len(v)-1)
	lo, hi := math.Floor(rank), math.Ceil(rank)
	a, b := float64(v[int(lo)]), float64(v[int(hi)])
	return a + (rank-lo)*(b-a)
}

// hours converts milliseconds to hours rounded to 2 decimals.
func hours(ms float64) *float64 {
	return round(ms/msPerHour, 2)
}

// round rounds half away from zero to the given decimals, on the value's
// decimal spelling: 522 s is 0.145 h, which rounds to 0.15, although the
// float nearest 0.145 is a little below it (math.Round(v*100) gives 0.14).
func round(v float64, decimals int) *float64 {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'f', -1, 64))
	if !ok { // NaN or ±Inf: nothing to round
		return &v
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	r.Mul(r, new(big.Rat).SetInt(scale))
	// |r| + 1/2, truncated, with r's sign.
	num := new(big.Int).Abs(r.Num())
	num.Add(num.Mul(num, big.NewInt(2)), r.Denom())
	q := num.Quo(num, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	if r.Sign() < 0 {
		q.Neg(q)
	}
	out, _ := new(big.Rat).SetFrac(q, scale).Float64()
	return &out
}

// ratio is num ÷ den rounded to 4 decimals, or nil when den is 0.
func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	return round(float64(num)/float64(den), 4)
}
