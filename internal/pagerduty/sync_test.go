package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/fake/pagerdutyfake"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// now is the test clock: the fake and the connector agree on it.
var now = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

func at(days, hours float64) time.Time {
	return now.Add(time.Duration((days*24 + hours) * float64(time.Hour)))
}

func ptr(t time.Time) *time.Time { return &t }

type env struct {
	t      *testing.T
	fake   *pagerdutyfake.Server
	st     *store.Store
	cfg    *config.Config
	clock  time.Time
	sleeps []time.Duration
	mu     sync.Mutex
	opts   Options
}

// newEnv starts a fake with services PWEB (mapped to acme/web) and POPS
// (no repository) and a store, configured with vars on top of those.
func newEnv(t *testing.T, vars map[string]string) *env {
	t.Helper()
	e := &env{t: t, fake: pagerdutyfake.New(), st: storetest.New(t), clock: now}
	t.Cleanup(e.fake.Close)
	e.fake.SetClock(func() time.Time { return e.clock })
	e.fake.AddService("PWEB", "Web")
	e.fake.AddService("POPS", "Ops")
	e.fake.AddService("POTHER", "Not synced")
	base := map[string]string{
		"PAGERDUTY_API_KEY": pagerdutyfake.DefaultKey, "PAGERDUTY_SERVICES": "PWEB=acme/web,POPS",
		"PAGERDUTY_API_URL": e.fake.URL(), "SYNC_SINCE": "90d",
	}
	for k, v := range vars {
		base[k] = v
	}
	cfg, err := config.Parse(func(name string) (string, bool) { v, ok := base[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	return e
}

func (e *env) connector() *Connector {
	o := e.opts
	o.Now = func() time.Time { return e.clock }
	o.Client = NewClient(ClientOptions{URL: e.cfg.PagerDutyAPIURL, Key: e.cfg.PagerDutyAPIKey,
		Sleep: func(ctx context.Context, d time.Duration) error {
			e.mu.Lock()
			e.sleeps = append(e.sleeps, d)
			e.mu.Unlock()
			return ctx.Err()
		}})
	return NewConnector(e.cfg, e.st, o)
}

// reporter counts what a connector reports; it can cancel the sync at
// the nth request.
type reporter struct {
	mu       sync.Mutex
	scopes   []string
	records  int
	requests int
	cancelAt int
	cancel   context.CancelFunc
}

func (r *reporter) Scope(s string) { r.mu.Lock(); r.scopes = append(r.scopes, s); r.mu.Unlock() }
func (r *reporter) Records(kind string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if kind != "incidents" {
		panic("unexpected record kind " + kind)
	}
	r.records += n
}
func (r *reporter) Requests(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests += n
	if r.cancel != nil && r.requests >= r.cancelAt {
		r.cancel()
	}
}

func (e *env) sync(mode syncer.Mode) (*reporter, error) {
	rep := &reporter{}
	return rep, e.connector().Sync(context.Background(), mode, rep)
}

func (e *env) mustSync(mode syncer.Mode) *reporter {
	e.t.Helper()
	rep, err := e.sync(mode)
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return rep
}

// incidents renders the stored PagerDuty incidents, one line each.
func (e *env) incidents() []string {
	e.t.Helper()
	return storetest.Strings(e.t, e.st, `SELECT i.external_id || ' ' || COALESCE(r.full_name, '-') || ' ' || i.title || ' ' ||
		CAST(i.opened_at AS TEXT) || ' ' || COALESCE(CAST(i.resolved_at AS TEXT), 'open') || ' ' || i.url
		FROM incidents i LEFT JOIN repositories r ON r.id = i.repo_id WHERE i.source = 'pagerduty' ORDER BY i.external_id`)
}

func line(id, repo, title string, opened time.Time, resolved *time.Time) string {
	res := "open"
	if resolved != nil {
		res = fmt.Sprint(resolved.UnixMilli())
	}
	return fmt.Sprintf("%s %s %s %d %s https://acme.pagerduty.com/incidents/%s", id, repo, title, opened.UnixMilli(), res, id)
}

func TestSyncFromTheFake(t *testing.T) {
	e := newEnv(t, nil)
	web := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "Checkout down", CreatedAt: at(-3, 0),
		AcknowledgedAt: ptr(at(-3, 0.1)), ResolvedAt: ptr(at(-3, 2))})
	ops := e.fake.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: "Disk full", CreatedAt: at(-1, 0)})
	e.fake.AddIncident(pagerdutyfake.Incident{Service: "POTHER", Title: "Not ours", CreatedAt: at(-1, 0)})
	e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "Too old", CreatedAt: at(-91, 0)})

	rep := e.mustSync(syncer.Recent)
	want := []string{
		line(web, "acme/web", "Checkout down", at(-3, 0), ptr(at(-3, 2))),
		line(ops, "-", "Disk full", at(-1, 0), nil),
	}
	if got := e.incidents(); !slices.Equal(got, want) {
		t.Errorf("incidents:\n got %q\nwant %q", got, want)
	}
	if !slices.Equal(rep.scopes, []string{"PWEB", "POPS"}) || rep.records != 2 {
		t.Errorf("reported scopes %v, %d records", rep.scopes, rep.records)
	}
	reqs := e.fake.Requests()
	if rep.requests != len(reqs) {
		t.Errorf("reported %d requests, the fake received %d", rep.requests, len(reqs))
	}
	for _, r := range reqs {
		if r.Accept != "application/vnd.pagerduty+json;version=2" || r.Status != 200 {
			t.Errorf("%s %s?%s: Accept %q, status %d", r.Method, r.Path, r.Query, r.Accept, r.Status)
		}
		if r.Path != "/incidents" {
			continue
		}
		q, _ := url.ParseQuery(r.Query)
		if q.Get("since") == "" || q.Get("until") == "" || len(q["service_ids[]"]) != 1 || !slices.Equal(q["urgencies[]"], []string{"high"}) {
			t.Errorf("GET /incidents?%s: want since, until, one service_ids[] and urgencies[]=high", r.Query)
		}
	}
	for _, scope := range []string{"PWEB", "POPS"} {
		st, err := e.st.SyncState(context.Background(), Source, scope)
		if err != nil || st.LastSuccessAt == nil || st.Cursor == "" {
			t.Errorf("sync state of %s: %+v, %v", scope, st, err)
		}
	}
}

