package chart

import (
	"html/template"
	"strconv"
	"strings"
)

// writeSVG draws a drawing. Colours come from the classes (see the
// dashboard's stylesheet); only presentation attributes are used, so the
// page's Content-Security-Policy needs no inline styles. The chart is a
// labelled group of marks; each mark is an image named by its value, and
// focusable, so its tooltip shows from the keyboard too.
//
// It writes the markup directly, every text and attribute value escaped as
// html/template escapes it: an html/template of the same markup took about
// a sixth of the CPU of a cold dashboard page (reflection over every mark),
// and TestSVGEqualsTemplate checks that the two give the same bytes.
func writeSVG(d *drawing) string {
	var w svgWriter
	w.b = make([]byte, 0, 1024+200*(len(d.Rects)+len(d.Dots)))
	w.raw(`<svg class="chart" viewBox="0 0 `).int(d.Width).raw(" ").int(d.Height).raw(`" role="group" aria-label="`).esc(d.Title).
		raw(`" xmlns="http://www.w3.org/2000/svg">` + "\n<title>").esc(d.Title).raw("</title>\n" + `<g class="grid">`)
	for _, t := range d.YTicks {
		w.raw("\n" + `<line x1="`).num(d.Left).raw(`" x2="`).num(d.Right).raw(`" y1="`).num(t.Pos).raw(`" y2="`).num(t.Pos).raw(`"></line>`)
		w.raw("\n" + `<text class="ylabel" x="`).num(d.Left).raw(`" dx="-6" y="`).num(t.Pos).raw(`" dy="4" text-anchor="end">`).esc(t.Label).raw("</text>")
	}
	w.raw("\n</g>\n" + `<line class="axis" x1="`).num(d.Left).raw(`" x2="`).num(d.Right).raw(`" y1="`).num(d.Bottom).raw(`" y2="`).num(d.Bottom).raw(`"></line>`)
	for _, t := range d.XTicks {
		w.raw("\n" + `<text class="xlabel`)
		if t.Alt {
			w.raw(" alt")
		}
		w.raw(`" x="`).num(t.Pos).raw(`" y="`).num(d.Bottom).raw(`" dy="18" text-anchor="middle">`).esc(t.Label).raw("</text>")
	}
	for _, r := range d.Rects {
		w.raw("\n" + `<rect class="mark `).esc(r.Class).raw(`" x="`).num(r.X).raw(`" y="`).num(r.Y).raw(`" width="`).num(r.W).raw(`" height="`).num(r.H).
			raw(`" rx="1.5" role="img" tabindex="`).int(r.Tab).raw(`" data-tip="`).esc(r.Tip).raw(`"><title>`).esc(r.Tip).raw("</title></rect>")
	}
	for _, p := range d.Paths {
		w.raw("\n" + `<path class="line `).esc(p.Class).raw(`" d="`).esc(p.D).raw(`" fill="none"></path>`)
	}
	for _, c := range d.Dots {
		w.raw("\n" + `<circle class="dot `).esc(c.Class).raw(`" cx="`).num(c.X).raw(`" cy="`).num(c.Y).raw(`" r="3.5" role="img" tabindex="`).int(c.Tab).
			raw(`" data-tip="`).esc(c.Tip).raw(`"><title>`).esc(c.Tip).raw("</title></circle>")
	}
	if d.Empty {
		w.raw("\n" + `<text class="nodata" x="`).num(d.CX).raw(`" y="`).num(d.CY).raw(`" text-anchor="middle">No data in this range</text>`)
	}
	w.raw("\n</svg>")
	return string(w.b)
}

// svgWriter appends markup to b.
type svgWriter struct{ b []byte }

func (w *svgWriter) raw(s string) *svgWriter { w.b = append(w.b, s...); return w }

func (w *svgWriter) int(v int) *svgWriter { w.b = strconv.AppendInt(w.b, int64(v), 10); return w }

// num writes v as fmt's %v does (html/template prints numbers with it), for
// the magnitudes a drawing has (below 1e21).
func (w *svgWriter) num(v float64) *svgWriter {
	w.b = strconv.AppendFloat(w.b, v, 'g', -1, 64)
	return w
}

// esc writes s escaped as html/template escapes text and quoted attribute
// values.
func (w *svgWriter) esc(s string) *svgWriter {
	w.b = AppendEscaped(w.b, s)
	return w
}

// AppendEscaped appends s to b escaped as html/template escapes text and
// quoted attribute values (not URLs).
func AppendEscaped(b []byte, s string) []byte {
	if strings.ContainsAny(s, htmlSpecial) {
		s = htmlEscaper.Replace(s)
	}
	return append(b, s...)
}

const htmlSpecial = "\x00\"&'+<>"

var htmlEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// legendTemplate draws a legend: the swatches are empty spans coloured by
// their class.
var legendTemplate = template.Must(template.New("legend").Parse(`<ul class="chart-legend" aria-hidden="true">
{{- range .}}<li><span class="swatch {{.Class}}"></span>{{.Name}}</li>{{end -}}
</ul>`))
