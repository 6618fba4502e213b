package linear

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/linearfake"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// reporter records what a connector reports; its hooks let a test act at
// a given point of a sync.
type reporter struct {
	mu       sync.Mutex
	scope    string
	scopes   []string
	records  map[string]map[string]int // scope → kind → n
	requests int
	// onScope and onRecords run after the call is recorded.
	onScope   func(scope string)
	onRecords func(scope, kind string, total int)
}

func newReporter() *reporter { return &reporter{records: map[string]map[string]int{}} }

func (r *reporter) Scope(s string) {
	r.mu.Lock()
	r.scope = s
	r.scopes = append(r.scopes, s)
	r.mu.Unlock()
	if r.onScope != nil {
		r.onScope(s)
	}
}

func (r *reporter) Records(kind string, n int) {
	r.mu.Lock()
	if r.records[r.scope] == nil {
		r.records[r.scope] = map[string]int{}
	}
	r.records[r.scope][kind] += n
	scope, total := r.scope, r.records[r.scope][kind]
	r.mu.Unlock()
	if r.onRecords != nil {
		r.onRecords(scope, kind, total)
	}
}

func (r *reporter) Requests(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests += n
}

// issues returns the issues recorded in every scope.
func (r *reporter) issues() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, kinds := range r.records {
		n += kinds["issues"]
	}
	return n
}

type syncEnv struct {
	fake  *linearfake.Server
	st    *store.Store
	cfg   *config.Config
	clock *clock
	logs  *logBuffer
	conn  *Connector
	// errs are the texts of the errors syncs returned, checked for the key.
	errs []string
}

// newSyncEnv returns a connector with issue pages of pageSize, a fake
// Linear and a fresh database, all on one test clock. Its cleanup checks
// that every document sent was valid and that the key never reached the
// logs or the stored sync state.
func newSyncEnv(t *testing.T, pageSize int) *syncEnv {
	t.Helper()
	f := linearfake.New()
	t.Cleanup(f.Close)
	clk := newClock()
	f.SetClock(clk.Now)
	e := &syncEnv{fake: f, clock: clk, st: storetest.New(t)}
	e.cfg = testConfig(f)
	log, buf := debugLogger(t)
	e.logs = buf
	e.conn = e.newConnector(pageSize, log)
	t.Cleanup(func() {
		if bad := f.InvalidDocuments(); len(bad) > 0 {
			t.Errorf("the fake rejected documents as invalid: %v", bad)
		}
		assertNoKey(t, f.Key(), append(e.errs, buf.String(), e.syncStateText(t))...)
	})
	return e
}

// testConfig is the configuration of a connector to fake f.
func testConfig(f *linearfake.Server) *config.Config {
	return &config.Config{LinearAPIKey: config.Secret(f.Key()), LinearAPIURL: f.URL(), SyncSince: 365 * 24 * time.Hour}
}

func (e *syncEnv) newConnector(pageSize int, log *slog.Logger) *Connector {
	client := NewClient(ClientOptions{URL: e.cfg.LinearAPIURL, Key: e.cfg.LinearAPIKey, Options: httpapi.Options{Log: log, Now: e.clock.Now, Sleep: e.clock.Sleep, Jitter: func() float64 { return 0 }}})
	return NewConnector(e.cfg, e.st, Options{Client: client, Logger: log, Now: e.clock.Now, PageSize: pageSize})
}

func (e *syncEnv) sync(t *testing.T, mode syncer.Mode) (*reporter, error) {
	t.Helper()
	rep := newReporter()
	err := e.conn.Sync(context.Background(), mode, rep)
	if err != nil {
		e.errs = append(e.errs, err.Error())
	}
	return rep, err
}

