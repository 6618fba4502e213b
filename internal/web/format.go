package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/web/chart"
)

// funcs are the template functions.
func (t *templates) funcs() template.FuncMap {
	return template.FuncMap{
		"used":     t.markUsed,
		"when":     whenText,
		"datetime": func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) },
		"plural":   func(n int64, one, many string) string { return plural(int(n), one, many) },
		// newTeamForm is the empty form of a new team (settings_teams.go).
		"newTeamForm": func() *teamView { return &teamView{Editable: true} },
	}
}

// whenText is a time for people, "2026-03-20 12:00 UTC", or "never".
func whenText(tm *time.Time) string {
	if tm == nil {
		return "never"
	}
	return tm.UTC().Format("2006-01-02 15:04 UTC")
}

// hoursText is a duration in hours for people: "45 min", "12.3 h", "3.2 d",
// or "—" when there is none.
func hoursText(h *float64) string {
	if h == nil {
		return "—"
	}
	switch v := *h; {
	case v < 1:
		return strconv.Itoa(int(math.Round(v*60))) + " min"
	case v < 48:
		return chart.FormatNumber(math.Round(v*10)/10) + " h"
	default:
		return chart.FormatNumber(math.Round(v/24*10)/10) + " d"
	}
}

// hoursCell is a duration for tables and CSV: hours with 2 decimals, as
// the API reports them, or "" for none.
func hoursCell(h *float64) string {
	if h == nil {
		return ""
	}
	return strconv.FormatFloat(*h, 'f', 2, 64)
}

func durationCell(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return strconv.FormatFloat(d.Hours(), 'f', 2, 64)
}

// percentText is a rate as a percentage, "12.5%", or "—".
func percentText(rate *float64) string {
	if rate == nil {
		return "—"
	}
	return chart.FormatNumber(math.Round(*rate*1000)/10) + "%"
}

// percentCell is a rate as a percentage with 2 decimals for tables, or "".
func percentCell(rate *float64) string {
	if rate == nil {
		return ""
	}
	return strconv.FormatFloat(*rate*100, 'f', 2, 64)
}

func intCell(n int) string { return strconv.Itoa(n) }

// plural is a count with its noun: "1 incident", "2 incidents".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// perPeriod names a bucket for "12.8 per week".
func perPeriod(p metrics.Period) string { return "per " + string(p) }

func numberText(v float64) string { return chart.FormatNumber(math.Round(v*100) / 100) }

func formatHours(v float64) string   { return chart.FormatNumber(v) + " h" }
func formatDays(v float64) string    { return chart.FormatNumber(v) + " d" }
func formatPercent(v float64) string { return chart.FormatNumber(v) + "%" }

// durationAxis sets the unit of a chart of durations given in hours:
// hours, or days when its largest value (its tallest stack) is 48 hours
// or more, where hoursText switches to days too, so the axis and the
// tooltips read in the headline's unit.
func durationAxis(c *chart.Chart) {
	top := 0.0
	for i := range c.Labels {
		sum := 0.0
		for _, s := range c.Series {
			if i >= len(s.Values) || s.Values[i] == nil {
				continue
			}
			if c.Kind == chart.Stacked {
				sum += math.Max(*s.Values[i], 0)
			} else {
				top = math.Max(top, *s.Values[i])
			}
		}
		top = math.Max(top, sum)
	}
	c.Format = formatHours
	if top < 48 {
		return
	}
	c.Format = formatDays
	for j := range c.Series {
		// New values: the old pointers are the metrics' own.
		days := make([]*float64, len(c.Series[j].Values))
		for i, v := range c.Series[j].Values {
			if v != nil {
				days[i] = ptr(*v / 24)
			}
		}
		c.Series[j].Values = days
	}
}

// ptr returns a pointer to v, for chart values.
func ptr(v float64) *float64 { return &v }

// scale multiplies an optional value (a rate into a percentage).
func scale(v *float64, by float64) *float64 {
	if v == nil {
		return nil
	}
	return ptr(*v * by)
}

func tierOf(t *string) string {
	if t == nil {
		return ""
	}
	return *t
}

// trendView is a trend as a KPI card shows it.
type trendView struct {
	Arrow, Text string
	// Class is the direction: improving, worsening, stable, or none.
	Class    string
	Previous string
}

// newTrendView describes tr; format formats the previous value.
func newTrendView(tr *metrics.Trend, format func(*float64) string) *trendView {
	if tr == nil || tr.Direction == nil {
		if tr != nil && tr.Previous == nil {
			return &trendView{Text: "no previous data", Class: "none", Previous: "—"}
		}
		return nil
	}
	v := &trendView{Class: *tr.Direction, Previous: format(tr.Previous)}
	switch {
	case tr.ChangePercent == nil && *tr.Direction == metrics.Stable:
		// The previous value is 0 and so is this one: nothing changed.
		v.Text = "no change"
	case tr.ChangePercent == nil:
		// From 0 the change has no percentage; values are never negative.
		v.Arrow, v.Text = "↑", "from 0"
	case *tr.ChangePercent > 0:
		v.Arrow, v.Text = "↑", fmt.Sprintf("%s%%", chart.FormatNumber(math.Round(*tr.ChangePercent*10)/10))
	case *tr.ChangePercent < 0:
		v.Arrow, v.Text = "↓", fmt.Sprintf("%s%%", chart.FormatNumber(math.Round(-*tr.ChangePercent*10)/10))
	default:
		v.Arrow, v.Text = "→", "0%"
	}
	return v
}

// since is the time from start to end, when there is an end.
func since(start time.Time, end *time.Time) *time.Duration {
	if end == nil {
		return nil
	}
	d := end.Sub(start)
	return &d
}

func dateCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
