package api

import (
	"net/http"
	"strconv"

	"github.com/veelocity/veelocity/internal/store"
)

// Pagination defaults for list endpoints.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// pageParams describes page and limit for OpenAPI.
var pageParams = []Param{
	{Name: "page", Type: "integer", Description: "page number, from 1 (default 1)"},
	{Name: "limit", Type: "integer", Description: "page size, 1 to 100 (default 20)"},
}

// parsePage reads page and limit, rejecting values out of range.
func parsePage(r *http.Request) (store.Page, error) {
	p := store.Page{Page: 1, Limit: DefaultLimit}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, BadRequest("page", "must be a whole number from 1")
		}
		p.Page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, BadRequest("limit", "must be a whole number from 1 to %d", MaxLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// ListResponse is the envelope of every paginated list.
type ListResponse[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Page  int `json:"page"`
	Limit int `json:"limit"`
	Pages int `json:"pages"`
}

// NewList wraps one page of items.
func NewList[T any](items []T, total int, p store.Page) ListResponse[T] {
	if items == nil {
		items = []T{}
	}
	pages := (total + p.Limit - 1) / p.Limit
	return ListResponse[T]{Items: items, Total: total, Page: p.Page, Limit: p.Limit, Pages: pages}
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, BadRequest(name, "must be a positive whole number")
	}
	return id, nil
}
