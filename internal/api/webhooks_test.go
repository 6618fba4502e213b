package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/github"
	"github.com/veelocity/veelocity/internal/server"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
)

// hookSecret is the webhook secret of the tests (GitHub's documentation
// uses this one in its example).
const hookSecret = "It's a Secret to Everybody"

// hookEnv is the real server with a real sync engine and targeted-sync
// queue over a fresh database.
type hookEnv struct {
	t     *testing.T
	ctx   context.Context
	store *store.Store
	cfg   *config.Config
	srv   *httptest.Server
	eng   *syncer.Engine
	queue *syncer.Queue
	// fire ends the queue's debounce, when the test holds it (manual).
	fire chan time.Time
}

// hookOptions shape a hookEnv.
type hookOptions struct {
	env map[string]string
	// conns builds the connectors, once the configuration is known.
	conns     func(cfg *config.Config, st *store.Store) []syncer.Connector
	afterSync func(ctx context.Context) error
	// manual holds the queue's debounce until the test fires it.
	manual bool
	// configure adjusts the configuration (pointing it at a fake).
	configure func(cfg *config.Config)
}

func newHookEnv(t *testing.T, o hookOptions) *hookEnv {
	t.Helper()
	env := map[string]string{"GITHUB_WEBHOOK_SECRET": hookSecret, "LINEAR_WEBHOOK_SECRET": hookSecret}
	for k, v := range o.env {
		env[k] = v
	}
	cfg, err := config.Parse(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok && v != ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.configure != nil {
		o.configure(cfg)
	}
	e := &hookEnv{t: t, ctx: context.Background(), store: storetest.New(t), cfg: cfg}
	log := slog.New(slog.DiscardHandler)
	var conns []syncer.Connector
	if o.conns != nil {
		conns = o.conns(cfg, e.store)
	}
	e.eng = syncer.New(syncer.Options{Store: e.store, Connectors: conns, Log: log, AfterSync: o.afterSync})
	t.Cleanup(e.eng.Close)
	qo := syncer.QueueOptions{Engine: e.eng, Debounce: time.Millisecond, Log: log}
	if o.manual {
		e.fire = make(chan time.Time)
		qo.After = func(time.Duration) <-chan time.Time { return e.fire }
	}
	e.queue = syncer.NewQueue(qo)
	t.Cleanup(e.queue.Close)
	a := api.New(api.Deps{Store: e.store, Config: cfg, Log: log, Sync: e.eng, Targeted: e.queue})
	t.Cleanup(a.Close)
	e.srv = httptest.NewServer(server.Handler(server.Options{API: a, Log: log}))
	t.Cleanup(e.srv.Close)
	return e
}

// delivery is one webhook request.
type delivery struct {
	path        string
	headers     map[string]string
	contentType string
	body        string
	// sig is the signature header's value; "" computes the right one,
	// "-" sends none.
	sig string
}

// hubSignature is GitHub's X-Hub-Signature-256 value for body.
func hubSignature(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// linearSignature is Linear's Linear-Signature value for body.
func linearSignature(secret, body string) string {
	return strings.TrimPrefix(hubSignature(secret, body), "sha256=")
}

// github is a GitHub delivery of event with payload.
func ghDelivery(event, id, payload string) delivery {
	return delivery{path: "/api/v1/webhooks/github", contentType: "application/json", body: payload,
		headers: map[string]string{"X-GitHub-Event": event, "X-GitHub-Delivery": id, "User-Agent": "GitHub-Hookshot/044aadd"}}
}

// send posts d and returns the status and the decoded answer.
func (e *hookEnv) send(d delivery) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+d.path, strings.NewReader(d.body))
	if err != nil {
		e.t.Fatal(err)
	}
	if d.contentType != "" {
		req.Header.Set("Content-Type", d.contentType)
	}
	for k, v := range d.headers {
		req.Header.Set(k, v)
	}
	sigHeader, sig := "X-Hub-Signature-256", hubSignature(hookSecret, d.body)
	if strings.HasSuffix(d.path, "/linear") {
		sigHeader, sig = "Linear-Signature", linearSignature(hookSecret, d.body)
	}
	switch d.sig {
	case "":
		req.Header.Set(sigHeader, sig)
	case "-":
	default:
		req.Header.Set(sigHeader, d.sig)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		e.t.Fatalf("POST %s: %d, not JSON: %s", d.path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

// waitQueue waits until the targeted syncs asked for have run.
func (e *hookEnv) waitQueue() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	if err := e.queue.Wait(ctx); err != nil {
		e.t.Fatalf("waiting for the targeted syncs: %v", err)
	}
}

func (e *hookEnv) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.store.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// webhookRuns returns the sync runs a webhook triggered, per source.
func (e *hookEnv) webhookRuns() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, s := range storetest.Strings(e.t, e.store, `SELECT source FROM sync_runs WHERE triggered_by = 'webhook'`) {
		out[s]++
	}
	return out
}

// repoJSON is a webhook payload's repository object, as GitHub documents it
// (a subset of its fields).
func repoJSON(full string) string {
	owner, name, _ := strings.Cut(full, "/")
	return fmt.Sprintf(`{"id":186853002,"node_id":"MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=","name":%q,"full_name":%q,"private":false,
		"owner":{"login":%q,"id":21031067,"type":"Organization"},"html_url":"https://github.com/%s","default_branch":"main"}`,
		name, full, owner, full)
}

// prPayload is a pull_request event payload in the shape GitHub documents.
func prPayload(action, repo string, number int, merged bool) string {
	mergedAt := "null"
	state := "open"
	if merged {
		mergedAt, state = `"2026-03-31T11:00:00Z"`, "closed"
	}
	return fmt.Sprintf(`{"action":%q,"number":%d,"pull_request":{"url":"https://api.github.com/repos/%s/pulls/%d","id":279147437,
		"number":%d,"state":%q,"locked":false,"title":"Update the README","user":{"login":"octocat","id":1},
		"created_at":"2026-03-30T15:20:33Z","updated_at":"2026-03-31T11:00:00Z","closed_at":%s,"merged_at":%s,"merged":%t,
		"merge_commit_sha":"c4295bd74fb0f4fda03689c3df3f2803b658fd85","head":{"ref":"changes","sha":"ec26c3e57ca3a959ca5aad62de7213c562f8c821"},
		"base":{"ref":"main","sha":"f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}},"repository":%s,"sender":{"login":"octocat","id":1}}`,
		action, number, repo, number, number, state, mergedAt, mergedAt, merged, repoJSON(repo))
}

// runPayload is a workflow_run event payload in the shape GitHub documents.
func runPayload(repo string) string {
	return fmt.Sprintf(`{"action":"completed","workflow_run":{"id":30433642,"name":"Deploy","head_branch":"main",
		"head_sha":"acb5820ced9479c074f688cc328bf03f341a511d","run_number":562,"event":"push","status":"completed","conclusion":"success",
		"workflow_id":159038,"created_at":"2026-03-31T11:00:00Z","updated_at":"2026-03-31T11:05:00Z"},
		"workflow":{"id":159038,"name":"Deploy","path":".github/workflows/deploy.yml","state":"active"},
		"repository":%s,"sender":{"login":"octocat","id":1}}`, repoJSON(repo))
}

// pingPayload is a ping event payload; repo "" makes an organisation's.
func pingPayload(repo string) string {
	where := `"organization":{"login":"acme","id":1}`
	if repo != "" {
		where = `"repository":` + repoJSON(repo)
	}
	return fmt.Sprintf(`{"zen":"Design for failure.","hook_id":109948940,"hook":{"type":"Repository","id":109948940,"active":true,
		"events":["pull_request","workflow_run"],"config":{"content_type":"json","insecure_ssl":"0","url":"https://veelocity.example.com/api/v1/webhooks/github"}},
		%s,"sender":{"login":"octocat","id":1}}`, where)
}

// recordingConnectors are stand-ins for the GitHub-side sources that record
// the scopes each sync was restricted to.
type recordingConnectors struct {
	mu     sync.Mutex
	scopes map[string][][]string // per source, per sync
	// block, when set, holds every sync until it is closed.
	block chan struct{}
}

func (rc *recordingConnectors) build(*config.Config, *store.Store) []syncer.Connector {
	var out []syncer.Connector
	for _, source := range []string{"github", "actions", "linear"} {
		out = append(out, &synctest.Connector{Source: source, SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
			if rc.block != nil {
				select {
				case <-rc.block:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			all := []string{"acme/web", "acme/api", "acme/docs", "ENG", "OPS"}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if rc.scopes == nil {
				rc.scopes = map[string][][]string{}
			}
			rc.scopes[source] = append(rc.scopes[source], syncer.OnlyScopes(ctx, all))
			return nil
		}})
	}
	return out
}

func (rc *recordingConnectors) synced(source string) [][]string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.scopes[source])
}

