package chart

import "html/template"

// svgTemplate draws a drawing. Colours come from the classes (see the
// dashboard's stylesheet); only presentation attributes are used, so the
// page's Content-Security-Policy needs no inline styles. The chart is a
// labelled group of marks; each mark is an image named by its value, and
// focusable, so its tooltip shows from the keyboard too.
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

// legendTemplate draws a legend: the swatches are empty spans coloured by
// their class.
var legendTemplate = template.Must(template.New("legend").Parse(`<ul class="chart-legend" aria-hidden="true">
{{- range .}}<li><span class="swatch {{.Class}}"></span>{{.Name}}</li>{{end -}}
</ul>`))
