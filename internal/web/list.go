package web

import (
	"net/http"
	"strconv"
)

// pageSize is the number of rows on a page of a list.
const pageSize = 50

// pager links the pages of a list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
	// Last links to the last page when Page is past it.
	Last string
}

func newPager(r *http.Request, page, total int) *pager {
	pg := &pager{Page: page, Total: total, Pages: max((total+pageSize-1)/pageSize, 1)}
	switch {
	case page > pg.Pages:
		pg.Last = withParams(r, "page", pageValue(pg.Pages))
		pg.Prev = pg.Last
	case page > 1:
		pg.Prev = withParams(r, "page", pageValue(page-1))
	}
	if page < pg.Pages {
		pg.Next = withParams(r, "page", pageValue(page+1))
	}
	return pg
}

// pageValue is the page parameter for page n: none for the first.
func pageValue(n int) string {
	if n <= 1 {
		return ""
	}
	return strconv.Itoa(n)
}

// pageParam reads the page number; ok is false for a bad value.
func pageParam(r *http.Request) (int, bool) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}

// listBody is a page that lists records in a table.
type listBody struct {
	Range   string
	Summary string
	Table   Panel
	Pager   *pager
	// Extra is page-specific (the deployments' shipped PRs).
	Extra any
}
