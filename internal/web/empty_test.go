package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// An empty database says what is missing and what to do, on every page.
func TestEmptyDatabaseSaysWhatToDo(t *testing.T) {
	tests := []struct {
		name   string
		config func(*config.Config)
		title  string
		want   []string
	}{
		{
			name:   "no source configured",
			config: func(*config.Config) {},
			title:  "No sources are configured",
			want:   []string{"Set GITHUB_TOKEN and GITHUB_REPOS", "LINEAR_API_KEY", "veelocity sync", "veelocity demo"},
		},
		{
			name: "configured but never synced",
			config: func(c *config.Config) {
				c.GitHubToken, c.GitHubRepos = config.Secret("ghp_secret"), []string{"acme/web"}
			},
			title: "Configured, but never synced",
			want:  []string{"Sync now", "veelocity sync", "veelocity demo"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.New(t)
			cfg := testConfig(t)
			tt.config(cfg)
			s := newSite(t, st, cfg, nil)
			for _, path := range []string{"/", "/dora", "/development", "/pull-requests", "/deployments", "/incidents"} {
				r := s.page(t, path, http.StatusOK)
				n := find(r.doc, sel("section", "#setup-notice"))
				if got := text(find(n, sel("h2"))); got != tt.title {
					t.Errorf("%s: notice %q, want %q", path, got, tt.title)
				}
				for _, w := range tt.want {
					if !strings.Contains(text(n), w) {
						t.Errorf("%s: the notice does not mention %q: %s", path, w, text(n))
					}
				}
				if find(r.doc, sel("div", "#demo-banner")) != nil {
					t.Errorf("%s: demo banner over an empty database", path)
				}
				if strings.Contains(r.body, "ghp_secret") {
					t.Errorf("%s: the page shows the token", path)
				}
			}
			// The notice is the only message: no "nothing happened in
			// this range", no per-panel "No deployments…", and no empty
			// charts on the dashboard.
			for _, path := range []string{"/dashboard", "/dora", "/development", "/pull-requests", "/deployments", "/incidents"} {
				r := s.page(t, path, http.StatusOK)
				for _, e := range findAll(find(r.doc, sel("main")), sel("", ".empty")) {
					t.Errorf("%s: an empty-range message under the setup notice: %q", path, text(e))
				}
			}
			r := s.page(t, "/dashboard", http.StatusOK)
			if find(r.doc, sel("p", "#quiet")) != nil || find(r.doc, sel("svg")) != nil || len(findAll(r.doc, sel("a", ".kpi"))) != 9 {
				t.Errorf("the empty dashboard shows the quiet message or charts, or lacks its cards")
			}
			// Nothing now and nothing before is no change, not a rise.
			for _, name := range []string{"Deployment frequency", "Throughput"} {
				tr := find(find(r.doc, sel("a", ".kpi", "[data-kpi="+name+"]")), sel("span", ".trend"))
				if !strings.HasPrefix(text(tr), "no change") || !hasClass(tr, "trend-stable") {
					t.Errorf("%s trend on an empty database: %q (%s)", name, text(tr), attr(tr, "class"))
				}
			}
			if strings.Contains(text(find(r.doc, sel("main"))), "from 0") {
				t.Error("the dashboard shows a change from 0 over an empty database")
			}
		})
	}
}

// With data present, a configured source that never synced is named until
// it has synced.
func TestConfiguredSourceNotSyncedYet(t *testing.T) {
	st := storetest.New(t)
	cfg := testConfig(t)
	loadDemo(t, st, cfg, 50)
	cfg.LinearAPIKey = config.Secret("lin_api_secret")
	s := newSite(t, st, cfg, nil)
	r := s.page(t, "/dashboard", http.StatusOK)
	n := find(r.doc, sel("section", "#setup-notice"))
	if got := text(find(n, sel("h2"))); got != "Linear not synced yet" || !strings.Contains(text(n), "veelocity sync") {
		t.Errorf("notice %q: %q", got, text(n))
	}
	if _, err := st.StartSyncRun(t.Context(), "linear", "recent", "cli"); err != nil {
		t.Fatal(err)
	}
	r = s.page(t, "/dashboard", http.StatusOK)
	if n := find(r.doc, sel("section", "#setup-notice")); n != nil {
		t.Errorf("still a notice after Linear synced: %q", text(n))
	}
}
