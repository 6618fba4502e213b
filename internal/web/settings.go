package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// sourceView is a source as the Settings page shows it.
type sourceView struct {
	Name, Label string
	Configured  bool
	Reason      string
	LastRun     *store.SyncRun
	// LastSyncAt is when the last run finished, or started if it still
	// runs: the time the card and the table both show.
	LastSyncAt  *time.Time
	LastSuccess *time.Time
	LastError   string
	Counts      []countView
	Scopes      []store.SyncState
	// Inactive are the repositories that left GITHUB_REPOS (github only).
	Inactive []string
	Setup    string
}

type countView struct {
	Kind  string
	Count int64
}

type settingsBody struct {
	Sources []sourceView
	// CanSync is whether this server can start a sync ("Sync now");
	// Configured whether any source is set up, without which the button
	// is disabled and says what to set.
	CanSync    bool
	Configured bool
	Running    bool
	Sync       *syncer.Progress
	Panel      Panel
	// Tokens is the API tokens section; nil with AUTH_MODE=none.
	Tokens *tokensView
	// Teams are the teams and the repositories' deployment sources
	// (settings_teams.go).
	Teams *teamsSettings
}

var sourceLabels = map[string]string{"github": "GitHub", "actions": "GitHub Actions", "linear": "Linear", "pagerduty": "PagerDuty"}

var sourceSetup = map[string]string{
	"github":    "Set GITHUB_TOKEN (a token that can read the repositories) and GITHUB_REPOS (comma-separated owner/name, owner/* or !owner/name), then press Sync now or run veelocity sync.",
	"actions":   "Uses the GitHub settings: set GITHUB_TOKEN and GITHUB_REPOS. Deployments are runs of workflows matching DEPLOYMENT_PATTERNS.",
	"linear":    "Set LINEAR_API_KEY (a Linear personal API key), then press Sync now or run veelocity sync.",
	"pagerduty": "Set PAGERDUTY_API_KEY (a read-only REST API key) and PAGERDUTY_SERVICES (SERVICE_ID=owner/repo, or SERVICE_ID alone), then press Sync now or run veelocity sync.",
}

func (p *Pages) settings(w http.ResponseWriter, r *http.Request) error {
	return p.settingsPage(w, r, http.StatusOK, nil)
}

// settingsPage renders Settings with status; tokens, if not nil, is the
// outcome of a token action to show.
func (p *Pages) settingsPage(w http.ResponseWriter, r *http.Request, status int, tokens *tokensView) error {
	return p.renderSettings(w, r, status, tokens, nil)
}

// renderSettings renders the Settings page with status; tokens is as for
// settingsPage, and edit, when set, adjusts its teams part (a refused
// team form).
func (p *Pages) renderSettings(w http.ResponseWriter, r *http.Request, status int, tokens *tokensView, edit func(*teamsSettings)) error {
	ctx := r.Context()
	pg := &page{Title: "Settings", status: status}
	b := &settingsBody{CanSync: p.sync != nil}
	if p.tokensEnabled() {
		if tokens == nil {
			tokens = &tokensView{}
		}
		if err := p.listTokens(ctx, tokens); err != nil {
			return err
		}
		b.Tokens = tokens
	}
	if p.sync != nil {
		if pr, ok := p.sync.Progress(); ok {
			b.Running, b.Sync = pr.Running, &pr
		}
	}
	t := &Table{ID: "sources", Caption: "Sources: configuration, last sync and stored records",
		Columns: []Column{{Name: "Source"}, {Name: "Configured"}, {Name: "Last sync"}, {Name: "Last sync status"}, {Name: "Records", Num: true}, {Name: "Last error"}}}
	for _, info := range p.sourceInfos() {
		v := sourceView{Name: info.Name, Label: sourceLabels[info.Name], Configured: info.Configured, Reason: info.Reason, Setup: sourceSetup[info.Name]}
		if v.Label == "" {
			v.Label = info.Name
		}
		runs, err := p.st.SyncRuns(ctx, info.Name, 1)
		if err != nil {
			return err
		}
		if len(runs) > 0 {
			run := runs[0]
			run.Error = p.redact(run.Error)
			v.LastRun, v.LastSyncAt = &run, run.FinishedAt
			if v.LastSyncAt == nil {
				v.LastSyncAt = &run.StartedAt
			}
		}
		if info.Name == "github" {
			if v.Inactive, err = p.st.InactiveRepositories(ctx); err != nil {
				return err
			}
		}
		states, err := p.st.SyncStates(ctx, info.Name)
		if err != nil {
			return err
		}
		for _, st := range states {
			st.LastError = p.redact(st.LastError)
			if st.Scope == "" {
				v.LastSuccess, v.LastError = st.LastSuccessAt, st.LastError
				continue
			}
			v.Scopes = append(v.Scopes, st)
		}
		counts, err := p.st.SourceCounts(ctx, info.Name)
		if err != nil {
			return err
		}
		var total int64
		for k, n := range counts {
			v.Counts = append(v.Counts, countView{k, n})
			total += n
		}
		slices.SortFunc(v.Counts, func(a, b countView) int {
			if a.Kind < b.Kind {
				return -1
			}
			return 1
		})
		b.Sources = append(b.Sources, v)
		b.Configured = b.Configured || info.Configured
		configured, last, status, lastErr := "no: "+info.Reason, "never", "", v.LastError
		if info.Configured {
			configured = "yes"
		}
		if v.LastRun != nil {
			last, status = whenText(v.LastSyncAt), v.LastRun.Status
			if lastErr == "" {
				lastErr = v.LastRun.Error
			}
		}
		t.Rows = append(t.Rows, []Cell{{Text: v.Label}, {Text: configured}, {Text: last}, {Text: status}, {Text: intCell(int(total))}, {Text: lastErr}})
	}
	if wantsCSV(r) {
		return p.writeCSV(w, r, t)
	}
	b.Panel = newPanel(r, "Sources", nil, t)
	ts, err := p.teamsSettings(ctx)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(ts)
	}
	b.Teams = ts
	pg.Body = b
	return p.render(w, r, status, "settings", pg)
}

// redact removes credentials from stored error text.
func (p *Pages) redact(s string) string {
	if s == "" {
		return s
	}
	if p.sync != nil {
		return p.sync.Redact(s)
	}
	return syncer.NewRedactor(p.cfg.Secrets()...).Redact(s)
}
