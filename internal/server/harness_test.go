package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
	"github.com/veelocity/veelocity/internal/web"
)

// testPassword is the shared password of the secure sites the tests run.
const testPassword = "correct horse battery staple"

// secureSite is a whole server (API, pages, sign-in) in one AUTH_MODE, on a
// real database, with a sync engine whose syncs are counted.
type secureSite struct {
	*httptest.Server
	st     *store.Store
	cfg    *config.Config
	opts   Options
	logs   *syncBuffer
	syncs  *atomic.Int64
	eng    *syncer.Engine
	now    *clock
	rw, ro string // a read-write and a read-only API token
}

// clock is a settable time for sessions and the sign-in limit.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// newSecureSite serves mode; env adds settings (as the environment would).
// The server's URL is PUBLIC_URL.
func newSecureSite(t *testing.T, mode string, env map[string]string) *secureSite {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	vars := map[string]string{"AUTH_MODE": mode, "PUBLIC_URL": "http://" + srv.Listener.Addr().String(), "DEBUG": "true",
		"AUTH_PASSWORD_HASH": testHash}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Parse(func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.Mode == "" {
		cfg.Auth.Mode = config.AuthNone
	}
	s := &secureSite{Server: srv, st: storetest.New(t), cfg: cfg, logs: &syncBuffer{}, syncs: &atomic.Int64{},
		now: &clock{t: time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)}}
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.eng = syncer.New(syncer.Options{Store: s.st, Log: log, Connectors: []syncer.Connector{&synctest.Connector{Source: "github",
		SyncFunc: func(context.Context, syncer.Mode, syncer.Reporter) error { s.syncs.Add(1); return nil }}}})
	t.Cleanup(s.eng.Close)
	s.opts = Options{
		API:       api.New(api.Deps{Store: s.st, Config: cfg, Log: log, Sync: s.eng}),
		Pages:     web.New(web.Options{Store: s.st, Config: cfg, Sync: s.eng, Log: log}),
		Log:       log,
		Version:   "test",
		Auth:      auth.New(auth.Options{Mode: cfg.Auth.Mode, Config: cfg, Store: s.st, Log: log, Now: s.now.Now}),
		PublicURL: cfg.Auth.PublicURL,
	}
	srv.Config.Handler = Handler(s.opts)
	srv.Start()
	t.Cleanup(srv.Close)
	if mode != config.AuthNone {
		ctx := context.Background()
		if s.rw, err = auth.CreateToken(ctx, s.st, "ci", false, "test", s.now.Now()); err != nil {
			t.Fatal(err)
		}
		if s.ro, err = auth.CreateToken(ctx, s.st, "dashboards", true, "test", s.now.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// testHash is a bcrypt hash of testPassword at the lowest cost, so the
// many sign-ins of the tests stay fast (auth's tests check argon2id).
var testHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

// request is one request to a site.
type request struct {
	method, path string
	header       map[string]string
	body         string
}

// answer is a response, read.
type answer struct {
	status int
	header http.Header
	body   string
}

// do sends rq without following redirects, with client's cookies (nil: no
// cookies).
func (s *secureSite) do(t *testing.T, client *http.Client, rq request) answer {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequest(rq.method, s.URL+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = s.browser(t)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

// browser is a client with a cookie jar that does not follow redirects.
func (s *secureSite) browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// count returns the number of rows in table.
func (s *secureSite) count(t *testing.T, table string) string {
	return strings.Join(storetest.Strings(t, s.st, "SELECT count(*) FROM "+table), "")
}

// route is one served route: its method, a concrete path and its Access.
type route struct {
	method, pattern, path string
	access                api.Access
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// routes lists every route the site serves, from the route table, the
// pages and the sign-in flow: a route added later is walked too.
func (s *secureSite) routes(t *testing.T) []route {
	t.Helper()
	var out []route
	for p, a := range Patterns(s.opts) {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			t.Fatalf("pattern %q has no method", p)
		}
		path = strings.ReplaceAll(path, "{$}", "")
		path = pathParam.ReplaceAllString(path, "1")
		if strings.HasSuffix(path, "/static/") {
			path += "app.css"
		}
		out = append(out, route{method: method, pattern: p, path: path, access: a})
	}
	if len(out) < 30 {
		t.Fatalf("only %d routes found", len(out))
	}
	return out
}

func stateChanging(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// storetestRows reads one text column.
func storetestRows(t *testing.T, s *secureSite, query string) []string {
	return storetest.Strings(t, s.st, query)
}
