package chart

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func f(v float64) *float64 { return &v }

// parse returns the SVG's elements by tag name.
func parse(t *testing.T, svg string) map[string][]*html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(svg))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*html.Node{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			out[n.Data] = append(out[n.Data], n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func titles(els map[string][]*html.Node) []string {
	var out []string
	for _, n := range els["title"] {
		if p := n.Parent; p != nil && p.Data != "svg" {
			out = append(out, text(n))
		}
	}
	return out
}

func TestChartMarksAndTooltips(t *testing.T) {
	labels := []string{"2024-01-01", "2024-01-08", "2024-01-15"}
	tests := []struct {
		name      string
		chart     Chart
		wantTips  []string
		wantRects int
		wantPaths int
		wantDots  int
	}{
		{
			name:      "bars skip null values",
			chart:     Chart{Kind: Bars, Title: "Deployments", Labels: labels, Series: []Series{{Values: []*float64{f(3), nil, f(0)}}}, Integers: true},
			wantTips:  []string{"2024-01-01: 3", "2024-01-15: 0"},
			wantRects: 2,
		},
		{
			name: "stacked bars, one rect per positive part",
			chart: Chart{Kind: Stacked, Title: "Phases", Labels: labels[:1], Series: []Series{
				{Name: "coding", Values: []*float64{f(1.5)}}, {Name: "review", Values: []*float64{f(2)}}, {Name: "deploy", Values: []*float64{nil}}}},
			wantTips:  []string{"2024-01-01 · coding: 1.5", "2024-01-01 · review: 2"},
			wantRects: 2,
		},
		{
			// The median's points are cut off from each other, so only
			// its dots show them.
			name: "lines break at nulls",
			chart: Chart{Kind: Lines, Title: "Lead time", Labels: labels, Series: []Series{
				{Name: "median", Values: []*float64{f(10), nil, f(12)}}, {Name: "p90", Values: []*float64{f(20), f(30), f(40)}}},
				Format: func(v float64) string { return FormatNumber(v) + " h" }},
			wantTips:  []string{"2024-01-01 · median: 10 h", "2024-01-15 · median: 12 h", "2024-01-01 · p90: 20 h", "2024-01-08 · p90: 30 h", "2024-01-15 · p90: 40 h"},
			wantPaths: 1,
			wantDots:  5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			els := parse(t, string(tt.chart.SVG()))
			if got := titles(els); strings.Join(got, "|") != strings.Join(tt.wantTips, "|") {
				t.Errorf("tooltips = %q, want %q", got, tt.wantTips)
			}
			if n := len(els["rect"]); n != tt.wantRects {
				t.Errorf("%d rects, want %d", n, tt.wantRects)
			}
			if n := len(els["path"]); n != tt.wantPaths {
				t.Errorf("%d paths, want %d", n, tt.wantPaths)
			}
			if n := len(els["circle"]); n != tt.wantDots {
				t.Errorf("%d dots, want %d", n, tt.wantDots)
			}
			svg := els["svg"][0]
			if attr(svg, "viewBox") == "" || attr(svg, "aria-label") != tt.chart.Title {
				t.Errorf("svg attributes: viewBox %q, aria-label %q", attr(svg, "viewBox"), attr(svg, "aria-label"))
			}
		})
	}
}

func TestChartGeometry(t *testing.T) {
	c := Chart{Kind: Bars, Labels: []string{"a", "b"}, Series: []Series{{Values: []*float64{f(2), f(4)}}}, Integers: true}
	els := parse(t, string(c.SVG()))
	rects := els["rect"]
	h := func(n *html.Node) string { return attr(n, "height") }
	// The taller bar is twice the shorter one, both standing on the axis.
	if h(rects[0]) != "84" || h(rects[1]) != "168" {
		t.Errorf("bar heights %s and %s, want 84 and 168 (axis 0..4 over %dpx)", h(rects[0]), h(rects[1]), plotH)
	}
	var ticks []string
	for _, n := range els["text"] {
		if attr(n, "class") == "ylabel" {
			ticks = append(ticks, text(n))
		}
	}
	if got := strings.Join(ticks, ","); got != "0,1,2,3,4" {
		t.Errorf("y ticks %s, want 0,1,2,3,4", got)
	}
}

func TestChartEscapesText(t *testing.T) {
	c := Chart{Kind: Bars, Title: `<script>alert(1)</script>`, Labels: []string{`<b>x</b>`},
		Series: []Series{{Name: `"><img src=x>`, Values: []*float64{f(1)}}}}
	svg := string(c.SVG())
	for _, bad := range []string{"<script>", "<b>", "<img"} {
		if strings.Contains(svg, bad) {
			t.Errorf("SVG contains unescaped %s", bad)
		}
	}
	els := parse(t, svg)
	if len(els["script"]) != 0 || len(els["img"]) != 0 {
		t.Error("markup from labels became elements")
	}
}

func TestEmptyChartSaysSo(t *testing.T) {
	c := Chart{Kind: Lines, Title: "x", Labels: []string{"a", "b"}, Series: []Series{{Values: []*float64{nil, nil}}}}
	found := false
	for _, n := range parse(t, string(c.SVG()))["text"] {
		if text(n) == "No data in this range" {
			found = true
		}
	}
	if !found {
		t.Error("an all-null chart does not say it has no data")
	}
}

// The legend is an HTML list beside the SVG, a swatch per series in the
// series' colour class, so it keeps the page's text size on any screen.
func TestLegend(t *testing.T) {
	one := Chart{Kind: Bars, Labels: []string{"a"}, Series: []Series{{Name: "deployments", Values: []*float64{f(1)}}}}
	if l := one.Legend(); l != "" {
		t.Errorf("a single series has a legend: %s", l)
	}
	two := Chart{Kind: Lines, Labels: []string{"a"}, Series: []Series{{Name: "median", Values: []*float64{f(1)}}, {Name: "<p90>", Values: []*float64{f(2)}}}}
	els := parse(t, string(two.Legend()))
	var got []string
	for i, li := range els["li"] {
		sw := li.FirstChild
		if sw == nil || attr(sw, "class") != "swatch "+seriesClass(i) {
			t.Errorf("legend item %d has no swatch of class %s", i, seriesClass(i))
		}
		got = append(got, text(li))
	}
	if strings.Join(got, "|") != "median|<p90>" {
		t.Errorf("legend items %q", got)
	}
	for _, n := range parse(t, string(two.SVG()))["text"] {
		if text(n) == "median" {
			t.Error("the SVG still draws the legend")
		}
	}
}

// Every other x label is marked alt, for narrow screens to leave out.
func TestAlternateXLabels(t *testing.T) {
	labels := []string{"d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13"}
	vals := make([]*float64, len(labels))
	c := Chart{Kind: Bars, Labels: labels, Series: []Series{{Values: vals}}}
	var shown, alt []string
	for _, n := range parse(t, string(c.SVG()))["text"] {
		switch attr(n, "class") {
		case "xlabel":
			shown = append(shown, text(n))
		case "xlabel alt":
			alt = append(alt, text(n))
		}
	}
	if strings.Join(shown, ",") != "d1,d5,d9,d13" || strings.Join(alt, ",") != "d3,d7,d11" {
		t.Errorf("x labels %q, alternates %q", shown, alt)
	}
}

// A bucket only partly in the range is marked: faded marks (class partial),
// the note in the tooltip, a dashed line into it, and a key in the legend.
func TestPartialBuckets(t *testing.T) {
	labels := []string{"2024-01-01", "2024-01-08", "2024-01-15"}
	partial := []string{"partial week: 3 of 7 days in the range", "", "partial week: 2 of 7 days in the range"}
	bars := Chart{Kind: Bars, Labels: labels, Series: []Series{{Values: []*float64{f(1), f(5), f(2)}}}, Partial: partial, PartialKey: "partial week"}
	els := parse(t, string(bars.SVG()))
	var classes []string
	for _, r := range els["rect"] {
		classes = append(classes, attr(r, "class"))
	}
	if strings.Join(classes, "|") != "mark s0 partial|mark s0|mark s0 partial" {
		t.Errorf("bar classes %q", classes)
	}
	want := []string{"2024-01-01: 1 (partial week: 3 of 7 days in the range)", "2024-01-08: 5", "2024-01-15: 2 (partial week: 2 of 7 days in the range)"}
	if got := titles(els); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tooltips %q, want %q", got, want)
	}
	legend := parse(t, string(bars.Legend()))["li"]
	if len(legend) != 1 || text(legend[0]) != "partial week" || attr(legend[0].FirstChild, "class") != "swatch partial" {
		t.Errorf("the legend does not explain partial buckets: %s", bars.Legend())
	}

	lines := Chart{Kind: Lines, Labels: labels, Series: []Series{{Values: []*float64{f(1), f(5), f(2)}}}, Partial: partial}
	els = parse(t, string(lines.SVG()))
	var paths []string
	for _, p := range els["path"] {
		paths = append(paths, attr(p, "class")+": "+attr(p, "d"))
	}
	if len(paths) != 1 || !strings.HasPrefix(paths[0], "line s0 partial: M") || strings.Count(paths[0], "M") != 1 || strings.Count(paths[0], "L") != 2 {
		t.Errorf("both segments reach a partial week, so one dashed polyline: %q", paths)
	}
	if c := attr(els["circle"][1], "class"); c != "dot s0" {
		t.Errorf("the whole week's dot has class %q", c)
	}

	whole := Chart{Kind: Bars, Labels: labels, Series: []Series{{Values: []*float64{f(1), f(5), f(2)}}}, Partial: []string{"", "", ""}, PartialKey: "partial week"}
	if strings.Contains(string(whole.SVG()), "partial") || whole.Legend() != "" {
		t.Error("whole buckets are marked partial")
	}
}

