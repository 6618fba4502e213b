package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// Text from GitHub and Linear is shown as text: a PR titled with a script
// tag renders as those characters, never as an element.
func TestTextFromSourcesIsEscaped(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	repo := b.Repo("acme/web")
	const title = `<script>alert(1)</script>`
	const author = `"><img src=x onerror=alert(2)>`
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	b.Deployment(repo, "d0", at(1, 9), "sha0")
	b.PullRequest(repo, scenario.PR{Title: title, Author: author, Head: `x"><svg onload=alert(3)>`, Created: at(10, 9),
		Merged: scenario.Ptr(at(10, 12)), Commits: []time.Time{at(10, 8)}})
	b.Deployment(repo, "d1", at(10, 15), "sha1")
	b.Incident(repo, "i1", at(11, 9), scenario.Ptr(at(11, 10)))
	b.DeriveFull()
	if _, err := st.DB().Exec(`UPDATE incidents SET title = $1`, `<b onmouseover=alert(4)>down</b>`); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, st, testConfig(t), nil)
	const rng = "start_date=2026-03-01&end_date=2026-03-19"
	for _, path := range []string{"/pull-requests?" + rng, "/deployments?" + rng, "/incidents?" + rng, "/dashboard?" + rng + "&author=" + url.QueryEscape(author)} {
		r := s.page(t, path, http.StatusOK)
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		for _, el := range []string{"img", "b", "svg"} {
			for _, n := range findAll(find(r.doc, sel("main")), sel(el)) {
				if el != "svg" || !hasClass(n, "chart") {
					t.Errorf("%s: text from GitHub became a <%s> element", path, el)
				}
			}
		}
		for _, sc := range findAll(r.doc, sel("script")) {
			if !strings.HasPrefix(attr(sc, "src"), "/static/") {
				t.Errorf("%s: a script element that is not the app's", path)
			}
		}
		for _, n := range findAll(r.doc, sel("")) {
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: event handler attribute %s on <%s>", path, a.Key, n.Data)
				}
			}
		}
	}
	r := s.page(t, "/pull-requests?"+rng, http.StatusOK)
	_, rows := tableData(find(r.doc, sel("table", "#table-pull-requests")))
	if len(rows) != 1 || !strings.HasPrefix(rows[0][0], "#") || !strings.HasSuffix(rows[0][0], " "+title) || rows[0][2] != author {
		t.Errorf("the PR row does not show its title and author as text: %q", rows)
	}
	r = s.page(t, "/deployments?"+rng, http.StatusOK)
	if li := text(find(r.doc, sel("ul", ".shipped"))); !strings.Contains(li, title) {
		t.Errorf("the deployment does not list the PR by its title: %q", li)
	}
	if li := text(find(r.doc, sel("ul", ".incidents"))); li != "<b onmouseover=alert(4)>down</b>" {
		t.Errorf("the deployment's incident reads %q", li)
	}
	res, err := s.Client().Get(s.URL + "/pull-requests?" + rng + "&format=csv&table=pull-requests")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	recs, err := csv.NewReader(res.Body).ReadAll()
	if err != nil || len(recs) != 2 || !slices.Contains(recs[1], author) {
		t.Errorf("CSV: %q %v", recs, err)
	}
}