func TestGitHubWebhookEvents(t *testing.T) {
	rc := &recordingConnectors{}
	e := newHookEnv(t, hookOptions{conns: rc.build})
	form := ghDelivery("pull_request", "form-1", "payload="+url.QueryEscape(prPayload("opened", "acme/api", 7, false)))
	form.contentType = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name   string
		d      delivery
		status int
		want   string // the answer's status
		syncs  []string
	}{
		{"repository ping", ghDelivery("ping", "p-1", pingPayload("acme/web")), 200, "pong", nil},
		{"organisation ping", ghDelivery("ping", "p-2", pingPayload("")), 200, "pong", nil},
		{"event not used", ghDelivery("star", "s-1", `{"action":"created","repository":`+repoJSON("acme/web")+`}`), 202, "ignored", nil},
		{"merged pull request", ghDelivery("pull_request", "d-1", prPayload("closed", "acme/web", 2, true)), 202, "scheduled", []string{"github"}},
		{"the same delivery again", ghDelivery("pull_request", "d-1", prPayload("closed", "acme/web", 2, true)), 200, "duplicate", nil},
		{"workflow run", ghDelivery("workflow_run", "d-2", runPayload("acme/web")), 202, "scheduled", []string{"actions"}},
		{"form-encoded delivery", form, 202, "scheduled", []string{"github"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := e.send(tc.d)
			if status != tc.status || out["status"] != tc.want {
				t.Fatalf("%d %v, want %d %s", status, out, tc.status, tc.want)
			}
			var syncs []string
			if s, ok := out["syncs"].([]any); ok {
				for _, v := range s {
					syncs = append(syncs, v.(string))
				}
			}
			if !slices.Equal(syncs, tc.syncs) {
				t.Errorf("syncs %v, want %v", syncs, tc.syncs)
			}
		})
	}
	e.waitQueue()
	// Only acted-on deliveries are stored, once each.
	if n := e.count("webhook_deliveries"); n != 3 {
		t.Errorf("%d deliveries stored, want 3", n)
	}
	// The syncs were restricted to the repositories the deliveries named.
	var github, actions []string
	for _, s := range rc.synced("github") {
		github = append(github, s...)
	}
	for _, s := range rc.synced("actions") {
		actions = append(actions, s...)
	}
	slices.Sort(github)
	github = slices.Compact(github)
	if !slices.Equal(github, []string{"acme/api", "acme/web"}) || !slices.Equal(slices.Compact(actions), []string{"acme/web"}) {
		t.Errorf("targeted syncs: github %v, actions %v", rc.synced("github"), rc.synced("actions"))
	}
	if n := len(rc.synced("linear")); n != 0 {
		t.Errorf("a GitHub delivery synced Linear %d times", n)
	}
}