func TestJoinSegments(t *testing.T) {
	for in, want := range map[string]string{
		" M1 1 L2 2 M2 2 L3 1":           "M1 1 L2 2 L3 1",
		" M1 1 L2 2 M5 5 L6 6":           "M1 1 L2 2 M5 5 L6 6",
		" M1 1 L2 2 M2 2 L3 1 M7 7 L8 8": "M1 1 L2 2 L3 1 M7 7 L8 8",
	} {
		if got := joinSegments(in); got != want {
			t.Errorf("joinSegments(%q) = %q, want %q", in, got, want)
		}
	}
}

// A real 0 is a thin bar on the axis; a missing value is nothing, or, when
// the chart says what it means, a small dashed mark with that tooltip.
func TestZeroAndMissingBars(t *testing.T) {
	labels := []string{"2024-01-01", "2024-01-08", "2024-01-15"}
	values := []*float64{f(50), f(0), nil}
	bottom := float64(marginTop + plotH)
	for _, noValue := range []string{"", "no deployments"} {
		c := Chart{Kind: Bars, Labels: labels, Series: []Series{{Name: "failure rate", Values: values}},
			Format: func(v float64) string { return FormatNumber(v) + "%" }, NoValue: noValue}
		rects := parse(t, string(c.SVG()))["rect"]
		want := 2
		if noValue != "" {
			want = 3
		}
		if len(rects) != want {
			t.Fatalf("NoValue %q: %d bars, want %d", noValue, len(rects), want)
		}
		zero := rects[1]
		if attr(zero, "class") != "mark s0 zero" || attr(zero, "height") != "3" || attr(zero, "y") != FormatNumber(bottom-3) ||
			attr(zero, "data-tip") != "2024-01-08 · failure rate: 0%" {
			t.Errorf("the 0 bar: class %q, height %s, y %s, tip %q", attr(zero, "class"), attr(zero, "height"), attr(zero, "y"), attr(zero, "data-tip"))
		}
		if noValue == "" {
			continue
		}
		none := rects[2]
		if attr(none, "class") != "mark s0 none" || attr(none, "data-tip") != "2024-01-15 · failure rate: no deployments" {
			t.Errorf("the missing value's mark: class %q, tip %q", attr(none, "class"), attr(none, "data-tip"))
		}
		legend := parse(t, string(c.Legend()))["li"]
		if len(legend) != 1 || text(legend[0]) != "no deployments" || attr(legend[0].FirstChild, "class") != "swatch none" {
			t.Errorf("the legend does not explain the no-data mark: %s", c.Legend())
		}
	}
	// A chart with no value at all says so once, with no marks.
	empty := Chart{Kind: Bars, Labels: labels, Series: []Series{{Values: []*float64{nil, nil, nil}}}, NoValue: "no deployments"}
	if n := len(parse(t, string(empty.SVG()))["rect"]); n != 0 {
		t.Errorf("an empty chart draws %d no-data marks", n)
	}
}

