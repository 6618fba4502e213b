package github

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
)

// growAfter is how many pages in a row must succeed at a reduced size
// before the size doubles again.
const growAfter = 4

// pageSizes remembers, per GraphQL operation, the largest page size GitHub
// currently answers in time. A timeout halves it, down to 1; a run of
// successes doubles it back, up to what the caller asks for. All workers
// of a sync share it, so one timeout spares the others the same failure.
type pageSizes struct {
	mu    sync.Mutex
	limit map[string]int // operation → current cap; absent: no cap
	ok    map[string]int // operation → successes in a row at the cap

	reductions atomic.Int64
	retries    atomic.Int64
}

func newPageSizes() *pageSizes { return &pageSizes{limit: map[string]int{}, ok: map[string]int{}} }

// size is the page size to ask for when the caller wants want.
func (p *pageSizes) size(op string, want int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l, ok := p.limit[op]; ok && l < want {
		return l
	}
	return want
}

// shrink halves op's cap below the size that timed out; it reports false
// when that size was already 1.
func (p *pageSizes) shrink(op string, failed int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ok[op] = 0
	if failed <= 1 {
		p.limit[op] = 1
		return false
	}
	if l, ok := p.limit[op]; !ok || failed/2 < l {
		p.limit[op] = failed / 2
	}
	return true
}

// succeeded records a page of size n answered in time, doubling op's cap
// after growAfter of them in a row.
func (p *pageSizes) succeeded(op string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limit[op]
	if !ok || n < l {
		return
	}
	if p.ok[op]++; p.ok[op] >= growAfter {
		p.limit[op] = 2 * l
		p.ok[op] = 0
	}
}

// QueryPage runs a GraphQL page query like Query, with the page size in
// the Int variable sizeVar (the size the caller wants). When GitHub fails
// the page the way it fails a query too heavy for its load (502, 504, a
// timeout, or "Something went wrong while executing your query"), it asks
// again with half the page size, down to 1, after the usual backoff; the
// size grows back after successes. It returns the page size used, which
// the caller needs only for its own bookkeeping.
func (c *Client) QueryPage(ctx context.Context, query, sizeVar string, vars map[string]any, v any) (int, error) {
	want, ok := vars[sizeVar].(int)
	if !ok || want < 1 {
		return 0, fmt.Errorf("github: QueryPage: variable $%s must be a positive int", sizeVar)
	}
	op := operationName(query)
	vars = maps.Clone(vars)
	atOne := 0
	for n := 0; ; n++ {
		size := c.pages.size(op, want)
		vars[sizeVar] = size
		err := c.query(ctx, query, vars, v, true)
		var te *timeoutError
		if !errors.As(err, &te) {
			if err == nil {
				c.pages.succeeded(op, size)
			}
			return size, err
		}
		if c.pages.shrink(op, size) {
			c.pages.reductions.Add(1)
		} else if atOne++; atOne > c.opts.MaxRetries {
			return size, te.err
		}
		c.pages.retries.Add(1)
		wait := c.opts.Backoff(n)
		c.opts.Log.Warn("GitHub timed out on a GraphQL page; asking for a smaller one", "operation", op,
			"page_size", size, "next_page_size", c.pages.size(op, want), "wait", wait, "detail", te.Error())
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return size, err
		}
	}
}

// operationName returns the name of a query document's operation, for
// logs and per-operation state: "SyncPage" for "query SyncPage(…) {…}".
func operationName(query string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(query), "query")
	if !ok {
		return "query"
	}
	rest = strings.TrimSpace(rest)
	if i := strings.IndexAny(rest, "({ \t\n"); i > 0 {
		return rest[:i]
	}
	return "query"
}
