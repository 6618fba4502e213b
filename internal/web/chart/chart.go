// Package chart draws small SVG charts on the server: bars (grouped when
// there are several series), stacked bars and lines, with axes, labels and a
// <title> tooltip on every mark. The marks are focusable, one tab stop per
// chart. The SVG scales with its container (viewBox) and takes its colours
// and text sizes from CSS classes, so one drawing serves the light and dark
// themes and both wide and narrow screens. The legend is HTML (Legend), so
// it wraps and keeps the page's text size.
package chart

import (
	"bytes"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Kind is the kind of chart.
type Kind int

// The kinds of chart.
const (
	Bars    Kind = iota // one bar per series per label, side by side
	Stacked             // the series' bars stacked on each other
	Lines               // one line per series; a null value breaks the line
)

// Series is one named sequence of values, one per label; nil is no value.
type Series struct {
	Name   string
	Values []*float64
}

// Chart is a chart to draw.
type Chart struct {
	Kind Kind
	// Title names the chart for screen readers (aria-label).
	Title  string
	Labels []string // the x axis, one per value
	Series []Series
	// Format formats a value for the y axis and tooltips (default: up to 2
	// decimals).
	Format func(float64) string
	// Max, when above the data's maximum, fixes the top of the y axis (1 for
	// a rate).
	Max float64
	// Integers keeps the y axis on whole numbers (counts).
	Integers bool
	// Partial notes, per label, a bucket that only partly falls in the
	// range ("partial week: 2 of 7 days in the range"; "" for a whole one).
	// Its marks are drawn faded with a dashed outline, the note is added to
	// their tooltips, and PartialKey explains the style in the legend.
	Partial    []string
	PartialKey string
	// NoValue says what a missing value means ("no deployments"). When
	// set, a bar chart draws a small dashed "no data" mark with that
	// tooltip where a value is missing, so that it does not look like a
	// real 0, which is drawn as a thin bar on the axis.
	NoValue string
}

// Drawing size in viewBox units; the SVG scales to its container.
const (
	zeroH        = 3 // the height of a bar of 0
	noValueH     = 8 // the height of the mark of a missing value
	width        = 640
	height       = 220
	marginLeft   = 52
	marginRight  = 12
	marginTop    = 22
	marginBottom = 30
	plotW        = width - marginLeft - marginRight
	plotH        = height - marginTop - marginBottom
	maxXLabels   = 8
)

// SVG returns the chart as an inline <svg> element. All text in it is
// escaped as html/template escapes it (writeSVG).
func (c Chart) SVG() template.HTML {
	d := c.layout()
	return template.HTML(writeSVG(&d))
}

// drawing is the chart's geometry, ready for writeSVG.
type drawing struct {
	Title, Desc   string
	Width, Height int
	Left, Right   float64
	Top, Bottom   float64
	YTicks        []tick
	XTicks        []tick
	Rects         []rect
	Paths         []path
	Dots          []dot
	Empty         bool
	CX, CY        float64
}

type tick struct {
	Pos   float64
	Label string
	// Alt marks every other x label, which narrow screens leave out so
	// that the ones left have room for a larger font.
	Alt bool
}

type rect struct {
	X, Y, W, H float64
	Class      string
	Tip        string
	// Tab is the mark's tabindex: 0 for the chart's first mark, which
	// takes the keyboard focus into the chart, -1 for the others, which
	// the arrow keys reach (see app.js).
	Tab int
}

type path struct {
	D     string
	Class string
}

type dot struct {
	X, Y  float64
	Class string
	Tip   string
	Tab   int // as rect.Tab
}

type legendItem struct {
	Class string
	Name  string
}

func (c Chart) format(v float64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return FormatNumber(v)
}

// FormatNumber writes v with up to 2 decimals and no trailing zeros.
func FormatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func (c Chart) layout() drawing {
	d := drawing{Title: c.Title, Width: width, Height: height,
		Left: marginLeft, Right: width - marginRight, Top: marginTop, Bottom: marginTop + plotH,
		CX: marginLeft + plotW/2, CY: marginTop + plotH/2}
	n := len(c.Labels)
	top := c.top()
	if n == 0 || top == 0 && !c.hasValues() {
		d.Empty = true
	}
	// y axis: "nice" ticks from 0 to the top.
	step := niceStep(top / 4)
	if top <= 0 || step <= 0 {
		top, step = 1, 0.25
	}
	if c.Integers {
		step = math.Max(math.Ceil(step), 1)
	}
	yMax := math.Ceil(top/step-1e-9) * step
	for v := 0.0; v <= yMax+step/2; v += step {
		d.YTicks = append(d.YTicks, tick{Pos: c.y(v, yMax), Label: c.format(v)})
	}
	if n == 0 {
		return d
	}
	slot := float64(plotW) / float64(n)
	every := (n + maxXLabels - 1) / maxXLabels
	for i, l := range c.Labels {
		if i%every == 0 {
			d.XTicks = append(d.XTicks, tick{Pos: marginLeft + slot*(float64(i)+0.5), Label: l, Alt: i/every%2 == 1})
		}
	}
	switch c.Kind {
	case Lines:
		c.lines(&d, slot, yMax)
	case Stacked:
		c.stacked(&d, slot, yMax)
	default:
		c.bars(&d, slot, yMax)
	}
	// One tab stop per chart: its first mark.
	for i := range d.Rects {
		d.Rects[i].Tab = -1
	}
	for i := range d.Dots {
		d.Dots[i].Tab = -1
	}
	if len(d.Rects) > 0 {
		d.Rects[0].Tab = 0
	} else if len(d.Dots) > 0 {
		d.Dots[0].Tab = 0
	}
	return d
}

// Legend returns the chart's legend as an HTML list, a swatch and a name
// per series (for two or more), the key to partial buckets and to missing
// values (when there are any), or nothing. It goes next to the SVG.
func (c Chart) Legend() template.HTML {
	var items []legendItem
	if len(c.Series) > 1 {
		for i, s := range c.Series {
			items = append(items, legendItem{Class: seriesClass(i), Name: s.Name})
		}
	}
	if c.hasPartial() && c.PartialKey != "" {
		items = append(items, legendItem{Class: "partial", Name: c.PartialKey})
	}
	if c.Kind == Bars && c.NoValue != "" && c.hasValues() && c.hasMissing() {
		items = append(items, legendItem{Class: "none", Name: c.NoValue})
	}
	if len(items) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := legendTemplate.Execute(&b, items); err != nil {
		panic("chart: " + err.Error())
	}
	return template.HTML(b.String())
}

func seriesClass(i int) string { return "s" + strconv.Itoa(i%6) }

// partial returns the note of label i's bucket, or "".
func (c Chart) partial(i int) string {
	if i < len(c.Partial) {
		return c.Partial[i]
	}
	return ""
}

// markClass is the class of a mark of series j at label i.
func (c Chart) markClass(i, j int) string {
	if c.partial(i) != "" {
		return seriesClass(j) + " partial"
	}
	return seriesClass(j)
}

func (c Chart) hasPartial() bool {
	for i := range c.Partial {
		if c.partial(i) != "" {
			return true
		}
	}
	return false
}

// y maps a value to its vertical position.
func (c Chart) y(v, yMax float64) float64 {
	return marginTop + plotH - v/yMax*plotH
}

// tip is the tooltip of series s's value v at label i.
func (c Chart) tip(i int, s Series, v float64) string {
	t := c.Labels[i] + " · " + s.Name + ": " + c.format(v)
	if len(c.Series) == 1 && s.Name == "" {
		t = c.Labels[i] + ": " + c.format(v)
	}
	if note := c.partial(i); note != "" {
		t += " (" + note + ")"
	}
	return t
}

// noValueTip is the tooltip of series s's missing value at label i.
func (c Chart) noValueTip(i int, s Series) string {
	t := c.Labels[i] + ": " + c.NoValue
	if len(c.Series) > 1 || s.Name != "" {
		t = c.Labels[i] + " · " + s.Name + ": " + c.NoValue
	}
	if note := c.partial(i); note != "" {
		t += " (" + note + ")"
	}
	return t
}

func (c Chart) bars(d *drawing, slot, yMax float64) {
	k := float64(max(len(c.Series), 1))
	inner := slot * 0.8
	bw := inner / k
	for i := range c.Labels {
		x0 := marginLeft + slot*float64(i) + slot*0.1
		for j, s := range c.Series {
			x, w := x0+bw*float64(j), math.Max(bw-1, 1)
			v := value(s, i)
			switch {
			case v == nil && c.NoValue != "" && !d.Empty:
				d.Rects = append(d.Rects, rect{X: x + w/4, Y: marginTop + plotH - noValueH, W: w / 2, H: noValueH,
					Class: c.markClass(i, j) + " none", Tip: c.noValueTip(i, s)})
			case v == nil:
			case *v == 0:
				d.Rects = append(d.Rects, rect{X: x, Y: marginTop + plotH - zeroH, W: w, H: zeroH,
					Class: c.markClass(i, j) + " zero", Tip: c.tip(i, s, 0)})
			default:
				y := c.y(*v, yMax)
				d.Rects = append(d.Rects, rect{X: x, Y: y, W: w, H: marginTop + plotH - y,
					Class: c.markClass(i, j), Tip: c.tip(i, s, *v)})
			}
		}
	}
}

func (c Chart) stacked(d *drawing, slot, yMax float64) {
	bw := slot * 0.8
	for i := range c.Labels {
		x := marginLeft + slot*float64(i) + slot*0.1
		sum := 0.0
		for j, s := range c.Series {
			v := value(s, i)
			if v == nil || *v <= 0 {
				continue
			}
			yTop, yBottom := c.y(sum+*v, yMax), c.y(sum, yMax)
			d.Rects = append(d.Rects, rect{X: x, Y: yTop, W: math.Max(bw-1, 1), H: yBottom - yTop,
				Class: c.markClass(i, j), Tip: c.tip(i, s, *v)})
			sum += *v
		}
	}
}

func (c Chart) lines(d *drawing, slot, yMax float64) {
	for j, s := range c.Series {
		// A segment that reaches a partial bucket goes in a dashed path
		// of its own; the others in the solid one.
		var solid, dashed strings.Builder
		pen, prevPartial := "", false // pen: the previous point, if any
		for i := range c.Labels {
			v := value(s, i)
			if v == nil {
				pen = ""
				continue
			}
			x, y := marginLeft+slot*(float64(i)+0.5), c.y(*v, yMax)
			at, partial := num(x)+" "+num(y), c.partial(i) != ""
			if pen != "" {
				b := &solid
				if partial || prevPartial {
					b = &dashed
				}
				b.WriteString(" M" + pen + " L" + at)
			}
			d.Dots = append(d.Dots, dot{X: x, Y: y, Class: c.markClass(i, j), Tip: c.tip(i, s, *v)})
			pen, prevPartial = at, partial
		}
		if solid.Len() > 0 {
			d.Paths = append(d.Paths, path{D: joinSegments(solid.String()), Class: seriesClass(j)})
		}
		if dashed.Len() > 0 {
			d.Paths = append(d.Paths, path{D: joinSegments(dashed.String()), Class: seriesClass(j) + " partial"})
		}
	}
}

// joinSegments drops the moves that return to where the last segment
// ended, so a run of segments draws as one polyline: "M0 0 L1 1 M1 1 L2 0"
// becomes "M0 0 L1 1 L2 0".
func joinSegments(d string) string {
	parts := strings.Split(strings.TrimSpace(d), " M")
	var b strings.Builder
	end := ""
	for i, p := range parts {
		p = strings.TrimPrefix(p, "M")
		from, to, _ := strings.Cut(p, " L")
		if i > 0 && from == end {
			b.WriteString(" L" + to)
		} else {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString("M" + p)
		}
		end = to
	}
	return b.String()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func value(s Series, i int) *float64 {
	if i >= len(s.Values) {
		return nil
	}
	return s.Values[i]
}

func (c Chart) hasValues() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v != nil {
				return true
			}
		}
	}
	return false
}

// hasMissing reports whether a series lacks a value at some label.
func (c Chart) hasMissing() bool {
	for _, s := range c.Series {
		for i := range c.Labels {
			if value(s, i) == nil {
				return true
			}
		}
	}
	return false
}

// top is the largest value to show: the tallest stack for stacked bars.
func (c Chart) top() float64 {
	top := c.Max
	for i := range c.Labels {
		sum := 0.0
		for _, s := range c.Series {
			v := value(s, i)
			if v == nil {
				continue
			}
			if c.Kind == Stacked {
				sum += math.Max(*v, 0)
			} else {
				top = math.Max(top, *v)
			}
		}
		top = math.Max(top, sum)
	}
	return top
}

// niceStep rounds a raw step up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsInf(raw, 0) || math.IsNaN(raw) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p+1e-12 {
			return m * p
		}
	}
	return 10 * p
}
