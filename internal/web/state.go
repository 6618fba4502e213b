package web

import (
	"context"
	"strings"

	"github.com/veelocity/veelocity/internal/syncer"
)

// sourceState is what the pages need to know to explain an empty database.
type sourceState struct {
	Sources []syncer.SourceInfo
	// HasData is whether any repository or Linear team is stored.
	HasData bool
	// Synced is whether any sync has ever run.
	Synced bool
	// SyncedSources are the sources that have synced at least once.
	SyncedSources map[string]bool
}

func (p *Pages) sourceInfos() []syncer.SourceInfo {
	if p.sync != nil {
		return p.sync.Sources()
	}
	var out []syncer.SourceInfo
	for _, name := range syncer.KnownSources {
		ok, reason := p.cfg.SourceConfigured(name)
		out = append(out, syncer.SourceInfo{Name: name, Configured: ok, Reason: reason})
	}
	return out
}

func (p *Pages) sourceState(ctx context.Context) (sourceState, error) {
	s := sourceState{Sources: p.sourceInfos()}
	var n, runs int
	err := p.st.DB().QueryRowContext(ctx, `/* web.sourceState */ SELECT
		(SELECT count(*) FROM repositories) + (SELECT count(*) FROM linear_teams),
		(SELECT count(*) FROM sync_runs)`).Scan(&n, &runs)
	if err != nil {
		return s, err
	}
	s.HasData, s.Synced = n > 0, runs > 0
	s.SyncedSources = map[string]bool{}
	rows, err := p.st.DB().QueryContext(ctx, `/* web.syncedSources */ SELECT DISTINCT source FROM sync_runs`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		if err := rows.Scan(&src); err != nil {
			return s, err
		}
		s.SyncedSources[src] = true
	}
	return s, rows.Err()
}

func (s sourceState) configured() []string {
	var out []string
	for _, src := range s.Sources {
		if src.Configured {
			out = append(out, src.Name)
		}
	}
	return out
}

// setupNotice explains an empty database: which variables to set and which
// command to run. It is nil when there is data.
func (s sourceState) setupNotice() *notice {
	if s.HasData {
		return s.unsyncedNotice()
	}
	demo := "Or explore with sample data first: run veelocity demo, then reload this page."
	switch {
	case len(s.configured()) == 0:
		return &notice{
			Title: "No sources are configured",
			Lines: []string{
				"Veelocity reads GitHub (pull requests, reviews, Actions deployments) and, optionally, Linear.",
				"Set GITHUB_TOKEN and GITHUB_REPOS (comma-separated owner/repo), and LINEAR_API_KEY for Linear, in the environment or a .env file, then run veelocity sync (or restart veelocity serve, which syncs at startup).",
				demo,
			},
			Commands: []string{"GITHUB_TOKEN=ghp_… GITHUB_REPOS=owner/repo veelocity sync", "veelocity demo"},
		}
	case !s.Synced:
		return &notice{
			Title: "Configured, but never synced",
			Lines: []string{
				"Sources are configured but no sync has run yet, so there is nothing to show.",
				"Press Sync now on the Settings page, or run veelocity sync.",
				demo,
			},
			Commands: []string{"veelocity sync"},
		}
	}
	return &notice{
		Title: "The syncs stored no data",
		Lines: []string{
			"A sync has run but stored no repositories or teams. The Settings page shows each source's last error.",
			"Check GITHUB_REPOS and the token's access, then press Sync now or run veelocity sync.",
		},
		Commands: []string{"veelocity sync"},
	}
}

// unsyncedNotice names the configured sources that have never synced, when
// the database already holds other data.
func (s sourceState) unsyncedNotice() *notice {
	var names []string
	for _, src := range s.Sources {
		if src.Configured && !s.SyncedSources[src.Name] {
			names = append(names, sourceLabels[src.Name])
		}
	}
	if len(names) == 0 {
		return nil
	}
	return &notice{
		Title: strings.Join(names, " and ") + " not synced yet",
		Lines: []string{
			"These sources are configured but have never synced, so their data is not in these numbers yet.",
			"Press Sync now on the Settings page, or run veelocity sync.",
		},
		Commands: []string{"veelocity sync"},
	}
}
