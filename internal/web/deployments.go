package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/metrics"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/web/chart"
)

// deploymentView is a deployment with what it shipped and what it broke.
type deploymentView struct {
	store.DeploymentItem
	Commit string
	// More is the number of shipped PRs not listed.
	More int
}

// shippedShown bounds the PRs the page lists per deployment (a deployment
// can ship hundreds); the CSV lists them all.
const shippedShown = 10

func (p *Pages) deployments(w http.ResponseWriter, r *http.Request) error {
	pg := &page{Title: "Deployments"}
	q, ok, err := p.parseFilters(r, pg, deploymentFilters)
	if err != nil {
		return err
	}
	if !ok {
		return p.render(w, r, pg.status, "deployments", pg)
	}
	page, pageOK := pageParam(r)
	if !pageOK {
		pg.Error = "Invalid page: it must be a whole number from 1."
		return p.render(w, r, http.StatusBadRequest, "deployments", pg)
	}
	f := store.DeploymentFilter{RepoID: q.RepoID, Deployed: store.TimeSpan{From: q.Start, Until: q.End}, Environment: q.Environment}
	if q.Team != nil {
		f.TeamRepoIDs = q.Team.RepoIDs
	}
	if !wantsCSV(r) {
		f.MaxPRs = shippedShown
	}
	type answer struct {
		items []store.DeploymentItem
		total int
	}
	a, err := metrics.Remember(r.Context(), p.metrics, "deployment-list", fmt.Sprintf("%+v|%t|%d", f, f.TeamRepoIDs == nil, page), func() (answer, error) {
		items, total, err := p.st.DeploymentList(r.Context(), f, store.Page{Page: page, Limit: pageSize})
		return answer{items, total}, err
	})
	if err != nil {
		return err
	}
	items, total := a.items, a.total
	t := &Table{ID: "deployments", Caption: "Deployments from " + rangeText(q) + ", newest first, with the pull requests each shipped and the incidents attributed to it",
		Columns: []Column{{Name: "Deployed (UTC)"}, {Name: "Repository"}, {Name: "Environment"}, {Name: "Commit"},
			{Name: "Pull requests shipped"}, {Name: "Incidents"}, {Name: "Outcome"}}}
	views := make([]deploymentView, len(items))
	for i, d := range items {
		views[i] = deploymentView{DeploymentItem: d, Commit: shortSHA(d.HeadSHA), More: d.PRCount - len(d.PRs)}
		var prs, incs []string
		for _, pr := range d.PRs {
			prs = append(prs, "#"+strconv.Itoa(pr.Number)+" "+pr.Title)
		}
		for _, in := range d.Incidents {
			incs = append(incs, in.Title)
		}
		t.Rows = append(t.Rows, []Cell{{Text: d.DeployedAt.UTC().Format("2006-01-02 15:04")}, {Text: d.Repo}, {Text: d.Environment},
			{Text: views[i].Commit, URL: d.URL}, {Text: strings.Join(prs, "; ")}, {Text: strings.Join(incs, "; ")}, {Text: outcome(d)}})
	}
	if wantsCSV(r) {
		return p.writeCSV(w, r, t)
	}
	panel := newPanel(r, "Deployments", nil, t)
	if total == 0 {
		panel.Empty = "No deployments from " + rangeText(q) + ". A deployment is a successful run of a GitHub Actions workflow whose name or file matches DEPLOYMENT_PATTERNS (default deploy,release,publish), a GitHub deployment whose latest status is success, or one recorded with POST /api/v1/deployments."
	}
	pg.Body = &listBody{Range: rangeText(q), Summary: plural(total, "deployment", "deployments"), Table: panel,
		Pager: newPager(r, page, total), Extra: deploymentRowsHTML(views)}
	return p.render(w, r, http.StatusOK, "deployments", pg)
}

// deploymentRowsHTML writes the table rows of the deployments, byte for
// byte as the "deployment-rows" template does (TestDeploymentRowsEqualTemplate):
// a page of 50 deployments, with the PRs each shipped, made hundreds of
// reflective calls through html/template.
func deploymentRowsHTML(views []deploymentView) template.HTML {
	var b []byte
	esc := chart.AppendEscaped
	for _, v := range views {
		b = append(b, "\n    <tr class=\"deployment"...)
		if v.Failed {
			b = append(b, " failed"...)
		}
		b = append(b, "\">\n      <th scope=\"row\"><time datetime=\""...)
		b = esc(b, v.DeployedAt.UTC().Format(time.RFC3339))
		b = append(b, "\">"...)
		b = esc(b, v.DeployedAt.UTC().Format("2006-01-02 15:04"))
		b = append(b, "</time></th>\n      <td>"...)
		b = esc(b, v.Repo)
		b = append(b, "</td>\n      <td>"...)
		b = esc(b, v.Environment)
		b = append(b, "</td>\n      <td>"...)
		if v.URL != "" {
			b = appendLinkStart(b, v.URL)
			b = append(b, "<code>"...)
			b = esc(b, v.Commit)
			b = append(b, "</code></a>"...)
		} else {
			b = append(b, "<code>"...)
			b = esc(b, v.Commit)
			b = append(b, "</code>"...)
		}
		b = append(b, "</td>\n      <td>"...)
		if len(v.PRs) > 0 {
			b = append(b, `<ul class="shipped">`...)
			for _, pr := range v.PRs {
				b = append(b, "<li>"...)
				b = appendLinkStart(b, pr.URL)
				b = append(b, '#')
				b = strconv.AppendInt(b, int64(pr.Number), 10)
				b = append(b, ' ')
				b = esc(b, pr.Title)
				b = append(b, "</a>"...)
				if pr.Author != "" {
					b = append(b, ` <span class="muted">by `...)
					b = esc(b, pr.Author)
					b = append(b, "</span>"...)
				}
				b = append(b, "</li>"...)
			}
			if v.More != 0 {
				b = append(b, `<li class="muted">and `...)
				b = strconv.AppendInt(b, int64(v.More), 10)
				b = append(b, " more (the CSV lists them all)</li>"...)
			}
			b = append(b, "</ul>"...)
		}
		b = append(b, "</td>\n      <td>"...)
		if len(v.Incidents) > 0 {
			b = append(b, `<ul class="incidents">`...)
			for _, in := range v.Incidents {
				b = append(b, "<li>"...)
				if in.URL != "" {
					b = appendLinkStart(b, in.URL)
					b = esc(b, in.Title)
					b = append(b, "</a>"...)
				} else {
					b = esc(b, in.Title)
				}
				b = append(b, "</li>"...)
			}
			b = append(b, "</ul>"...)
		}
		b = append(b, "</td>\n      <td>"...)
		if v.Failed {
			b = append(b, `<span class="badge bad">failed</span>`...)
		}
		if v.IsRework {
			b = append(b, ` <span class="badge warn">rework</span>`...)
		}
		if !v.Failed && !v.IsRework {
			b = append(b, `<span class="badge ok">ok</span>`...)
		}
		b = append(b, "</td>\n    </tr>"...)
	}
	return template.HTML(b)
}

func outcome(d store.DeploymentItem) string {
	var parts []string
	if d.Failed {
		parts = append(parts, "failed")
	}
	if d.IsRework {
		parts = append(parts, "rework")
	}
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, ", ")
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
