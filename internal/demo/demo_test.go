package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// today is the pinned "now" of the tests: the dataset covers the 365 days
// before 2026-06-15.
var today = time.Date(2026, 6, 15, 9, 30, 0, 0, time.UTC)

func pinned() time.Time { return today }

// quiet discards the logs of Load.
var quiet = slog.New(slog.DiscardHandler)

// load fills st with a dataset of n PRs.
func load(t testing.TB, st *store.Store, seed uint64, n int) Result {
	t.Helper()
	res, err := Load(context.Background(), st, Options{PRs: n, Seed: seed, Now: pinned, Log: quiet})
	if err != nil {
		t.Fatalf("Load(seed %d, %d PRs): %v", seed, n, err)
	}
	return res
}

// sourceTables are the tables the demo writes, with the column that orders
// their rows.
var sourceTables = []struct{ name, order string }{
	{"repositories", "id"}, {"workflows", "id"}, {"linear_teams", "id"}, {"pull_requests", "id"},
	{"pr_reviews", "id"}, {"pr_comments", "id"}, {"commits", "id"}, {"workflow_runs", "id"},
	{"github_issues", "id"}, {"linear_issues", "id"}, {"linear_attachments", "id"}, {"app_state", "key"},
}

// dump returns every row of the demo's tables as text, table by table.
func dump(t testing.TB, st *store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range sourceTables {
		rows, err := st.DB().Query(`SELECT * FROM ` + tb.name + ` ORDER BY ` + tb.order)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[tb.name] = append(out[tb.name], b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// firstDifference describes where two dumps differ, or returns "".
func firstDifference(a, b map[string][]string) string {
	for _, tb := range sourceTables {
		x, y := a[tb.name], b[tb.name]
		if len(x) != len(y) {
			return fmt.Sprintf("%s: %d rows vs %d", tb.name, len(x), len(y))
		}
		for i := range x {
			if x[i] != y[i] {
				return fmt.Sprintf("%s row %d:\n  %s\n  %s", tb.name, i, x[i], y[i])
			}
		}
	}
	return ""
}

func count(t testing.TB, st *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestSameSeedSameData(t *testing.T) {
	a, b, c := storetest.New(t), storetest.New(t), storetest.New(t)
	load(t, a, 7, 400)
	load(t, b, 7, 400)
	load(t, c, 8, 400)
	da, db, dc := dump(t, a), dump(t, b), dump(t, c)
	if diff := firstDifference(da, db); diff != "" {
		t.Errorf("the same seed and day gave different data: %s", diff)
	}
	if firstDifference(da, dc) == "" {
		t.Error("seeds 7 and 8 gave identical data")
	}
	if len(da["pull_requests"]) != 400 {
		t.Errorf("%d PRs, want exactly 400", len(da["pull_requests"]))
	}
}

func TestTimeOfDayDoesNotMatter(t *testing.T) {
	// "Today" is a date: loading in the morning or the evening of the same
	// day gives the same data, and nothing happens after today 00:00 UTC.
	a, b := storetest.New(t), storetest.New(t)
	if _, err := Load(context.Background(), a, Options{PRs: 150, Seed: 3, Log: quiet, Now: func() time.Time { return today.Truncate(24 * time.Hour) }}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), b, Options{PRs: 150, Seed: 3, Log: quiet, Now: func() time.Time { return today.Truncate(24 * time.Hour).Add(23 * time.Hour) }}); err != nil {
		t.Fatal(err)
	}
	if diff := firstDifference(dump(t, a), dump(t, b)); diff != "" {
		t.Errorf("two loads on the same day differ: %s", diff)
	}
}

func TestBulkAndUpsertWritersAgree(t *testing.T) {
	// The bulk path writes exactly what the sync path's upserts would, once
	// derived: the upserts flag every record for an incremental derive,
	// the bulk path flags none and makes the derive a full one instead.
	a, b := storetest.New(t), storetest.New(t)
	ctx := context.Background()
	incremental := func(st *store.Store) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := derive.New(st, derive.Options{DeploymentPatterns: []string{"deploy"}, IncidentLabels: []string{"incident"},
				IncidentWindow: 168 * time.Hour}, quiet).Run(ctx, derive.Incremental)
			return err
		}
	}
	if _, err := Load(ctx, a, Options{PRs: 300, Seed: 5, Now: pinned, Log: quiet, Derive: incremental(a)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, b, Options{PRs: 300, Seed: 5, Now: pinned, Log: quiet, write: writeUpserts, Derive: incremental(b)}); err != nil {
		t.Fatal(err)
	}
	da, db := dump(t, a), dump(t, b)
	// Each derive gives the data a new version, and each full rebuild of a
	// rollup a new epoch: unique tokens, compared by their presence.
	for _, d := range []map[string][]string{da, db} {
		for i, r := range d["app_state"] {
			for _, key := range []string{store.DataVersionKey, rollup.BuiltKey, rollup.IssuesBuiltKey} {
				if strings.HasPrefix(r, "key="+key+"|") {
					d["app_state"][i] = "key=" + key + "|(set)"
				}
			}
		}
	}
	if diff := firstDifference(da, db); diff != "" {
		t.Errorf("bulk and upsert writers differ: %s", diff)
	}
}

func TestRefusesSyncedData(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(tx *store.Tx) error
	}{
		{"1 repository", func(tx *store.Tx) error {
			_, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 1, FullName: "octo/hello", DefaultBranch: "main"})
			return err
		}},
		{"1 Linear team", func(tx *store.Tx) error {
			_, err := tx.UpsertLinearTeam(ctx, &model.LinearTeam{LinearID: "t1", Key: "ENG", Name: "Engineering"})
			return err
		}},
		{"1 deployment recorded through the API", func(tx *store.Tx) error {
			repo, err := tx.EnsureRepository(ctx, "octo/hello")
			if err != nil {
				return err
			}
			_, err = tx.UpsertDeployment(ctx, &model.Deployment{Source: model.SourceAPI, ExternalID: "d1", RepoID: repo,
				CreatedAt: today, DeployedAt: today})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.New(t)
			if err := st.Tx(ctx, tc.setup); err != nil {
				t.Fatal(err)
			}
			before := dump(t, st)
			_, err := Load(ctx, st, Options{PRs: 50, Seed: 1, Now: pinned, Log: quiet})
			if !errors.Is(err, ErrRealData) {
				t.Fatalf("Load on a synced database: %v, want ErrRealData", err)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("error %q does not say what it found (%s)", err, tc.name)
			}
			if diff := firstDifference(before, dump(t, st)); diff != "" {
				t.Errorf("a refused load changed the database: %s", diff)
			}
			if _, ok, _ := ReadMarker(ctx, st); ok {
				t.Error("a refused load marked the database as demo data")
			}
		})
	}
}

