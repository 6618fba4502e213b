package web

import (
	"net/http"
	"net/url"

	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/demo"
)

// page is what every page template receives: the layout's parts and the
// page's own Body.
type page struct {
	Title   string
	Nav     []navItem
	Filters *filterView // nil: the page has no filter bar
	// Error is a message about the request (a bad filter value) shown
	// instead of the page's content.
	Error  string
	status int
	Demo   bool
	// Setup says what to do when the database holds no data yet.
	Setup *notice
	Body  any
	// User is who is signed in; nil with AUTH_MODE=none.
	User *auth.User
}

type navItem struct {
	Label, URL string
	Current    bool
}

// notice is an empty state: what is missing and what to do about it.
type notice struct {
	Title string
	Lines []string
	// Commands are shell commands to run, shown as code.
	Commands []string
}

// filterParams are the query parameters that follow the user from page to
// page.
var filterParams = []string{"start_date", "end_date", "period", "repo", "repo_id", "author"}

// carry returns the filter parameters of v as a query string.
func carry(v url.Values) string {
	out := url.Values{}
	for _, k := range filterParams {
		if s := v.Get(k); s != "" {
			out.Set(k, s)
		}
	}
	return out.Encode()
}

// fillLayout sets the navigation, the demo banner and the setup notice.
// Over an empty database it also drops the page's messages about an empty
// range (dropEmptyMessages): the setup notice says why there is nothing.
func (p *Pages) fillLayout(r *http.Request, pg *page) error {
	pg.User = auth.UserFrom(r.Context())
	qs := carry(r.URL.Query())
	for _, rt := range p.routes() {
		u := rt.path
		if qs != "" {
			u += "?" + qs
		}
		pg.Nav = append(pg.Nav, navItem{Label: rt.label, URL: u, Current: r.URL.Path == rt.path || r.URL.Path == "/" && rt.path == "/dashboard"})
	}
	if pg.status >= 500 {
		return nil // the database may be what failed
	}
	ctx := r.Context()
	_, isDemo, err := demo.ReadMarker(ctx, p.st)
	if err != nil && !isDemo {
		return err
	}
	pg.Demo = isDemo
	if pg.status == http.StatusNotFound {
		return nil
	}
	st, err := p.sourceState(ctx)
	if err != nil {
		return err
	}
	pg.Setup = st.setupNotice()
	if !st.HasData {
		pg.dropEmptyMessages()
	}
	return nil
}

// dropEmptyMessages removes what the body says about a range with no data
// (the dashboard's "Nothing happened" and its charts, each panel's "No
// deployments…"), which over an empty database would pile up under the
// setup notice and suggest trying another range.
func (pg *page) dropEmptyMessages() {
	switch b := pg.Body.(type) {
	case *dashboardBody:
		b.Quiet, b.Charts = false, nil
	case *chartsBody:
		for i := range b.Panels {
			b.Panels[i].Empty = ""
		}
	case *listBody:
		b.Table.Empty = ""
	}
}
