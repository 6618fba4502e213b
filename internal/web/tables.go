package web

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"regexp"
	"strings"

	"github.com/veelocity/veelocity/internal/web/chart"
)

// Table is data as the page shows it: in a <table>, under a chart, and as
// the CSV download, which holds exactly the same cells.
type Table struct {
	ID      string
	Caption string
	Columns []Column
	Rows    [][]Cell
}

// Column is a table heading; a sortable column links to its sort.
type Column struct {
	Name    string
	Num     bool
	SortURL string
	// Sorted is "ascending" or "descending" for the column the rows are
	// sorted by (aria-sort).
	Sorted string
}

// Cell is one value; URL makes it a link.
type Cell struct {
	Text string
	URL  string
}

// tableCell is a cell as the table template writes it: the first of its
// row is the row's heading, and Num right-aligns a number. Its fields are
// its own, not an embedded Cell's: the template reaches a promoted field
// through a reflective search that allocates on every cell, 5% of what
// serve allocated under load.
type tableCell struct {
	Text, URL string
	Head, Num bool
}

// Body returns the rows with what the "table" template needs of each
// cell's column, so that it does not look the column up cell by cell. The
// pages write their tables with Table.HTML; the template is its reference.
func (t *Table) Body() [][]tableCell {
	out := make([][]tableCell, len(t.Rows))
	for i, row := range t.Rows {
		cells := make([]tableCell, len(row))
		for j, c := range row {
			cells[j] = tableCell{Text: c.Text, URL: c.URL, Head: j == 0, Num: j > 0 && j < len(t.Columns) && t.Columns[j].Num}
		}
		out[i] = cells
	}
	return out
}

// Panel is a chart (optional) with its table, a headline and the CSV link.
type Panel struct {
	Title string
	// Headline summarises the range ("median 12.3 h · 45 PRs").
	Headline string
	Tier     string
	Help     string
	Chart    template.HTML
	// Legend is the chart's key (its series, partial buckets, missing
	// values), HTML beside the SVG.
	Legend template.HTML
	Table  *Table
	CSV    string
	// Empty explains a range with no data for this panel.
	Empty string
	// Wide panels span the whole grid.
	Wide bool
}

// newPanel draws c from t and sets the CSV link: the page's own URL,
// page number included, so the download holds exactly the rows shown.
func newPanel(r *http.Request, title string, c *chart.Chart, t *Table) Panel {
	pn := Panel{Title: title, Table: t, CSV: withParams(r, "format", "csv", "table", t.ID)}
	if c != nil {
		if c.Title == "" {
			c.Title = title
		}
		pn.Chart, pn.Legend = c.SVG(), c.Legend()
	}
	return pn
}

// wantsCSV reports whether the request asks for a table as CSV.
func wantsCSV(r *http.Request) bool { return r.URL.Query().Get("format") == "csv" }

var unsafeFileChars = regexp.MustCompile(`[^a-z0-9-]+`)

// writeCSV sends the table the request names, from tables, as CSV.
func (p *Pages) writeCSV(w http.ResponseWriter, r *http.Request, tables ...*Table) error {
	id := r.URL.Query().Get("table")
	for _, t := range tables {
		if t == nil || t.ID != id {
			continue
		}
		name := unsafeFileChars.ReplaceAllString(strings.ToLower(t.ID), "-")
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="veelocity-`+name+`.csv"`)
		h.Set("Cache-Control", "no-store")
		cw := csv.NewWriter(w)
		head := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			head[i] = c.Name
		}
		cw.Write(head)
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, c := range row {
				rec[i] = csvSafe(c.Text)
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}
	var names []string
	for _, t := range tables {
		if t != nil {
			names = append(names, t.ID)
		}
	}
	http.Error(w, "unknown table "+strings.TrimSpace(id)+"; this page has: "+strings.Join(names, ", "), http.StatusNotFound)
	return nil
}

// csvSafe keeps a spreadsheet from reading text from GitHub (a PR title
// starting with "=") as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && !numeric(s) {
		return "'" + s
	}
	return s
}

var numberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func numeric(s string) bool { return numberRE.MatchString(s) }
