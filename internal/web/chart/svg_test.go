package chart

import (
	"bytes"
	"html/template"
	"testing"
)

// svgTemplate is the html/template writeSVG replaced: the reference its
// output must equal, escaping included.
var svgTemplate = template.Must(template.New("svg").Parse(`<svg class="chart" viewBox="0 0 {{.Width}} {{.Height}}" role="group" aria-label="{{.Title}}" xmlns="http://www.w3.org/2000/svg">
<title>{{.Title}}</title>
<g class="grid">
{{- range .YTicks}}
<line x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Pos}}" y2="{{.Pos}}"></line>
<text class="ylabel" x="{{$.Left}}" dx="-6" y="{{.Pos}}" dy="4" text-anchor="end">{{.Label}}</text>
{{- end}}
</g>
<line class="axis" x1="{{.Left}}" x2="{{.Right}}" y1="{{.Bottom}}" y2="{{.Bottom}}"></line>
{{- range .XTicks}}
<text class="xlabel{{if .Alt}} alt{{end}}" x="{{.Pos}}" y="{{$.Bottom}}" dy="18" text-anchor="middle">{{.Label}}</text>
{{- end}}
{{- range .Rects}}
<rect class="mark {{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" rx="1.5" role="img" tabindex="{{.Tab}}" data-tip="{{.Tip}}"><title>{{.Tip}}</title></rect>
{{- end}}
{{- range .Paths}}
<path class="line {{.Class}}" d="{{.D}}" fill="none"></path>
{{- end}}
{{- range .Dots}}
<circle class="dot {{.Class}}" cx="{{.X}}" cy="{{.Y}}" r="3.5" role="img" tabindex="{{.Tab}}" data-tip="{{.Tip}}"><title>{{.Tip}}</title></circle>
{{- end}}
{{- if .Empty}}
<text class="nodata" x="{{.CX}}" y="{{.CY}}" text-anchor="middle">No data in this range</text>
{{- end}}
</svg>`))

// TestSVGEqualsTemplate: writeSVG gives the html/template's bytes for every
// kind of chart, with values, gaps, zeros, partial buckets, several series,
// no data, and text that needs escaping.
func TestSVGEqualsTemplate(t *testing.T) {
	odd := "a<b> & \"c\" 'd' +e\x00"
	labels := []string{"w1", "w2 " + odd, "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10"}
	vals := []*float64{f(1.5), nil, f(0), f(12.25), f(1e-5), f(333.333), nil, f(7), f(2), f(1234567)}
	charts := map[string]Chart{
		"bars":    {Kind: Bars, Title: "Bars " + odd, Labels: labels, Series: []Series{{Values: vals}}, NoValue: "no deployments", Partial: []string{"partial " + odd}},
		"grouped": {Kind: Bars, Title: "Grouped", Labels: labels[:3], Series: []Series{{Name: "a", Values: vals}, {Name: odd, Values: vals[3:]}}, Integers: true},
		"stacked": {Kind: Stacked, Title: "Stacked", Labels: labels, Series: []Series{{Name: "x", Values: vals}, {Name: "y", Values: vals[1:]}}, Max: 1},
		"lines": {Kind: Lines, Title: "Lines", Labels: labels, Series: []Series{{Name: "p50", Values: vals}, {Name: "p90", Values: vals[2:]}},
			Partial: []string{"", "", "", "", "", "", "", "", "", "partial"}, Format: func(v float64) string { return FormatNumber(v) + "h" }},
		"empty":    {Kind: Bars, Title: "Empty", Labels: labels[:2], Series: []Series{{Values: []*float64{nil, nil}}}},
		"nolabels": {Kind: Lines, Title: "None"},
	}
	for name, c := range charts {
		d := c.layout()
		var want bytes.Buffer
		if err := svgTemplate.Execute(&want, d); err != nil {
			t.Fatal(err)
		}
		if got := writeSVG(&d); got != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want.String())
		}
	}
}
