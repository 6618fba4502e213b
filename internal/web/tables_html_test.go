package web

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// TestTableHTMLEqualsTemplate: Table.HTML gives the "table" template's
// bytes, escaping included: texts and attributes with every character
// html/template escapes, URLs of every scheme, with characters to encode,
// percent escapes valid and not, numeric and sorted columns, rows shorter
// and longer than the columns, no rows; and random URLs and texts.
func TestTableHTMLEqualsTemplate(t *testing.T) {
	odd := "a<b> & \"c\" 'd' +e\x00 é\t"
	urls := []string{"", "https://github.com/acme/api/pull/7", "/pull-requests?sort=merged&order=desc&start_date=2026-01-01",
		"javascript:alert(1)", "JavaScript:x", "mailto:a@b.c", "HTTP://X", "data:text/html,x", "foo/bar:baz", "?a=b+c",
		"https://x/a b\"c'd<e>", "%zz%4A%4", "https://x/é?q=ü#frag", "//host/p", "#top", "a:b", ":x", odd}
	var tables []*Table
	tables = append(tables, &Table{ID: "empty", Caption: "Nothing"})
	tables = append(tables, &Table{ID: "t " + odd, Caption: odd,
		Columns: []Column{{Name: "Name " + odd}, {Name: "N", Num: true, SortURL: "/x?sort=n&order=asc", Sorted: "ascending"},
			{Name: "S", Sorted: odd, SortURL: "javascript:bad"}, {Name: "Last"}},
		Rows: [][]Cell{{{Text: "row " + odd, URL: urls[1]}, {Text: "12.5"}, {Text: odd, URL: urls[3]}, {Text: ""}},
			{{Text: "short"}},
			{{Text: "long"}, {Text: "1"}, {Text: "2"}, {Text: "3"}, {Text: "4", URL: urls[2]}}}})
	rows := make([][]Cell, len(urls))
	for i, u := range urls {
		rows[i] = []Cell{{Text: u, URL: u}, {Text: "x", URL: u}}
	}
	tables = append(tables, &Table{ID: "urls", Columns: []Column{{Name: "u"}, {Name: "n", Num: true}}, Rows: rows})
	rng := rand.New(rand.NewPCG(3, 5))
	for range 20 {
		rt := &Table{ID: randomText(rng), Caption: randomText(rng), Columns: []Column{{Name: randomText(rng), SortURL: randomText(rng)}, {Name: "v", Num: true}}}
		for range 10 {
			rt.Rows = append(rt.Rows, []Cell{{Text: randomText(rng), URL: randomText(rng)}, {Text: randomText(rng), URL: randomText(rng)}})
		}
		tables = append(tables, rt)
	}
	for _, tb := range tables {
		var want bytes.Buffer
		if err := parsed.set.ExecuteTemplate(&want, "table", tb); err != nil {
			t.Fatal(err)
		}
		if got := string(tb.HTML()); got != want.String() {
			t.Errorf("table %q:\n got %s\nwant %s", tb.ID, got, want.String())
		}
	}
}

// randomText is a short string of bytes a URL or a text may hold,
// special ones often.
func randomText(rng *rand.Rand) string {
	const pool = "aZ09-._~!#$&'()*+,/:;=?@[]%\"<> \x00\t\x7fé" + "http:https:javascript:mailto:"
	b := make([]byte, rng.IntN(24))
	for i := range b {
		b[i] = pool[rng.IntN(len(pool))]
	}
	return string(b)
}

// TestDeploymentRowsEqualTemplate: deploymentRowsHTML gives the
// "deployment-rows" template's bytes for deployments failed, rework, both
// and neither, with and without a URL, PRs (with and without an author),
// more PRs than listed, incidents with and without a URL, and texts and
// URLs that need escaping.
func TestDeploymentRowsEqualTemplate(t *testing.T) {
	odd := "a<b> & \"c\" 'd' +e\x00 é"
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	rng := rand.New(rand.NewPCG(5, 8))
	var views []deploymentView
	for i := range 24 {
		d := store.DeploymentItem{Deployment: model.Deployment{Repo: "acme/" + odd, Environment: odd, DeployedAt: at.Add(time.Duration(i) * time.Hour),
			Failed: i%2 == 1, IsRework: i%4 >= 2}}
		if i%3 != 0 {
			d.URL = []string{"https://github.com/acme/api/actions/runs/1", "javascript:x", randomText(rng)}[i%3]
		}
		for j := range i % 4 {
			pr := store.ShippedPR{Number: 100 + j, Title: odd + randomText(rng), URL: randomText(rng)}
			if j%2 == 0 {
				pr.Author = "bob" + odd
			}
			d.PRs = append(d.PRs, pr)
		}
		for j := range i % 3 {
			in := model.Incident{Title: "outage " + odd}
			if j == 0 {
				in.URL = "https://acme.pagerduty.com/incidents/" + randomText(rng)
			}
			d.Incidents = append(d.Incidents, in)
		}
		views = append(views, deploymentView{DeploymentItem: d, Commit: randomText(rng), More: []int{0, 3, -1}[i%3]})
	}
	for _, vs := range [][]deploymentView{nil, views[:1], views} {
		var want bytes.Buffer
		if err := parsed.set.ExecuteTemplate(&want, "deployment-rows", vs); err != nil {
			t.Fatal(err)
		}
		if got := string(deploymentRowsHTML(vs)); got != want.String() {
			t.Errorf("%d deployments:\n got %s\nwant %s", len(vs), got, want.String())
		}
	}
}