func TestReplacesEarlierDemoData(t *testing.T) {
	ctx := context.Background()
	st, fresh := storetest.New(t), storetest.New(t)
	first := load(t, st, 1, 300)
	if first.Cleared {
		t.Error("the first load says it cleared something")
	}
	second := load(t, st, 2, 200)
	if !second.Cleared {
		t.Error("the second load did not say it replaced the earlier demo data")
	}
	load(t, fresh, 2, 200)
	// Nothing of the first dataset stays, and ids start again: the
	// database is the same as one that only ever held the second.
	if diff := firstDifference(dump(t, st), dump(t, fresh)); diff != "" {
		t.Errorf("replaced data differs from a fresh load: %s", diff)
	}
	m, ok, err := ReadMarker(ctx, st)
	if err != nil || !ok || m.Seed != 2 || m.PRs != 200 || !m.Complete || m.Today != "2026-06-15" {
		t.Errorf("marker %+v, %v, %v; want seed 2, 200 PRs, complete, today 2026-06-15", m, ok, err)
	}
}

func TestRefusesDemoDataThatWasSyncedInto(t *testing.T) {
	// A demo database that a sync has since written to holds real data
	// too: clearing it would lose that, so it is refused.
	ctx := context.Background()
	st := storetest.New(t)
	load(t, st, 1, 100)
	if err := st.MarkSyncStarted(ctx, "github", "octo/hello"); err != nil {
		t.Fatal(err)
	}
	before := count(t, st, `SELECT count(*) FROM pull_requests`)
	_, err := Load(ctx, st, Options{PRs: 50, Seed: 2, Now: pinned, Log: quiet})
	if !errors.Is(err, ErrRealData) || !strings.Contains(err.Error(), "synced scope") {
		t.Fatalf("Load: %v, want ErrRealData naming the synced scope", err)
	}
	if after := count(t, st, `SELECT count(*) FROM pull_requests`); after != before {
		t.Errorf("refused load changed the PRs: %d → %d", before, after)
	}
}

func TestBadSize(t *testing.T) {
	st := storetest.New(t)
	for _, n := range []int{0, -5, MaxPRs + 1} {
		if _, err := Load(context.Background(), st, Options{PRs: n, Now: pinned, Log: quiet}); err == nil {
			t.Errorf("Load with %d PRs succeeded", n)
		}
	}
	if _, ok, _ := ReadMarker(context.Background(), st); ok {
		t.Error("a rejected size marked the database as demo data")
	}
}

func TestLoadsInBatchesAndReportsProgress(t *testing.T) {
	// Records are committed a batch at a time, never all at once, and
	// progress is reported after each batch.
	st := storetest.New(t)
	var seen []Progress
	res, err := Load(context.Background(), st, Options{PRs: 600, Seed: 1, Log: quiet, Now: pinned, BatchRows: 1000,
		Progress: func(p Progress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	streamed := res.Rows() - res.Repositories - res.Workflows - res.LinearTeams
	if len(seen) < streamed/1200 {
		t.Errorf("%d records arrived in %d batches; batches of about 1000 were asked for", streamed, len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Rows-seen[i-1].Rows > 1300 {
			t.Errorf("batch %d held %d records; asked for about 1000", i, seen[i].Rows-seen[i-1].Rows)
		}
		if seen[i].PRs < seen[i-1].PRs {
			t.Errorf("progress went back from %d to %d PRs", seen[i-1].PRs, seen[i].PRs)
		}
	}
	if last := seen[len(seen)-1]; last.PRs != 600 || last.Total != 600 {
		t.Errorf("last progress %+v, want 600 of 600 PRs", last)
	}
}

func TestInterruptedLoadStopsAndCanBeRedone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := storetest.New(t)
	_, err := Load(ctx, st, Options{PRs: 3000, Seed: 1, Log: quiet, Now: pinned, BatchRows: 500,
		Progress: func(p Progress) {
			if p.PRs > 200 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Load after cancel: %v, want context.Canceled", err)
	}
	m, ok, _ := ReadMarker(context.Background(), st)
	if !ok || m.Complete {
		t.Fatalf("an interrupted load left marker %+v (present %v); want an incomplete marker", m, ok)
	}
	// Loading again replaces the partial data.
	res := load(t, st, 1, 300)
	if !res.Cleared || count(t, st, `SELECT count(*) FROM pull_requests`) != 300 {
		t.Errorf("reloading after an interruption: cleared %v, %d PRs", res.Cleared, count(t, st, `SELECT count(*) FROM pull_requests`))
	}
}