// TestGitHubWebhookRefusals checks that what is not a valid signed delivery
// is refused with a 4xx naming the header or field, and stores and syncs
// nothing.
func TestGitHubWebhookRefusals(t *testing.T) {
	rc := &recordingConnectors{}
	e := newHookEnv(t, hookOptions{conns: rc.build})
	good := prPayload("closed", "acme/web", 2, true)
	with := func(d delivery, fn func(d *delivery)) delivery {
		d.headers = maps(d.headers)
		fn(&d)
		return d
	}
	base := ghDelivery("pull_request", "r-1", good)
	for _, tc := range []struct {
		name   string
		d      delivery
		status int
		field  string
	}{
		{"unsigned", with(base, func(d *delivery) { d.sig = "-" }), 401, "X-Hub-Signature-256:"},
		{"signed with another secret", with(base, func(d *delivery) { d.sig = hubSignature("guess", good) }), 401, "X-Hub-Signature-256:"},
		{"signature without its sha256= prefix", with(base, func(d *delivery) { d.sig = strings.TrimPrefix(hubSignature(hookSecret, good), "sha256=") }), 401, "X-Hub-Signature-256:"},
		{"sha1 signature only", with(base, func(d *delivery) { d.sig = "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6" }), 401, "X-Hub-Signature-256:"},
		{"signature not hex", with(base, func(d *delivery) { d.sig = "sha256=zz" }), 401, "X-Hub-Signature-256:"},
		{"body changed after signing", with(base, func(d *delivery) {
			d.sig = hubSignature(hookSecret, good)
			d.body = strings.Replace(good, "acme/web", "acme/api", 1)
		}), 401, "X-Hub-Signature-256:"},
		{"no event header", with(base, func(d *delivery) { delete(d.headers, "X-GitHub-Event") }), 400, "X-GitHub-Event:"},
		{"no delivery header", with(base, func(d *delivery) { delete(d.headers, "X-GitHub-Delivery") }), 400, "X-GitHub-Delivery:"},
		{"not JSON", with(base, func(d *delivery) { d.body = "{not json" }), 400, "payload:"},
		{"no repository", with(base, func(d *delivery) { d.body = `{"action":"closed","number":2}` }), 400, "repository:"},
		{"repository name malformed", with(base, func(d *delivery) { d.body = `{"repository":{"full_name":"acme web"}}` }), 400, "repository.full_name:"},
		{"repository of the wrong type", with(base, func(d *delivery) { d.body = `{"repository":{"full_name":7}}` }), 400, "repository.full_name:"},
		{"plain text", with(base, func(d *delivery) { d.contentType = "text/plain" }), 415, "Content-Type:"},
		{"form without payload", with(base, func(d *delivery) {
			d.contentType, d.body = "application/x-www-form-urlencoded", "zen=1"
		}), 400, "payload:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := e.send(tc.d)
			msg, _ := out["error"].(string)
			if status != tc.status || !strings.HasPrefix(msg, tc.field) {
				t.Errorf("%d %q, want %d %s…", status, msg, tc.status, tc.field)
			}
		})
	}
	e.waitQueue()
	if n := e.count("webhook_deliveries"); n != 0 {
		t.Errorf("refused deliveries stored %d rows", n)
	}
	if runs := e.webhookRuns(); len(runs) != 0 {
		t.Errorf("refused deliveries started syncs: %v", runs)
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestWebhooksOffWithoutSecret checks that without a secret the endpoints
// answer 404, saying what to set.
func TestWebhooksOffWithoutSecret(t *testing.T) {
	e := newHookEnv(t, hookOptions{env: map[string]string{"GITHUB_WEBHOOK_SECRET": "", "LINEAR_WEBHOOK_SECRET": ""}})
	for path, variable := range map[string]string{"/api/v1/webhooks/github": "GITHUB_WEBHOOK_SECRET", "/api/v1/webhooks/linear": "LINEAR_WEBHOOK_SECRET"} {
		d := ghDelivery("pull_request", "x-1", prPayload("closed", "acme/web", 2, true))
		d.path = path
		status, out := e.send(d)
		if msg, _ := out["error"].(string); status != 404 || !strings.Contains(msg, variable) {
			t.Errorf("%s without a secret: %d %v", path, status, out)
		}
	}
	if n := e.count("webhook_deliveries"); n != 0 {
		t.Errorf("%d deliveries stored with webhooks off", n)
	}
}

// TestWebhookBurstCostsOneSync sends a burst of deliveries within one
// debounce window: they make one targeted sync, restricted to the
// repositories they name.
func TestWebhookBurstCostsOneSync(t *testing.T) {
	rc := &recordingConnectors{}
	e := newHookEnv(t, hookOptions{conns: rc.build, manual: true})
	for i, repo := range []string{"acme/web", "acme/api", "acme/web", "acme/web", "acme/api"} {
		if status, out := e.send(ghDelivery("pull_request", fmt.Sprintf("b-%d", i), prPayload("synchronize", repo, i+1, false))); status != 202 {
			t.Fatalf("delivery %d: %d %v", i, status, out)
		}
	}
	e.fire <- time.Now()
	e.waitQueue()
	if got := rc.synced("github"); len(got) != 1 || !slices.Equal(got[0], []string{"acme/web", "acme/api"}) {
		t.Errorf("five deliveries made syncs %v, want one of acme/web and acme/api", got)
	}
	if runs := e.webhookRuns(); runs["github"] != 1 || len(runs) != 1 {
		t.Errorf("sync runs triggered by the webhook: %v", runs)
	}
}

// TestWebhookAnswersWhileSyncAndDeriveAreHeld holds the sync lease (a sync
// blocked in its connector) and the derive lock, and shows that deliveries
// are still answered; the targeted sync queues behind the running one and
// runs once it ends.
func TestWebhookAnswersWhileSyncAndDeriveAreHeld(t *testing.T) {
	rc := &recordingConnectors{block: make(chan struct{})}
	var deriveLock sync.Mutex
	e := newHookEnv(t, hookOptions{conns: rc.build, manual: true, afterSync: func(context.Context) error {
		deriveLock.Lock()
		defer deriveLock.Unlock()
		return nil
	}})
	deriveLock.Lock()
	if _, err := e.eng.Start(syncer.Request{Mode: syncer.Full, Trigger: syncer.TriggerAPI}); err != nil {
		t.Fatal(err)
	}
	if held, ok, err := e.store.SyncLeaseHolder(e.ctx, time.Now()); err != nil || !ok {
		t.Fatalf("the sync lease is not held: %+v %v %v", held, ok, err)
	}
	var slowest time.Duration // reported, not asserted: the machine is shared
	for i := range 3 {
		began := time.Now()
		status, out := e.send(ghDelivery("workflow_run", fmt.Sprintf("h-%d", i), runPayload("acme/docs")))
		slowest = max(slowest, time.Since(began))
		if status != 202 || out["status"] != "scheduled" {
			t.Fatalf("delivery %d while a sync runs: %d %v", i, status, out)
		}
	}
	t.Logf("3 GitHub deliveries answered while the sync lease and the derive lock were held; the slowest in %v", slowest)
	if !e.eng.Running() {
		t.Fatal("the sync ended while the test held it")
	}
	// Linear too.
	status, out := e.send(linearDelivery("l-h", issuePayload(time.Now(), "ENG")))
	if status != 202 {
		t.Fatalf("Linear delivery while a sync runs: %d %v", status, out)
	}
	// The debounce ends while the sync still runs: the targeted sync
	// queues behind it.
	e.fire <- time.Now()
	close(rc.block)
	deriveLock.Unlock()
	e.waitQueue()
	if got := rc.synced("actions"); len(got) != 2 || len(got[0]) != 5 || !slices.Equal(got[1], []string{"acme/docs"}) {
		t.Errorf("actions syncs %v, want the full one, then one of acme/docs", got)
	}
	if got := rc.synced("linear"); len(got) != 2 || !slices.Equal(got[1], []string{"ENG"}) {
		t.Errorf("linear syncs %v, want the full one, then one of ENG", got)
	}
}

// TestGitHubWebhookMergedPREndToEnd syncs a repository from the fake GitHub,
// merges a new pull request there, and delivers its pull_request event: the
// targeted sync the delivery schedules brings the PR into the metrics, with
// no periodic sync.
func TestGitHubWebhookMergedPREndToEnd(t *testing.T) {
	f := githubfake.New(githubfake.Options{})
	t.Cleanup(f.Close)
	now := time.Now().UTC()
	repo := f.AddRepo(&githubfake.Repo{Owner: "acme", Name: "web"})
	merged := func(title string, at time.Time) *githubfake.PullRequest {
		return &githubfake.PullRequest{Title: title, State: githubfake.Merged, Author: githubfake.User("octocat"),
			HeadRef: "feature", HeadSHA: fmt.Sprintf("%040x", at.UnixNano()), MergeCommitSHA: fmt.Sprintf("%040x", at.UnixNano()+1),
			CreatedAt: at.Add(-2 * time.Hour), UpdatedAt: at, MergedAt: &at, ClosedAt: &at}
	}
	f.AddPullRequest(repo, merged("first", now.Add(-48*time.Hour)))
	var der *derive.Deriver
	e := newHookEnv(t, hookOptions{
		configure: f.Configure,
		conns: func(cfg *config.Config, st *store.Store) []syncer.Connector {
			der = derive.New(st, derive.OptionsFrom(cfg), nil)
			gh := github.Deps{Config: cfg, Store: st}
			return []syncer.Connector{github.NewConnector(gh), github.NewActionsConnector(gh)}
		},
		afterSync: func(ctx context.Context) error {
			_, err := der.Run(ctx, derive.Incremental)
			return err
		},
	})
	if _, err := e.eng.Run(e.ctx, syncer.Request{Mode: syncer.Recent, Trigger: syncer.TriggerCLI}); err != nil {
		t.Fatal(err)
	}
	throughput := func() int {
		var out struct{ Total int }
		status, b := e.get("/api/v1/metrics/development/throughput")
		if err := json.Unmarshal(b, &out); status != 200 || err != nil {
			t.Fatalf("throughput: %d %s", status, b)
		}
		return out.Total
	}
	if n := throughput(); n != 1 {
		t.Fatalf("after the first sync, throughput %d, want 1", n)
	}
	pr := f.AddPullRequest(repo, merged("second", now.Add(-time.Minute)))
	if n := throughput(); n != 1 {
		t.Fatalf("before the delivery, throughput %d, want 1", n)
	}
	status, out := e.send(ghDelivery("pull_request", "e2e-1", prPayload("closed", "acme/web", pr.Number, true)))
	if status != 202 || out["status"] != "scheduled" {
		t.Fatalf("delivery: %d %v", status, out)
	}
	e.waitQueue()
	if n := throughput(); n != 2 {
		t.Errorf("after the delivery, throughput %d, want 2: the merged PR is not in the metrics", n)
	}
	if runs := e.webhookRuns(); runs["github"] != 1 {
		t.Errorf("webhook-triggered runs %v, want one github sync", runs)
	}
}

func (e *hookEnv) get(path string) (int, []byte) {
	e.t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
