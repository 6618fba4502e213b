package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/github"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// "Sync now" is offered only when there is something to sync; with no
// source configured (the demo, or a fresh install) it is disabled and says
// what to set.
func TestSyncNowNeedsASource(t *testing.T) {
	tests := []struct {
		name       string
		configure  func(*config.Config)
		wantButton bool
	}{
		{"nothing configured", func(*config.Config) {}, false},
		{"GitHub configured", func(c *config.Config) {
			c.GitHubToken, c.GitHubRepos = config.Secret("ghp_secret"), []string{"acme/web"}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.New(t)
			cfg := testConfig(t)
			loadDemo(t, st, cfg, 20)
			tt.configure(cfg)
			deps := github.Deps{Config: cfg, Store: st, Log: quietLog(), Now: fixedNow}
			eng := syncer.New(syncer.Options{Store: st, Log: quietLog(),
				Connectors: []syncer.Connector{github.NewConnector(deps), github.NewActionsConnector(deps)}})
			t.Cleanup(eng.Close)
			s := newSite(t, st, cfg, eng)
			r := s.page(t, "/settings", http.StatusOK)
			button := find(r.doc, sel("button", "#sync-now"))
			if button == nil {
				t.Fatal("no Sync now button")
			}
			_, disabled := attrOK(button, "disabled")
			note := find(r.doc, sel("p", "#sync-unconfigured"))
			if disabled == tt.wantButton || (note != nil) == tt.wantButton {
				t.Errorf("Sync now disabled %v, note %q", disabled, text(note))
			}
			if !tt.wantButton {
				for _, v := range []string{"GITHUB_TOKEN", "GITHUB_REPOS", "LINEAR_API_KEY", "PAGERDUTY_API_KEY", "PAGERDUTY_SERVICES"} {
					if !strings.Contains(text(note), v) {
						t.Errorf("the note does not name %s: %q", v, text(note))
					}
				}
				if attr(button, "aria-describedby") != "sync-unconfigured" {
					t.Error("the disabled button is not tied to its note")
				}
			}
		})
	}
}

// "Last sync" is one time in the source's card and in the table: when the
// last run finished, or when it started while it still runs.
func TestLastSyncIsOneTime(t *testing.T) {
	st := storetest.New(t)
	cfg := testConfig(t)
	s := newSite(t, st, cfg, nil)
	clock := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	st.SetClock(func() time.Time { return clock })
	ctx := t.Context()
	check := func(want string) {
		t.Helper()
		r := s.page(t, "/settings", http.StatusOK)
		card := text(find(find(r.doc, sel("section", "#source-github")), sel("dd", "[data-field=last-sync]")))
		_, rows := tableData(find(r.doc, sel("table", "#table-sources")))
		if !strings.HasPrefix(card, want+" · ") || rows[0][0] != "GitHub" || rows[0][2] != want {
			t.Errorf("last sync: card %q, table %q; want %s in both", card, rows[0][2], want)
		}
	}
	id, err := st.StartSyncRun(ctx, "github", "recent", "cli")
	if err != nil {
		t.Fatal(err)
	}
	check("2026-03-20 09:00 UTC")
	clock = clock.Add(90 * time.Minute)
	if err := st.FinishSyncRun(ctx, id, "success", 1, 3, ""); err != nil {
		t.Fatal(err)
	}
	check("2026-03-20 10:30 UTC")
	r := s.page(t, "/settings", http.StatusOK)
	if card := text(find(find(r.doc, sel("section", "#source-github")), sel("dd", "[data-field=last-sync]"))); card != "2026-03-20 10:30 UTC · success · 1 record" {
		t.Errorf("the card reads %q", card)
	}
}

// A repository that left GITHUB_REPOS is listed as inactive on the GitHub
// card, with its data kept.
func TestSettingsListsInactiveRepositories(t *testing.T) {
	st := storetest.New(t)
	s := newSite(t, st, testConfig(t), nil)
	ctx := t.Context()
	err := st.Tx(ctx, func(tx *store.Tx) error {
		for i, name := range []string{"acme/web", "acme/old"} {
			if _, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: int64(i + 1), FullName: name}); err != nil {
				return err
			}
		}
		return tx.SetActiveRepositories(ctx, []string{"acme/web"})
	})
	if err != nil {
		t.Fatal(err)
	}
	r := s.page(t, "/settings", http.StatusOK)
	got := text(find(find(r.doc, sel("section", "#source-github")), sel("p", "[data-field=inactive]")))
	if want := "Inactive (no longer in GITHUB_REPOS; their data is kept): acme/old"; got != want {
		t.Errorf("the GitHub card reads %q; want %q", got, want)
	}
}
