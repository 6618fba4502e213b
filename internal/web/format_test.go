package web

import (
	"testing"

	"github.com/veelocity/veelocity/internal/metrics"
)

func TestTrendView(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	dir := func(s string) *string { return &s }
	tests := []struct {
		name  string
		trend *metrics.Trend
		want  *trendView // nil: no trend shown
	}{
		{"no trend asked", nil, nil},
		{"no previous data", &metrics.Trend{}, &trendView{Text: "no previous data", Class: "none", Previous: "—"}},
		{"both zero", &metrics.Trend{Previous: f(0), Direction: dir(metrics.Stable)},
			&trendView{Text: "no change", Class: "stable", Previous: "0"}},
		{"up from zero", &metrics.Trend{Previous: f(0), Direction: dir(metrics.Improving)},
			&trendView{Arrow: "↑", Text: "from 0", Class: "improving", Previous: "0"}},
		{"up", &metrics.Trend{Previous: f(10), ChangePercent: f(12.345), Direction: dir(metrics.Improving)},
			&trendView{Arrow: "↑", Text: "12.3%", Class: "improving", Previous: "10"}},
		{"down", &metrics.Trend{Previous: f(10), ChangePercent: f(-40), Direction: dir(metrics.Worsening)},
			&trendView{Arrow: "↓", Text: "40%", Class: "worsening", Previous: "10"}},
		{"unchanged", &metrics.Trend{Previous: f(10), ChangePercent: f(0), Direction: dir(metrics.Stable)},
			&trendView{Arrow: "→", Text: "0%", Class: "stable", Previous: "10"}},
	}
	format := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return numberText(*v)
	}
	for _, tt := range tests {
		got := newTrendView(tt.trend, format)
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
