package web

import (
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/metrics"
)

func TestPartialNote(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	// 2026-02-19 (a Thursday) to 2026-03-20 (a Friday), inclusive.
	q := func(p metrics.Period) metrics.Query {
		return metrics.Query{Start: day("2026-02-19"), End: day("2026-03-21"), Period: p}
	}
	tests := []struct {
		period metrics.Period
		bucket string
		want   string
	}{
		{metrics.Week, "2026-02-16", "partial week: 4 of 7 days in the range"},
		{metrics.Week, "2026-02-23", ""},
		{metrics.Week, "2026-03-09", ""},
		{metrics.Week, "2026-03-16", "partial week: 5 of 7 days in the range"},
		{metrics.Month, "2026-02-01", "partial month: 10 of 28 days in the range"},
		{metrics.Month, "2026-03-01", "partial month: 20 of 31 days in the range"},
		{metrics.Day, "2026-02-19", ""},
		{metrics.Day, "2026-03-20", ""},
	}
	for _, tt := range tests {
		if got := partialNote(q(tt.period), tt.bucket); got != tt.want {
			t.Errorf("%s bucket %s: %q, want %q", tt.period, tt.bucket, got, tt.want)
		}
	}
	whole := metrics.Query{Start: day("2026-02-01"), End: day("2026-04-01"), Period: metrics.Month}
	if got := partialNote(whole, "2026-03-01"); got != "" {
		t.Errorf("a whole month is %q", got)
	}
}
