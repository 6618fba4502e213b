package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/veelocity/veelocity/internal/store"
)

// MarkerKey is the app_state key whose presence says the database holds
// demo data; its value is a JSON Marker.
const MarkerKey = "demo"

// Marker describes the demo data in a database.
type Marker struct {
	Seed  uint64 `json:"seed"`
	PRs   int    `json:"prs"`
	Today string `json:"today"` // the day the dataset ends, YYYY-MM-DD
	// Complete is false while loading, and stays false if loading stopped
	// halfway; loading again replaces the data either way.
	Complete bool `json:"complete"`
}

// ErrRealData is returned when the database already holds data that did not
// come from the demo: the demo never mixes its records into real ones.
var ErrRealData = errors.New("the database already holds synced data")

// ReadMarker returns the demo marker, and whether the database holds demo
// data at all.
func ReadMarker(ctx context.Context, st *store.Store) (Marker, bool, error) {
	v, ok, err := st.AppState(ctx, MarkerKey)
	if err != nil || !ok {
		return Marker{}, false, err
	}
	var m Marker
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return Marker{}, true, fmt.Errorf("demo: reading the demo marker: %w", err)
	}
	return m, true, nil
}

// realDataChecks count records that only a sync or an API client writes:
// any means the database holds real data, even next to demo data.
var realDataChecks = []struct{ what, query string }{
	{"sync run", `/* demo.check.syncRuns */ SELECT count(*) FROM sync_runs`},
	{"synced scope", `/* demo.check.syncState */ SELECT count(*) FROM sync_state`},
	{"deployment recorded through the API", `/* demo.check.apiDeployments */ SELECT count(*) FROM deployments WHERE source = 'api'`},
	{"incident recorded through the API", `/* demo.check.apiIncidents */ SELECT count(*) FROM incidents WHERE source = 'api'`},
}

// sourceChecks count the sources' records: in a database without the demo
// marker, any means synced data.
var sourceChecks = []struct{ what, query string }{
	{"repository", `/* demo.check.repositories */ SELECT count(*) FROM repositories`},
	{"Linear team", `/* demo.check.linearTeams */ SELECT count(*) FROM linear_teams`},
}

// clearTables lists every table the demo's data reaches: its own, and
// those the derive step fills from them.
var clearTables = []string{
	"pr_mentions", "linear_issue_prs", "linear_issue_cycles", "pr_facts", "incidents", "deployments", "commits", "pr_comments", "pr_reviews",
	"pull_requests", "workflow_runs", "workflows", "github_issues", "linear_attachments", "linear_issues",
	"linear_teams", "repositories", "http_cache",
	"github_deployment_statuses", "github_deployments", "team_members", "team_repositories", "teams",
}

// prepare makes the database ready for a new dataset, in one transaction:
// an empty database is used as it is; one holding earlier demo data is
// cleared; one holding anything else is refused with ErrRealData. It then
// stores the marker, so the data is known to be demo data even while it
// loads. It reports whether it cleared earlier demo data.
func prepare(ctx context.Context, st *store.Store, m Marker) (cleared bool, err error) {
	err = st.ClearTx(ctx, func(tx *store.Tx) error {
		var v string
		err := tx.QueryRow(ctx, `/* demo.prepare.marker */ SELECT value FROM app_state WHERE key = $1`, MarkerKey).Scan(&v)
		isDemo := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		checks := realDataChecks
		if !isDemo {
			checks = append(checks[:len(checks):len(checks)], sourceChecks...)
		}
		var found []string
		for _, c := range checks {
			var n int
			if err := tx.QueryRow(ctx, c.query).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				found = append(found, plural(n, c.what))
			}
		}
		if len(found) > 0 {
			return fmt.Errorf("%w (%s), and demo data is never mixed into it", ErrRealData, strings.Join(found, ", "))
		}
		if isDemo {
			if err := tx.ClearTables(ctx, clearTables...); err != nil {
				return err
			}
			cleared = true
		}
		return setMarker(ctx, tx, m)
	})
	return cleared, err
}

func setMarker(ctx context.Context, tx *store.Tx, m Marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.SetAppState(ctx, MarkerKey, string(b))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") && !strings.HasSuffix(what, "ey") {
		return fmt.Sprintf("%d %sies", n, what[:len(what)-1])
	}
	if strings.Contains(what, " recorded") {
		head, tail, _ := strings.Cut(what, " recorded")
		return fmt.Sprintf("%d %ss recorded%s", n, head, tail)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
