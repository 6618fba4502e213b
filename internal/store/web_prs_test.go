package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/rollup"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestPRTableFastEqualsScan: the PR table read through pr_facts' indexes
// gives the same pages and totals as the plain query over pull_requests,
// for every order, filter and page, with PRs whose facts are current and
// PRs changed since the last derive (dirty), whose facts are stale.
func TestPRTableFastEqualsScan(t *testing.T) {
	st := storetest.New(t)
	b := scenario.New(t, st)
	web, api := b.Repo("acme/web"), b.Repo("acme/api")
	rng := rand.New(rand.NewPCG(7, 13))
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	authors := []string{"alice", "Bob", "carol", "dave"}
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	type spec struct {
		repo int64
		pr   scenario.PR
	}
	var prs []spec
	for i := range 160 {
		repo := web
		if i%3 == 0 {
			repo = api
		}
		created := at(rng.IntN(40 * 24))
		p := scenario.PR{Number: i + 1, Author: authors[rng.IntN(len(authors))], Created: created,
			Additions: rng.IntN(50), Deletions: rng.IntN(5), Commits: []time.Time{created.Add(-time.Duration(rng.IntN(30)) * time.Hour)}}
		switch rng.IntN(4) {
		case 0: // open
		case 1:
			p.Closed = scenario.Ptr(created.Add(time.Duration(rng.IntN(100)) * time.Hour))
		default:
			p.Merged = scenario.Ptr(created.Add(time.Duration(1+rng.IntN(300)) * time.Hour))
			p.MergeSHA = fmt.Sprintf("m%d", i)
		}
		if rng.IntN(2) == 0 {
			p.Reviews = []scenario.Review{{Author: "reviewer", Submitted: scenario.Ptr(created.Add(time.Duration(rng.IntN(20)) * time.Hour))}}
		}
		prs = append(prs, spec{repo, p})
		b.PullRequest(repo, p)
	}
	// Bad data: merged before it was opened, and open for a long time.
	b.PullRequest(web, scenario.PR{Number: 900, Author: "alice", Created: at(30*24 + 5), Merged: scenario.Ptr(at(18 * 24))})
	b.PullRequest(api, scenario.PR{Number: 901, Author: "carol", Created: at(-200 * 24), Merged: scenario.Ptr(at(12 * 24))})
	// Opened on the day a span ends, merged within it.
	b.PullRequest(api, scenario.PR{Number: 902, Author: "dave", Created: at(20*24 + 3), Merged: scenario.Ptr(at(10 * 24))})
	for d := range 12 {
		b.Deployment(web, fmt.Sprintf("w%d", d), at(d*80+5), fmt.Sprintf("w%d", d))
		b.Deployment(api, fmt.Sprintf("a%d", d), at(d*80+40), fmt.Sprintf("a%d", d))
	}
	b.Derive()
	// Some PRs change after the derive: merged, re-authored, moved in time.
	for i := 0; i < len(prs); i += 9 {
		p := prs[i].pr
		p.Author = authors[(i/9)%len(authors)]
		p.Created = p.Created.Add(-72 * time.Hour)
		if p.Merged == nil {
			p.Merged = scenario.Ptr(p.Created.Add(200 * time.Hour))
			p.Closed = nil
		}
		b.PullRequest(prs[i].repo, p)
	}
	ctx := context.Background()
	var dirty int
	if err := st.DB().QueryRow(`SELECT count(*) FROM pull_requests WHERE dirty`).Scan(&dirty); err != nil || dirty == 0 {
		t.Fatalf("%d dirty PRs (%v), want some", dirty, err)
	}
	spans := []store.TimeSpan{{From: day.AddDate(0, 0, 5), Until: day.AddDate(0, 0, 20)}, {From: day, Until: day.AddDate(0, 0, 60)},
		{From: day.AddDate(0, 0, 38), Until: day.AddDate(0, 0, 39)},
		// Not whole days: the PRs opened in it are counted from pr_facts, not
		// from the rollup's daily counts.
		{From: day.AddDate(0, 0, 5).Add(7 * time.Hour), Until: day.AddDate(0, 0, 20).Add(-3 * time.Hour)}}
	if store.RollupBuiltKey != rollup.BuiltKey {
		t.Fatalf("store.RollupBuiltKey %q, rollup.BuiltKey %q", store.RollupBuiltKey, rollup.BuiltKey)
	}
	filters := []store.PRTableFilter{{}, {RepoID: api}, {Author: "BOB"}, {Members: []string{"alice", "carol"}}, {Members: []string{}},
		{RepoID: web, Author: "alice"}, {State: "merged"}}
	compared, nonEmpty := 0, 0
	for _, dirtyToo := range []bool{true, false} {
		if !dirtyToo {
			b.Derive() // every PR clean: the fast path alone
		}
		for _, span := range spans {
			for _, flt := range filters {
				for sort := range store.PRSorts {
					for _, desc := range []bool{true, false} {
						for _, page := range []int{1, 2, 4} {
							f := flt
							f.Span, f.Sort, f.Desc = span, sort, desc
							p := store.Page{Page: page, Limit: 7}
							got, gotN, err := st.PRTable(ctx, f, p)
							if err != nil {
								t.Fatal(err)
							}
							want, wantN, err := st.PRTableScan(ctx, f, p)
							if err != nil {
								t.Fatal(err)
							}
							compared++
							if len(want) > 0 {
								nonEmpty++
							}
							if gotN != wantN || !reflect.DeepEqual(got, want) {
								t.Errorf("%v %+v page %d (dirty PRs: %v): %d rows of %d, want %d of %d\n got %v\nwant %v",
									span, f, page, dirtyToo, len(got), gotN, len(want), wantN, ids(got), ids(want))
							}
						}
					}
				}
			}
		}
	}
	lagsFilledByMigration(t, st)
	if nonEmpty < compared/2 {
		t.Errorf("only %d of %d pages have rows", nonEmpty, compared)
	}
}

