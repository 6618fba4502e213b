package web

import (
	"net/http"
	"strconv"
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
