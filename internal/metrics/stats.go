package metrics

import (
	"math"
	"slices"
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

// round rounds half away from zero to the given decimals.
func round(v float64, decimals int) *float64 {
	f := math.Pow(10, float64(decimals))
	r := math.Round(v*f) / f
	return &r
}

// ratio is num ÷ den rounded to 4 decimals, or nil when den is 0.
func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	return round(float64(num)/float64(den), 4)
}
