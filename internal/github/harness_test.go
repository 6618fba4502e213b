package github

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/httpapi"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// t0 is the tests' "now".
var t0 = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

// clock is a fake clock whose Sleep records the wait and moves time on
// at once, so waits are asserted exactly and cost nothing.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
	// tick, if set, is how far each reading moves the clock: time passes
	// as the sync works.
	tick time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.tick)
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// reporter collects what a connector reports.
type reporter struct {
	mu       sync.Mutex
	requests int
	records  map[string]int
	scopes   []string
}

func (r *reporter) Scope(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scopes = append(r.scopes, s)
}

func (r *reporter) Records(kind string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.records == nil {
		r.records = map[string]int{}
	}
	r.records[kind] += n
}

func (r *reporter) Requests(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests += n
}

// env is a fake GitHub, a fresh database, and both connectors wired to
// them with a fake clock and a DEBUG log captured in a buffer.
type env struct {
	t       *testing.T
	fake    *githubfake.Server
	store   *store.Store
	cfg     *config.Config
	clock   *clock
	client  *Client
	github  *Connector
	actions *ActionsConnector
	logs    *syncBuffer
	// sleep, if set, replaces the clock's Sleep in the client: retries
	// then leave the fake's clock (and so its answers) alone.
	sleep func(context.Context, time.Duration) error
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv returns an env with a database; tests using it run in parallel.
func newEnv(t *testing.T, repos ...string) *env {
	t.Helper()
	t.Parallel()
	return newSerialEnv(t, repos...)
}

// newSerialEnv is newEnv for a test that makes more than one env.
func newSerialEnv(t *testing.T, repos ...string) *env {
	t.Helper()
	e := newFakeEnv(t, repos...)
	e.store = storetest.New(t)
	e.store.SetClock(e.clock.Now)
	e.rebuild()
	return e
}

// newFakeEnv returns an env without a database, for client tests.
func newFakeEnv(t *testing.T, repos ...string) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: t0}, logs: &syncBuffer{}}
	e.fake = githubfake.New(githubfake.Options{Now: e.clock.Now})
	t.Cleanup(e.fake.Close)
	for _, r := range repos {
		owner, name, _ := strings.Cut(r, "/")
		e.fake.AddRepo(&githubfake.Repo{Owner: owner, Name: name, Description: "The " + name + " service"})
	}
	e.cfg = &config.Config{SyncSince: 365 * 24 * time.Hour, IncidentLabels: []string{"incident"}, GitHubRepos: repos}
	e.fake.Configure(e.cfg)
	e.rebuild()
	return e
}

// rebuild makes new connectors from e.cfg, as a restarted process would.
func (e *env) rebuild() {
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sleep := e.clock.Sleep
	if e.sleep != nil {
		sleep = e.sleep
	}
	e.client = NewClient(ClientOptions{RESTURL: e.cfg.GitHubAPIURL, GraphQLURL: e.cfg.GitHubGraphQLURL, Token: e.cfg.GitHubToken,
		App: AppFromConfig(e.cfg), Options: httpapi.Options{Log: log, Now: e.clock.Now, Sleep: sleep, Jitter: func() float64 { return 1 }}})
	d := Deps{Config: e.cfg, Store: e.store, Client: e.client, Log: log, Now: e.clock.Now}
	e.github, e.actions = NewConnector(d), NewActionsConnector(d)
}

// sync runs one connector and returns what it reported and its error.
func (e *env) sync(c syncer.Connector, mode syncer.Mode) (*reporter, error) {
	e.t.Helper()
	rep := &reporter{}
	err := c.Sync(context.Background(), mode, rep)
	if bad := e.fake.GraphQLErrors(); len(bad) > 0 {
		e.t.Fatalf("the fake got invalid GraphQL: %v", bad)
	}
	return rep, err
}

// mustSync runs a connector and fails the test on error.
func (e *env) mustSync(c syncer.Connector, mode syncer.Mode) *reporter {
	e.t.Helper()
	rep, err := e.sync(c, mode)
	if err != nil {
		e.t.Fatalf("%s sync: %v", c.Name(), err)
	}
	return rep
}

