package metrics

import "math"

// Trend compares a metric's headline value with the same metric over the
// previous range of equal length.
type Trend struct {
	Previous      *float64 `json:"previous"`
	ChangePercent *float64 `json:"change_percent"`
	// Direction is improving, worsening or stable (|change| < 5%).
	Direction *string `json:"direction"`
}

// Directions.
const (
	Improving = "improving"
	Worsening = "worsening"
	Stable    = "stable"
)

// stableBelow is the change, in percent, under which a trend is stable.
const stableBelow = 5.0

// newTrend compares current with previous. When either is null there is
// nothing to compare: change and direction are null. When previous is 0
// the change in percent is undefined (null) and the direction follows the
// sign of the difference.
func newTrend(current, previous *float64, higherIsBetter bool) *Trend {
	t := &Trend{Previous: previous}
	if current == nil || previous == nil {
		return t
	}
	diff := *current - *previous
	var change float64 // unrounded, to judge stability
	if *previous != 0 {
		change = diff / math.Abs(*previous) * 100
		t.ChangePercent = round(change, 2)
	}
	dir := Stable
	switch {
	case t.ChangePercent != nil && math.Abs(change) < stableBelow:
	case diff == 0:
	case (diff > 0) == higherIsBetter:
		dir = Improving
	default:
		dir = Worsening
	}
	t.Direction = &dir
	return t
}

func floatPtr(v float64) *float64 { return &v }