func TestPaginationAcrossPages(t *testing.T) {
	e := newEnv(t, nil)
	e.opts.PageSize = 2
	var want []string
	for i := range 5 {
		id := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: fmt.Sprint("i", i), CreatedAt: at(-10+float64(i), 0)})
		want = append(want, line(id, "acme/web", fmt.Sprint("i", i), at(-10+float64(i), 0), nil))
	}
	e.mustSync(syncer.Recent)
	if got := e.incidents(); !slices.Equal(got, want) {
		t.Errorf("incidents:\n got %q\nwant %q", got, want)
	}
	var offsets []string
	for _, r := range e.fake.Requests() {
		q, _ := url.ParseQuery(r.Query)
		if r.Path == "/incidents" && q.Get("service_ids[]") == "PWEB" {
			offsets = append(offsets, q.Get("limit")+"@"+q.Get("offset"))
		}
	}
	if !slices.Equal(offsets, []string{"2@0", "2@2", "2@4"}) {
		t.Errorf("pages (limit@offset) %v, want 2@0 2@2 2@4", offsets)
	}
}

// A long first sync lists the incidents in windows PagerDuty accepts
// (at most 6 months), each one page after the other.
func TestWindowsWithinPagerDutysRange(t *testing.T) {
	e := newEnv(t, map[string]string{"SYNC_SINCE": "400d"})
	old := e.fake.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: "old", CreatedAt: at(-380, 0)})
	mid := e.fake.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: "mid", CreatedAt: at(-200, 0)})
	e.mustSync(syncer.Recent)
	want := []string{line(old, "-", "old", at(-380, 0), nil), line(mid, "-", "mid", at(-200, 0), nil)}
	if got := e.incidents(); !slices.Equal(got, want) {
		t.Errorf("incidents:\n got %q\nwant %q", got, want)
	}
	for _, r := range e.fake.Requests() {
		if r.Status != 200 {
			t.Errorf("GET %s?%s: %d", r.Path, r.Query, r.Status)
		}
	}
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	e := newEnv(t, nil)
	id := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "x", CreatedAt: at(-2, 0)})
	e.fake.RateLimitNext(2, 7)
	e.mustSync(syncer.Recent)
	if got := e.incidents(); len(got) != 1 || !strings.HasPrefix(got[0], id) {
		t.Errorf("incidents %q", got)
	}
	if !slices.Equal(e.sleeps, []time.Duration{7 * time.Second, 7 * time.Second}) {
		t.Errorf("waited %v, want 7s twice (ratelimit-reset)", e.sleeps)
	}
	var limited int
	for _, r := range e.fake.Requests() {
		if r.Status == 429 {
			limited++
		}
	}
	if limited != 2 {
		t.Errorf("%d requests got 429, want 2", limited)
	}
}

