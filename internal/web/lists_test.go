package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// More incidents than a page holds: the second page and its CSV.
func TestIncidentsLaterPage(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	repo := b.Repo("acme/web")
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range pageSize + 10 {
		opened := start.Add(time.Duration(i) * 13 * time.Hour)
		b.Incident(repo, "incident "+strconv.Itoa(i), opened, scenario.Ptr(opened.Add(3*time.Hour)))
	}
	b.DeriveFull()
	s := newSite(t, st, testConfig(t), nil)
	checkLaterPageCSV(t, s, "start_date=2026-01-01&end_date=2026-03-19", "incidents")
	r := s.page(t, "/incidents?start_date=2026-01-01&end_date=2026-03-19&page=2", http.StatusOK)
	if _, rows := tableData(find(r.doc, sel("table", "#table-incidents"))); len(rows) != 10 {
		t.Errorf("page 2 shows %d incidents, want 10", len(rows))
	}
}

// A page past the end of a list says so and links to the last page.
func TestPagePastTheEnd(t *testing.T) {
	st := storetest.New(t)
	cfg := testConfig(t)
	loadDemo(t, st, cfg, demoPRs)
	s := newSite(t, st, cfg, nil)
	const rng = "start_date=2025-03-20&end_date=2026-03-19"
	for _, list := range []string{"pull-requests", "deployments", "incidents"} {
		first := s.page(t, "/"+list+"?"+rng, http.StatusOK)
		if find(first.doc, sel("p", "#past-end")) != nil {
			t.Errorf("%s: page 1 says it is past the end", list)
		}
		pages := strings.Fields(strings.TrimPrefix(text(find(first.doc, sel("nav", ".pager"))), "Page 1 of "))[0]
		r := s.page(t, "/"+list+"?"+rng+"&page=99999", http.StatusOK)
		msg := find(r.doc, sel("p", "#past-end"))
		last := find(msg, sel("a"))
		wantText := "Page 99999 is past the end of this list, which has " + pages + " pages. Go to the last page, page " + pages + "."
		if pages == "1" {
			wantText = "Page 99999 is past the end of this list, which has one page. Go to the first page."
		}
		if text(msg) != wantText {
			t.Errorf("%s: %q, want %q", list, text(msg), wantText)
			continue
		}
		if prev := find(r.doc, sel("a", "[rel=prev]")); attr(prev, "href") != attr(last, "href") {
			t.Errorf("%s: Previous goes to %s, not the last page", list, attr(prev, "href"))
		}
		lastPage := s.page(t, attr(last, "href"), http.StatusOK)
		if _, rows := tableData(find(lastPage.doc, sel("table", "#table-"+list))); len(rows) == 0 || find(lastPage.doc, sel("a", "[rel=next]")) != nil {
			t.Errorf("%s: the link goes to a page with %d rows that is not the last", list, len(rows))
		}
	}
}
