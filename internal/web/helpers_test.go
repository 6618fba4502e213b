package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/demo"
	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// testNow is "now" for every test: the demo dataset ends the day before.
var testNow = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// testConfig is a configuration with the default derive settings and no
// sources.
func testConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// loadDemo fills st with a small demo dataset and derives its facts.
func loadDemo(t testing.TB, st *store.Store, cfg *config.Config, prs int) {
	t.Helper()
	ctx := context.Background()
	_, err := demo.Load(ctx, st, demo.Options{PRs: prs, Seed: 7, Now: fixedNow, Log: quietLog(),
		Derive: func(ctx context.Context) error {
			_, err := derive.New(st, derive.OptionsFrom(cfg), quietLog()).Run(ctx, derive.Full)
			return err
		}})
	if err != nil {
		t.Fatalf("loading the demo: %v", err)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// site is a running server: the JSON API and the pages.
type site struct {
	*httptest.Server
	pages *Pages
}

func newSite(t testing.TB, st *store.Store, cfg *config.Config, eng *syncer.Engine) *site {
	t.Helper()
	pages := New(Options{Store: st, Config: cfg, Sync: eng, Log: quietLog(), Now: fixedNow})
	h := server.Handler(server.Options{
		API:   api.New(api.Deps{Store: st, Config: cfg, Log: quietLog(), Sync: eng, Now: fixedNow}),
		Pages: pages, Log: quietLog(), Version: "test",
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &site{Server: srv, pages: pages}
}

// response is a fetched page.
type response struct {
	status int
	header http.Header
	body   string
	doc    *html.Node
}

// get fetches path as a browser would.
func (s *site) get(t testing.TB, path string) *response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &response{status: res.StatusCode, header: res.Header, body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if out.doc, err = html.Parse(strings.NewReader(out.body)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return out
}

// page fetches path and fails unless it is an HTML page with status want.
func (s *site) page(t testing.TB, path string, want int) *response {
	t.Helper()
	r := s.get(t, path)
	if r.status != want {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, r.status, want, text(find(r.doc, sel("main"))))
	}
	if r.doc == nil {
		t.Fatalf("GET %s: not HTML (%s)", path, r.header.Get("Content-Type"))
	}
	return r
}

// HTML queries: a tiny matcher over golang.org/x/net/html trees.

type matcher func(*html.Node) bool

// sel matches an element by tag, with optional "#id", ".class" and
// "[attr=value]" / "[attr]" parts: sel("a", ".kpi"), sel("section", "#lead-time").
func sel(tag string, parts ...string) matcher {
	return func(n *html.Node) bool {
		if n.Type != html.ElementNode || (tag != "" && n.Data != tag) {
			return false
		}
		for _, p := range parts {
			switch {
			case strings.HasPrefix(p, "#"):
				if attr(n, "id") != p[1:] {
					return false
				}
			case strings.HasPrefix(p, "."):
				if !hasClass(n, p[1:]) {
					return false
				}
			case strings.HasPrefix(p, "["):
				k, v, hasV := strings.Cut(strings.Trim(p, "[]"), "=")
				val, ok := attrOK(n, k)
				if !ok || hasV && val != v {
					return false
				}
			}
		}
		return true
	}
}

func attrOK(n *html.Node, name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, name string) string { v, _ := attrOK(n, name); return v }

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// findAll returns the descendants of n that m matches, in document order.
func findAll(n *html.Node, m matcher) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if m(c) {
				out = append(out, c)
			}
			walk(c)
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

// find returns the first match, or nil.
func find(n *html.Node, m matcher) *html.Node {
	if all := findAll(n, m); len(all) > 0 {
		return all[0]
	}
	return nil
}

// text is n's text content with runs of white space collapsed.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// tableData returns a table's header cells and its body rows as text.
func tableData(tbl *html.Node) (head []string, rows [][]string) {
	for _, th := range findAll(find(tbl, sel("thead")), sel("th")) {
		head = append(head, text(th))
	}
	for _, tr := range findAll(find(tbl, sel("tbody")), sel("tr")) {
		var row []string
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
				row = append(row, text(c))
			}
		}
		rows = append(rows, row)
	}
	return head, rows
}