func TestRateLimitThatLastsFailsTheService(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.RateLimitNext(100, 1)
	_, err := e.sync(syncer.Recent)
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v, want a RateLimitError", err)
	}
	st, _ := e.st.SyncState(context.Background(), Source, "PWEB")
	if !strings.Contains(st.LastError, "rate limit") {
		t.Errorf("PWEB's last error %q", st.LastError)
	}
}

func TestUrgencyFilter(t *testing.T) {
	for _, tc := range []struct {
		urgencies string
		want      []string
	}{{"", []string{"high"}}, {"low", []string{"low"}}, {"high,low", []string{"high", "low"}}} {
		t.Run(tc.urgencies, func(t *testing.T) {
			e := newEnv(t, map[string]string{"PAGERDUTY_URGENCIES": tc.urgencies})
			e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "high", Urgency: "high", CreatedAt: at(-2, 0)})
			e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "low", Urgency: "low", CreatedAt: at(-2, 1)})
			e.mustSync(syncer.Recent)
			got := storetest.Strings(t, e.st, `SELECT title FROM incidents ORDER BY title`)
			if !slices.Equal(got, tc.want) {
				t.Errorf("PAGERDUTY_URGENCIES=%q stored %v, want %v", tc.urgencies, got, tc.want)
			}
		})
	}
}

func TestUnmappedServiceGivesIncidentsOfNoRepository(t *testing.T) {
	e := newEnv(t, map[string]string{"PAGERDUTY_SERVICES": "POPS"})
	e.fake.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: "x", CreatedAt: at(-2, 0)})
	e.mustSync(syncer.Recent)
	if n := storetest.Strings(t, e.st, `SELECT CAST(count(*) AS TEXT) FROM incidents WHERE repo_id IS NULL AND source = 'pagerduty'`); n[0] != "1" {
		t.Errorf("%s incidents without a repository, want 1", n[0])
	}
	if n := storetest.Strings(t, e.st, `SELECT CAST(count(*) AS TEXT) FROM repositories`); n[0] != "0" {
		t.Errorf("%s repositories created, want 0", n[0])
	}
}

func TestResolutionTime(t *testing.T) {
	e := newEnv(t, nil)
	// The log's resolve entry wins over last_status_change_at.
	fromLog := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "log", CreatedAt: at(-5, 0),
		ResolvedAt: ptr(at(-5, 3)), LastStatusChangeAt: ptr(at(-4, 0))})
	// Without a resolve entry: last_status_change_at.
	fromStatus := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "status", CreatedAt: at(-5, 1),
		ResolvedAt: ptr(at(-5, 4)), LastStatusChangeAt: ptr(at(-5, 5)), NoResolveLogEntry: true})
	// Acknowledged is not resolved.
	acked := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "acked", CreatedAt: at(-5, 2),
		AcknowledgedAt: ptr(at(-5, 2.5))})
	e.mustSync(syncer.Recent)
	want := []string{
		line(fromLog, "acme/web", "log", at(-5, 0), ptr(at(-5, 3))),
		line(fromStatus, "acme/web", "status", at(-5, 1), ptr(at(-5, 5))),
		line(acked, "acme/web", "acked", at(-5, 2), nil),
	}
	if got := e.incidents(); !slices.Equal(got, want) {
		t.Errorf("incidents:\n got %q\nwant %q", got, want)
	}
}

// An incident stored while open is read again by the next sync, even
// though it was created before the cursor, and stored resolved.
func TestOpenIncidentsAreReadAgain(t *testing.T) {
	e := newEnv(t, nil)
	id := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "x", CreatedAt: at(-2, 0)})
	e.mustSync(syncer.Recent)
	e.clock = e.clock.Add(24 * time.Hour)
	e.fake.Resolve(id, at(0, 6))
	e.mustSync(syncer.Recent)
	want := []string{line(id, "acme/web", "x", at(-2, 0), ptr(at(0, 6)))}
	if got := e.incidents(); !slices.Equal(got, want) {
		t.Errorf("incidents:\n got %q\nwant %q", got, want)
	}
	// Resolved, it is no longer read again.
	before := len(e.fake.Requests())
	e.clock = e.clock.Add(time.Hour)
	e.mustSync(syncer.Recent)
	for _, r := range e.fake.Requests()[before:] {
		if r.Path == "/incidents/"+id {
			t.Errorf("a resolved incident was read again")
		}
	}
}

// dump renders the incidents and the sync cursors.
func (e *env) dump() string {
	e.t.Helper()
	inc := e.incidents()
	cur := storetest.Strings(e.t, e.st, `SELECT scope || ' ' || cursor FROM sync_state WHERE source = 'pagerduty' ORDER BY scope`)
	return strings.Join(inc, "\n") + "\n--\n" + strings.Join(cur, "\n")
}

