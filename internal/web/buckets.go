package web

import (
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/web/chart"
)

// bucketEnd is the first day after the bucket of period that starts on
// start (day, ISO week from Monday, or calendar month, as the metrics
// package buckets).
func bucketEnd(p metrics.Period, start time.Time) time.Time {
	switch p {
	case metrics.Week:
		return start.AddDate(0, 0, 7)
	case metrics.Month:
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 1)
}

// partialNote says how the bucket that starts on date (YYYY-MM-DD) falls
// in q's range: "" when all of it does, else "partial week: 2 of 7 days in
// the range". The first bucket of a range that starts mid-week begins on
// the Monday before, and the last one may end after the range, so their
// counts cover fewer days than the others.
func partialNote(q metrics.Query, date string) string {
	start, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return ""
	}
	end := bucketEnd(q.Period, start)
	from, until := start, end
	if q.Start.After(from) {
		from = q.Start
	}
	if q.End.Before(until) {
		until = q.End
	}
	days, in := dayCount(start, end), dayCount(from, until)
	if in >= days || in <= 0 {
		return ""
	}
	return "partial " + string(q.Period) + ": " + strconv.Itoa(in) + " of " + strconv.Itoa(days) + " days in the range"
}

func dayCount(from, until time.Time) int { return int(until.Sub(from).Hours()/24 + 0.5) }

// markPartial notes the buckets that only partly fall in q's range: the
// chart draws them faded and says so in their tooltips, and the table gets
// a Note column saying how many of the bucket's days are in the range. The
// table's rows start with their bucket's date. Nothing changes when every
// bucket is whole.
func markPartial(q metrics.Query, t *Table, c *chart.Chart) {
	notes := make([]string, len(t.Rows))
	some := false
	for i, row := range t.Rows {
		if len(row) > 0 {
			notes[i] = partialNote(q, row[0].Text)
			some = some || notes[i] != ""
		}
	}
	if !some {
		return
	}
	t.Columns = append(t.Columns, Column{Name: "Note"})
	for i := range t.Rows {
		t.Rows[i] = append(t.Rows[i], Cell{Text: notes[i]})
	}
	c.Partial = notes
	c.PartialKey = "partial " + string(q.Period) + ": only some of its days are in the range"
}
