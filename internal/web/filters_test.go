package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/store/storetest"
)

// Each page shows the filters it applies and no others; a filter it does
// not apply is kept in a hidden field, so it still follows the user.
func TestPagesShowTheFiltersTheyUse(t *testing.T) {
	st := storetest.New(t)
	cfg := testConfig(t)
	loadDemo(t, st, cfg, 50)
	s := newSite(t, st, cfg, nil)
	tests := []struct {
		path           string
		author, period bool
		hint           string
	}{
		{"/dashboard", true, true, "PR metrics only"},
		{"/dora", true, true, "lead time only"},
		{"/development", true, true, ""},
		{"/pull-requests", true, false, ""},
		{"/deployments", false, false, ""},
		{"/incidents", false, false, ""},
	}
	for _, tt := range tests {
		r := s.page(t, tt.path+"?author=mona&period=month", http.StatusOK)
		form := find(r.doc, sel("form", ".filters"))
		author := find(form, sel("input", "[name=author]"))
		period := find(form, sel("", "[name=period]"))
		if shown := author != nil && attr(author, "type") != "hidden"; shown != tt.author {
			t.Errorf("%s: author field shown %v, want %v", tt.path, shown, tt.author)
		}
		if shown := period != nil && period.Data == "select"; shown != tt.period {
			t.Errorf("%s: period field shown %v, want %v", tt.path, shown, tt.period)
		}
		periodValue := attr(period, "value")
		if period != nil && period.Data == "select" {
			periodValue = text(find(period, sel("option", "[selected]")))
		}
		if attr(author, "value") != "mona" || periodValue != "month" {
			t.Errorf("%s: the author or period is not kept (author %q, period %q)", tt.path, attr(author, "value"), periodValue)
		}
		switch hint := find(form, sel("", "#author-hint")); {
		case tt.hint == "" && hint != nil:
			t.Errorf("%s: an author hint %q where the author filters everything", tt.path, text(hint))
		case tt.hint != "" && (text(hint) != "("+tt.hint+")" || attr(author, "aria-describedby") != "author-hint"):
			t.Errorf("%s: author hint %q, want (%s), tied to the field", tt.path, text(hint), tt.hint)
		}
	}

	// With an author chosen, the metrics it does not narrow say so.
	r := s.page(t, "/dashboard?author=mona", http.StatusOK)
	for _, c := range findAll(r.doc, sel("a", ".kpi")) {
		name, detail := attr(c, "data-kpi"), text(find(c, sel("span", ".kpi-detail")))
		everyone := name == "Deployment frequency" || name == "Change failure rate" || name == "Recovery time" || name == "Rework rate"
		if strings.HasSuffix(detail, "· all authors") != everyone {
			t.Errorf("card %s reads %q", name, detail)
		}
	}
	r = s.page(t, "/dora?author=mona", http.StatusOK)
	for _, id := range []string{"deployment-frequency", "change-failure-rate", "recovery-time", "rework-rate"} {
		if help := text(find(find(r.doc, sel("section", "#"+id)), sel("p", ".help"))); !strings.Contains(help, "author filter does not apply") {
			t.Errorf("%s: help %q", id, help)
		}
	}
	if help := text(find(find(r.doc, sel("section", "#lead-time")), sel("p", ".help"))); strings.Contains(help, "author") {
		t.Errorf("lead time, which the author narrows, says %q", help)
	}
	r = s.page(t, "/dora", http.StatusOK)
	if strings.Contains(text(find(r.doc, sel("main"))), "author filter does not apply") {
		t.Error("the note shows with no author chosen")
	}
}