func TestResyncChangesNothing(t *testing.T) {
	for _, mode := range []syncer.Mode{syncer.Recent, syncer.Full} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newEnv(t, nil)
			e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "a", CreatedAt: at(-3, 0), ResolvedAt: ptr(at(-3, 1))})
			e.fake.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: "b", CreatedAt: at(-2, 0)})
			e.mustSync(mode)
			before := e.dump()
			e.mustSync(mode)
			if after := e.dump(); after != before {
				t.Errorf("the second sync changed the data:\n%s\nthen\n%s", before, after)
			}
		})
	}
}

// A sync canceled at any request, run again, ends with the data of a sync
// that was never interrupted.
func TestInterruptedSyncResumes(t *testing.T) {
	seed := func(e *env) {
		for i := range 5 {
			var res *time.Time
			if i%2 == 0 {
				res = ptr(at(-10+float64(i), 1))
			}
			e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: fmt.Sprint("w", i), CreatedAt: at(-10+float64(i), 0), ResolvedAt: res})
			e.fake.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: fmt.Sprint("o", i), CreatedAt: at(-10+float64(i), 0.5)})
		}
	}
	ref := newEnv(t, nil)
	ref.opts.PageSize = 2
	seed(ref)
	ref.mustSync(syncer.Recent)
	want := ref.incidents()
	total := len(ref.fake.Requests())
	// Four cut points spread over the sync, from its first request on
	// (each is a fresh database, slow on PostgreSQL).
	for n := 1; n < total; n += max(1, (total+2)/4) {
		t.Run(fmt.Sprint("after ", n, " requests"), func(t *testing.T) {
			e := newEnv(t, nil)
			e.opts.PageSize = 2
			seed(e)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rep := &reporter{cancelAt: n, cancel: cancel}
			if err := e.connector().Sync(ctx, syncer.Recent, rep); err == nil {
				t.Fatal("the canceled sync succeeded")
			}
			e.mustSync(syncer.Recent)
			if got := e.incidents(); !slices.Equal(got, want) {
				t.Errorf("incidents:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestRejectedKey(t *testing.T) {
	e := newEnv(t, map[string]string{"PAGERDUTY_API_KEY": "wrong-key-123456"})
	_, err := e.sync(syncer.Recent)
	var auth *AuthError
	if !errors.As(err, &auth) || strings.Contains(err.Error(), "wrong-key-123456") {
		t.Fatalf("err = %v, want an AuthError without the key", err)
	}
	// The first service's failure stops the sync: the key is wrong for all.
	if n := len(e.fake.Requests()); n != 1 {
		t.Errorf("%d requests after a rejected key, want 1", n)
	}
	if err := e.connector().TestConnection(context.Background()); !errors.As(err, &auth) {
		t.Errorf("TestConnection: %v", err)
	}
}

// A PagerDuty incident follows the attribution rules: one of a mapped
// service is attributed to the latest deployment of its repository within
// INCIDENT_WINDOW, one of an unmapped service to that of any repository,
// and the deployment counts as failed.
func TestAttributionToADeployment(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	deploy := func(external, repo string, when time.Time) {
		if err := e.st.Tx(ctx, func(tx *store.Tx) error {
			id, err := tx.EnsureRepository(ctx, repo)
			if err != nil {
				return err
			}
			_, err = tx.UpsertDeployment(ctx, &model.Deployment{Source: model.SourceAPI, ExternalID: external, RepoID: id,
				Environment: "production", CreatedAt: when, DeployedAt: when})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	deploy("web-1", "acme/web", at(-6, 0))
	deploy("api-1", "acme/api", at(-5, 0)) // later, but another repository
	web := e.fake.AddIncident(pagerdutyfake.Incident{Service: "PWEB", Title: "web", CreatedAt: at(-4, 0), ResolvedAt: ptr(at(-4, 1))})
	ops := e.fake.AddIncident(pagerdutyfake.Incident{Service: "POPS", Title: "ops", CreatedAt: at(-4, 2)})
	e.mustSync(syncer.Recent)
	if _, err := derive.New(e.st, derive.OptionsFrom(e.cfg), nil).Run(ctx, derive.Incremental); err != nil {
		t.Fatal(err)
	}
	got := storetest.Strings(t, e.st, `SELECT i.external_id || ' ' || COALESCE(d.external_id, '-') || ' ' || CASE WHEN d.failed THEN 'failed' ELSE 'ok' END
		FROM incidents i LEFT JOIN deployments d ON d.id = i.deployment_id ORDER BY i.external_id`)
	want := []string{web + " web-1 failed", ops + " api-1 failed"}
	if !slices.Equal(got, want) {
		t.Errorf("attribution %q, want %q", got, want)
	}
}