// dumpQueries select every synced table by natural keys (never internal
// ids, which differ between runs on PostgreSQL), without the derive
// step's dirty flags and the sync bookkeeping timestamps.
var dumpQueries = map[string]string{
	"repositories": `SELECT full_name, github_id, default_branch, description, html_url, private, archived, created_at, updated_at
		FROM repositories ORDER BY full_name_key`,
	"pull_requests": `SELECT r.full_name, p.number, p.node_id, p.title, p.body, p.state, p.draft, p.author_login, p.head_branch,
		p.base_branch, p.head_sha, p.merge_commit_sha, p.additions, p.deletions, p.changed_files, p.commit_count, p.labels,
		p.html_url, p.created_at, p.updated_at, p.merged_at, p.closed_at, p.ready_at
		FROM pull_requests p JOIN repositories r ON r.id = p.repo_id ORDER BY r.full_name, p.number`,
	"pr_reviews": `SELECT p.number, v.github_id, v.author_login, v.state, v.body, v.html_url, v.submitted_at
		FROM pr_reviews v JOIN pull_requests p ON p.id = v.pr_id ORDER BY v.github_id`,
	"pr_comments": `SELECT p.number, c.github_id, c.kind, c.author_login, c.body, c.html_url, c.created_at, c.updated_at
		FROM pr_comments c JOIN pull_requests p ON p.id = c.pr_id ORDER BY c.github_id`,
	"commits": `SELECT p.number, c.sha, c.message_headline, c.author_login, c.author_name, c.authored_at, c.committed_at
		FROM commits c JOIN pull_requests p ON p.id = c.pr_id ORDER BY p.number, c.sha`,
	"workflows": `SELECT r.full_name, w.github_id, w.name, w.path, w.state, w.html_url, w.created_at, w.updated_at
		FROM workflows w JOIN repositories r ON r.id = w.repo_id ORDER BY w.github_id`,
	"workflow_runs": `SELECT r.full_name, w.github_id, x.github_id, x.name, x.run_number, x.run_attempt, x.event, x.status,
		x.conclusion, x.head_sha, x.head_branch, x.html_url, x.created_at, x.run_started_at, x.updated_at
		FROM workflow_runs x JOIN workflows w ON w.id = x.workflow_id JOIN repositories r ON r.id = x.repo_id ORDER BY x.github_id`,
	"github_issues": `SELECT r.full_name, i.github_id, i.number, i.title, i.state, i.labels, i.html_url, i.created_at, i.updated_at, i.closed_at
		FROM github_issues i JOIN repositories r ON r.id = i.repo_id ORDER BY i.github_id`,
	"sync_state": `SELECT source, scope, cursor, last_error FROM sync_state ORDER BY source, scope`,
	"http_cache": `SELECT key, etag FROM http_cache ORDER BY key`,
}

// dump returns every synced table as text rows.
func (e *env) dump() map[string][]string {
	e.t.Helper()
	out := map[string][]string{}
	for table, q := range dumpQueries {
		rows, err := e.store.DB().Query(q)
		if err != nil {
			e.t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				switch x := v.(type) {
				case []byte:
					v = string(x)
				case bool: // SQLite has no booleans: print both engines' alike
					v = map[bool]int{false: 0, true: 1}[x]
				}
				fmt.Fprintf(&b, "%v", v)
				if i < len(vals)-1 {
					b.WriteString(" | ")
				}
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
	}
	return out
}

// count returns the number of rows of a table.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.store.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// diffDumps describes how two dumps differ, or returns "".
func diffDumps(a, b map[string][]string) string {
	var out strings.Builder
	for table := range dumpQueries {
		x, y := a[table], b[table]
		if len(x) != len(y) {
			fmt.Fprintf(&out, "%s: %d rows vs %d rows\n", table, len(x), len(y))
			continue
		}
		for i := range x {
			if x[i] != y[i] {
				fmt.Fprintf(&out, "%s row %d:\n  %s\n  %s\n", table, i, x[i], y[i])
				break
			}
		}
	}
	return out.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
