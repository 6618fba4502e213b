package derive_test

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestFullRunReadsBatchesAhead: on SQLite a full run reads each batch of
// PRs, and of Linear issues, while the batch before it is written, and
// uses what it read only if nothing else wrote in between. A write of this
// process (through the same store) or of another one (another connection)
// makes it read the batch again, so the change is derived, not lost with
// its dirty flag. On PostgreSQL it reads each batch in the batch's own
// transaction.
func TestFullRunReadsBatchesAhead(t *testing.T) {
	derive.SetBatchSize(t, 3)
	url := storetest.URL(t)
	st := storetest.Open(t, url)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	team := b.Team("ENG")
	var prs, issues []int64
	for i := range 12 {
		prs = append(prs, b.PullRequest(web, scenario.PR{Number: i + 1, Author: "alice", Created: at(float64(i)), Title: "Fix"}))
	}
	for i := range 9 {
		issues = append(issues, b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: fmt.Sprintf("ENG-%d", i+1),
			Number: i + 1, CreatedAt: at(-24)}))
	}
	b.Derive()
	write := func(w *store.Store, query string, id int64) func() {
		return func() {
			if err := w.Tx(t.Context(), func(tx *store.Tx) error {
				_, err := tx.Exec(t.Context(), query, id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A PR of the second batch made rework, as a sync would write it.
	const rework = `UPDATE pull_requests SET title = 'Revert "Fix"', dirty = TRUE WHERE id = $1`
	// An issue of the second batch given an attachment naming PR 9.
	const attach = `INSERT INTO linear_attachments (issue_id, linear_id, url, source_type)
		VALUES ($1, 'att-late', 'https://github.com/acme/web/pull/9', 'github')`
	other := storetest.Open(t, url) // another process's connections
	for _, c := range []struct {
		name, step string
		between    func()
		check      func() bool // the write was derived
	}{
		{"nothing in between", "", nil, nil},
		{"a write of this process between PR batches", "pull request facts", write(st, rework, prs[4]),
			func() bool { return factOf(t, st, prs[4]).rework }},
		{"a write of another process between PR batches", "pull request facts", write(other, rework, prs[3]),
			func() bool { return factOf(t, st, prs[3]).rework }},
		{"a write of this process between Linear batches", "Linear issues", func() {
			write(st, attach, issues[4])()
			write(st, `UPDATE linear_issues SET dirty = TRUE WHERE id = $1`, issues[4])()
		}, func() bool { return linked(t, st, issues[4], prs[8]) }},
		{"a write of another process between Linear batches", "Linear issues", func() {
			write(other, `UPDATE linear_attachments SET issue_id = $1 WHERE linear_id = 'att-late'`, issues[3])()
		}, func() bool { return linked(t, st, issues[3], prs[8]) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs strings.Builder
			d := derive.New(st, b.Opts, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			calls := map[string]int{}
			derive.AfterBatch(t, func(step string) {
				if calls[step]++; calls[step] == 1 && step == c.step {
					c.between()
				}
			})
			if _, err := d.Run(t.Context(), derive.Full); err != nil {
				t.Fatal(err)
			}
			if storetest.Postgres() {
				if strings.Contains(logs.String(), "read ahead") || len(calls) > 0 {
					t.Errorf("a full run on PostgreSQL read batches ahead; its log:\n%s", logs.String())
				}
				return
			}
			// Four PR batches of three, then an empty one; three Linear
			// batches, then an empty one.
			wantPR, wantLinear := `PR batches read ahead" used=4 "read again"=0`, `Linear batches read ahead" used=3 "read again"=0`
			switch c.step {
			case "pull request facts":
				wantPR = `PR batches read ahead" used=3 "read again"=1`
			case "Linear issues":
				wantLinear = `Linear batches read ahead" used=2 "read again"=1`
			}
			for _, want := range []string{wantPR, wantLinear} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the run's log does not say %s:\n%s", want, logs.String())
				}
			}
			if c.check != nil && !c.check() {
				t.Errorf("what was written between two batches is not derived")
			}
			if n := storetest.Strings(t, st, `SELECT id FROM pull_requests WHERE dirty UNION ALL SELECT id FROM linear_issues WHERE dirty`); len(n) != 0 {
				t.Errorf("rows %v are still dirty after a full run", n)
			}
		})
	}
}

// linked reports whether issue links to pr.
func linked(t *testing.T, st *store.Store, issue, pr int64) bool {
	t.Helper()
	return len(storetest.Strings(t, st, `SELECT via FROM linear_issue_prs WHERE issue_id = $1 AND pr_id = $2`, issue, pr)) == 1
}

// TestConcurrentRunsTakeTurns: two processes deriving the same data at
// once (two stores on one database), from nothing, both succeed and leave
// the facts that incremental runs left. On PostgreSQL a run waits for the other process's whole run
// (its batches run in parallel, and take no lock of their own).
func TestConcurrentRunsTakeTurns(t *testing.T) {
	derive.SetBatchSize(t, 3)
	url := storetest.URL(t)
	st := storetest.Open(t, url)
	b := scenario.New(t, st)
	web := b.Repo("acme/web")
	team := b.Team("ENG")
	for i := range 20 {
		b.PullRequest(web, scenario.PR{Number: i + 1, Author: "alice", Created: at(float64(i)), Merged: atp(float64(i + 3)),
			Title: fmt.Sprintf("ENG-%d work", i%7+1)})
	}
	for i := range 7 {
		b.LinearIssue(model.LinearIssue{TeamLinearID: team, Identifier: fmt.Sprintf("ENG-%d", i+1), Number: i + 1, CreatedAt: at(-24)})
	}
	b.Derive()
	want := snapshot(t, st)
	// The full runs below derive everything again from nothing.
	for _, q := range []string{`DELETE FROM linear_issue_prs`, `DELETE FROM pr_mentions`, `DELETE FROM pr_facts`,
		`DELETE FROM linear_issue_cycles`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	other := storetest.Open(t, url)
	d1 := derive.New(st, b.Opts, nil)
	d2 := derive.New(other, b.Opts, nil)
	if storetest.Postgres() {
		release, err := derive.LockRun(t.Context(), d1)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := d2.Run(t.Context(), derive.Full)
			done <- err
		}()
		select {
		case err := <-done:
			release()
			t.Fatalf("a run finished (error %v) while another process held the run lock", err)
		case <-time.After(300 * time.Millisecond):
		}
		release()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var g errgroup.Group
	for _, d := range []*derive.Deriver{d1, d2} {
		g.Go(func() error {
			_, err := d.Run(t.Context(), derive.Full)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, st); !reflect.DeepEqual(got, want) {
		for name := range want {
			if !reflect.DeepEqual(got[name], want[name]) {
				t.Errorf("%s after two concurrent full runs:\n%v\nwant\n%v", name, got[name], want[name])
			}
		}
	}
}