func (e *syncEnv) mustSync(t *testing.T, mode syncer.Mode) *reporter {
	t.Helper()
	rep, err := e.sync(t, mode)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

// dump renders the Linear tables, by natural key, with the internal ids
// when withIDs is set.
func dump(t *testing.T, st *store.Store, withIDs bool) string {
	t.Helper()
	var b strings.Builder
	queries := []string{
		`SELECT id, linear_id, key, name FROM linear_teams ORDER BY linear_id`,
		`SELECT i.id, t.key, i.linear_id, i.identifier, i.number, i.title, i.url, i.branch_name, i.state_name,
			i.state_type, i.priority, i.estimate, i.assignee_name, i.assignee_email, i.labels, i.created_at,
			i.updated_at, i.started_at, i.completed_at, i.canceled_at
		FROM linear_issues i JOIN linear_teams t ON t.id = i.team_id ORDER BY i.linear_id`,
		`SELECT a.id, i.linear_id, a.linear_id, a.url, a.source_type
		FROM linear_attachments a JOIN linear_issues i ON i.id = a.issue_id ORDER BY a.linear_id`,
	}
	for _, q := range queries {
		rows, err := st.DB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			if !withIDs {
				vals = vals[1:]
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

// syncStateText renders every sync_state row.
func (e *syncEnv) syncStateText(t *testing.T) string {
	t.Helper()
	states, err := e.st.SyncStates(context.Background(), Source)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%+v", states)
}

func (e *syncEnv) state(t *testing.T, scope string) store.SyncState {
	t.Helper()
	st, err := e.st.SyncState(context.Background(), Source, scope)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *syncEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.st.DB().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func TestSyncStoresTeamsAndIssuesFaithfully(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.fake.AddTeam("ENG", "Engineering")
	e.fake.AddUser("Jane Doe", "jane@example.com")
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Fix login redirect", State: "Done", Priority: 2,
		Estimate: ptr(3.0), Assignee: "jane@example.com", Labels: []string{"incident", "bug"},
		Attachments: []linearfake.Attachment{{URL: "https://github.com/acme/web/pull/12"},
			{URL: "https://acme.slack.com/archives/C1/p2", SourceType: "slack"}},
		CreatedAt: at(-72 * time.Hour), StartedAt: ptr(at(-48 * time.Hour)), UpdatedAt: at(-time.Hour)})
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Tidy up", State: "Backlog",
		CreatedAt: at(-2 * time.Hour)})

	rep := e.mustSync(t, syncer.Recent)

	var rows []string
	r, err := e.st.DB().Query(`SELECT identifier, number, title, url, branch_name, state_name, state_type, priority,
		COALESCE(estimate, -1), assignee_name, assignee_email, labels, created_at, updated_at,
		COALESCE(started_at, 0), COALESCE(completed_at, 0), COALESCE(canceled_at, 0)
		FROM linear_issues ORDER BY number`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id, title, url, branch, sname, stype, aname, aemail, labels string
		var number, priority int
		var estimate float64
		var created, updated, started, completed, canceled int64
		if err := r.Scan(&id, &number, &title, &url, &branch, &sname, &stype, &priority, &estimate, &aname, &aemail,
			&labels, &created, &updated, &started, &completed, &canceled); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, fmt.Sprintf("%s %d %q %s %s %q %s %d %g %q %q %s %d %d %d %d %d", id, number, title, url,
			branch, sname, stype, priority, estimate, aname, aemail, labels, created, updated, started, completed, canceled))
	}
	r.Close()
	ms := func(d time.Duration) int64 { return at(d).UnixMilli() }
	want := []string{
		fmt.Sprintf(`ENG-1 1 "Fix login redirect" https://linear.app/fake/issue/ENG-1/fix-login-redirect jane/eng-1-fix-login-redirect "Done" completed 2 3 "Jane Doe" "jane@example.com" ["bug","incident"] %d %d %d %d 0`,
			ms(-72*time.Hour), ms(-time.Hour), ms(-48*time.Hour), ms(-time.Hour)),
		fmt.Sprintf(`ENG-2 2 "Tidy up" https://linear.app/fake/issue/ENG-2/tidy-up eng-2-tidy-up "Backlog" backlog 0 -1 "" "" [] %d %d 0 0 0`,
			ms(-2*time.Hour), ms(-2*time.Hour)),
	}
	if !slices.Equal(rows, want) {
		t.Errorf("issues:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	if got := dump(t, e.st, false); !strings.Contains(got, "https://github.com/acme/web/pull/12 github") ||
		!strings.Contains(got, "https://acme.slack.com/archives/C1/p2 slack") || !strings.Contains(got, " ENG Engineering") {
		t.Errorf("teams or attachments missing:\n%s", got)
	}

	st := e.state(t, "ENG")
	if st.LastSuccessAt == nil || st.LastError != "" || !strings.Contains(st.Cursor, `"since":"2026-03-02T08:00:00Z"`) {
		t.Errorf("sync state %+v", st)
	}
	if rep.records["ENG"]["issues"] != 2 || rep.records["ENG"]["teams"] != 1 || rep.requests != 2 ||
		!slices.Equal(rep.scopes, []string{"ENG"}) {
		t.Errorf("reported scopes %v, records %v, %d requests; want ENG, 1 team, 2 issues, 2 requests",
			rep.scopes, rep.records, rep.requests)
	}
}