// A chart is one tab stop: its first mark has tabindex 0, the others -1
// (the arrow keys move between them), and every mark is a named image.
func TestMarksAreFocusable(t *testing.T) {
	labels := []string{"a", "b", "c"}
	for _, c := range []Chart{
		{Kind: Bars, Labels: labels, Series: []Series{{Values: []*float64{f(1), nil, f(3)}}, {Values: []*float64{f(2), f(2), f(2)}}}},
		{Kind: Lines, Labels: labels, Series: []Series{{Values: []*float64{f(1), f(2), f(3)}}}},
	} {
		els := parse(t, string(c.SVG()))
		if attr(els["svg"][0], "role") != "group" {
			t.Errorf("kind %d: the chart's role is %q, want group", c.Kind, attr(els["svg"][0], "role"))
		}
		var tabs []string
		for _, n := range append(els["rect"], els["circle"]...) {
			tabs = append(tabs, attr(n, "tabindex"))
			if attr(n, "role") != "img" || attr(n, "data-tip") == "" {
				t.Errorf("kind %d: mark without role or tooltip", c.Kind)
			}
		}
		want := "0" + strings.Repeat(",-1", len(tabs)-1)
		if strings.Join(tabs, ",") != want {
			t.Errorf("kind %d: tabindexes %s, want %s", c.Kind, strings.Join(tabs, ","), want)
		}
	}
}