func ids(rows []store.PRRow) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// lagsFilledByMigration: migration 0018 fills the lag tables, in a
// database derived before it, with the rows the rollup's rebuild makes.
func lagsFilledByMigration(t *testing.T, st *store.Store) {
	t.Helper()
	tables := map[string]string{
		"pr_rollup_lags":        `SELECT day, '', lag, n FROM pr_rollup_lags ORDER BY day, lag`,
		"pr_rollup_author_lags": `SELECT day, author, lag, n FROM pr_rollup_author_lags ORDER BY day, author, lag`,
		"pr_rollup_repo_lags":   `SELECT day, CAST(repo_id AS TEXT), lag, n FROM pr_rollup_repo_lags ORDER BY day, repo_id, lag`,
	}
	read := func(query string) []string {
		rows, err := st.DB().Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var day, lag, n int64
			var author string
			if err := rows.Scan(&day, &author, &lag, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(day, author, lag, n))
		}
		return out
	}
	built := map[string][]string{}
	for table, query := range tables {
		if built[table] = read(query); len(built[table]) < 10 {
			t.Fatalf("%s has %d rows after a derive, want more", table, len(built[table]))
		}
		if _, err := st.DB().Exec(`DELETE FROM ` + table); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile("migrations/0018_pr_rollup_lags.sql")
	if err != nil {
		t.Fatal(err)
	}
	_, fills, ok := strings.Cut(string(src), "INSERT INTO")
	if !ok {
		t.Fatal("migration 0018 fills nothing")
	}
	for fill := range strings.SplitSeq("INSERT INTO"+fills, ";") {
		if strings.TrimSpace(fill) == "" {
			continue
		}
		if _, err := st.DB().Exec(fill); err != nil {
			t.Fatal(err)
		}
	}
	for table, query := range tables {
		if filled := read(query); !reflect.DeepEqual(filled, built[table]) {
			t.Errorf("migration 0018 fills %s with\n%v\nthe rollup's rebuild with\n%v", table, filled, built[table])
		}
	}
}
