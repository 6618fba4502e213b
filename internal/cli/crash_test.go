package cli

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	stdlog "log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/fake/linearfake"
	"github.com/veelocity/veelocity/internal/fake/pagerdutyfake"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// newCrashProxy forwards requests to the fake at target, counting them in
// count and asking trigger, when set, before each one.
func newCrashProxy(t *testing.T, target string, count *atomic.Int64, trigger *atomic.Pointer[func(n int64) bool]) *httptest.Server {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	rp.ErrorLog = stdlog.New(io.Discard, "", 0) // a killed client's broken connections
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := count.Add(1)
		if fn := trigger.Load(); fn != nil && !(*fn)(n) {
			http.Error(w, "killed", http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// withHost replaces the scheme and host of raw with those of base.
func withHost(raw, base string) string {
	u, _ := url.Parse(raw)
	b, _ := url.Parse(base)
	u.Scheme, u.Host = b.Scheme, b.Host
	return u.String()
}

// buildBinary builds veelocity into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "veelocity")
	// go test puts its own go first on the PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/veelocity/veelocity/cmd/veelocity").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashRig is the fakes, behind counting proxies, and the binary.
type crashRig struct {
	bin   string
	env   []string
	count atomic.Int64
	// trigger is called with the run's request count before each request
	// is forwarded; it returns false when it killed the child.
	trigger atomic.Pointer[func(n int64) bool]
}

func newCrashRig(t *testing.T, bin string) *crashRig {
	r := &crashRig{bin: bin}
	gh := githubfake.New(githubfake.Options{})
	t.Cleanup(gh.Close)
	for i, name := range []string{"web", "api"} {
		repo := gh.AddRepo(&githubfake.Repo{Owner: "acme", Name: name})
		gh.Generate(repo, githubfake.Bulk{PullRequests: 12, MaxCommits: 3, MaxReviews: 2, MaxComments: 2, Runs: 10, Issues: 4, Seed: uint64(i + 1)})
	}
	ln := linearfake.New()
	t.Cleanup(ln.Close)
	if _, err := ln.Generate(linearfake.GenerateOptions{Teams: []string{"ENG", "OPS"}, IssuesPerTeam: 15, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	pd := pagerdutyfake.New()
	t.Cleanup(pd.Close)
	pd.AddService("PWEB", "Web")
	pd.AddService("POPS", "Ops")
	base := time.Now().UTC().Truncate(time.Hour)
	for i := range 6 {
		created := base.Add(-time.Duration(i*29+3) * time.Hour)
		in := pagerdutyfake.Incident{Service: []string{"PWEB", "POPS"}[i%2], Title: fmt.Sprint("incident ", i), CreatedAt: created}
		if i%3 != 0 {
			resolved := created.Add(90 * time.Minute)
			in.ResolvedAt = &resolved
		}
		pd.AddIncident(in)
	}

	ghProxy := newCrashProxy(t, gh.URL(), &r.count, &r.trigger)
	lnProxy := newCrashProxy(t, ln.URL(), &r.count, &r.trigger)
	pdProxy := newCrashProxy(t, pd.URL(), &r.count, &r.trigger)
	r.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "DEBUG=true", "SYNC_SINCE=365d",
		"GITHUB_TOKEN=" + gh.Token(), "GITHUB_REPOS=acme/web,acme/api",
		"GITHUB_API_URL=" + withHost(gh.URL(), ghProxy.URL), "GITHUB_GRAPHQL_URL=" + withHost(gh.GraphQLURL(), ghProxy.URL),
		"LINEAR_API_KEY=" + ln.Key(), "LINEAR_API_URL=" + withHost(ln.URL(), lnProxy.URL),
		"PAGERDUTY_API_KEY=" + pagerdutyfake.DefaultKey, "PAGERDUTY_SERVICES=PWEB=acme/web,POPS",
		"PAGERDUTY_API_URL=" + pdProxy.URL,
	}
	return r
}

// runResult is how one run of the binary ended.
type runResult struct {
	killed   bool
	exitCode int
	requests int64
	stderr   string
}

// run runs `veelocity sync` into dbURL. It kills the child (SIGKILL)
// before its killAt-th request when killAt > 0, or when it logs that
// derive started when killInDerive is set.
func (r *crashRig) run(t *testing.T, dbURL string, killAt int64, killInDerive bool) runResult {
	t.Helper()
	cmd := exec.Command(r.bin, "sync")
	cmd.Dir = t.TempDir()
	cmd.Env = append(slices.Clone(r.env), "DATABASE_URL="+dbURL)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	// mu orders the start of the child before any kill, which the proxy
	// goroutines may ask for.
	var mu sync.Mutex
	var proc *os.Process
	killed := false
	kill := func() {
		mu.Lock()
		defer mu.Unlock()
		if !killed && proc != nil {
			killed = proc.Kill() == nil
		}
	}
	r.count.Store(0)
	trigger := func(n int64) bool {
		if killAt > 0 && n >= killAt {
			kill()
			return false
		}
		return true
	}
	r.trigger.Store(&trigger)
	mu.Lock()
	err = cmd.Start()
	proc = cmd.Process
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if killInDerive && strings.Contains(line, "derive: started") {
			kill()
		}
		log.WriteString(line + "\n")
	}
	err = cmd.Wait()
	r.trigger.Store(nil)
	res := runResult{requests: r.count.Load(), stderr: log.String()}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		res.killed = true
		return res
	}
	res.exitCode = cmd.ProcessState.ExitCode()
	if err != nil && res.exitCode == 0 {
		t.Fatalf("run: %v", err)
	}
	return res
}

// TestKilledSyncEndsLikeAFaultFreeOne builds the binary and syncs GitHub,
// GitHub Actions, Linear and PagerDuty from the fakes, killing the process
// with SIGKILL at random requests and once during derive, then lets a last
// run finish: the database must equal that of a sync never interrupted,
// table by table.
func TestKilledSyncEndsLikeAFaultFreeOne(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	r := newCrashRig(t, bin)
	refURL := storetest.URL(t)
	ref := r.run(t, refURL, 0, false)
	if ref.killed || ref.exitCode != 0 {
		t.Fatalf("the fault-free sync: exit %d\n%s", ref.exitCode, ref.stderr)
	}
	want := dumpDatabase(t, storetest.Open(t, refURL))

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d; the fault-free sync made %d requests", seed, ref.requests)
	rng := rand.New(rand.NewPCG(seed, 1))
	url := storetest.URL(t)
	var kills []string
	// Runs killed at a random request, until five were killed; then one
	// killed as derive starts; then one left to finish.
	for i := 0; len(kills) < 5 && i < 20; i++ {
		at := 1 + rng.Int64N(max(ref.requests*2/3, 2))
		res := r.run(t, url, at, false)
		switch {
		case res.killed:
			kills = append(kills, fmt.Sprintf("at request %d", at))
		case res.exitCode != 0:
			t.Fatalf("run %d: exit %d\n%s", i, res.exitCode, res.stderr)
		}
	}
	res := r.run(t, url, 0, true)
	switch {
	case res.killed:
		kills = append(kills, "during derive")
	case res.exitCode != 0:
		t.Fatalf("the run to kill in derive: exit %d\n%s", res.exitCode, res.stderr)
	}
	t.Logf("killed %s", strings.Join(kills, ", "))
	if len(kills) < 5 {
		t.Fatalf("only %d runs were killed: %v", len(kills), kills)
	}
	last := r.run(t, url, 0, false)
	if last.killed || last.exitCode != 0 {
		t.Fatalf("the last run: exit %d\n%s", last.exitCode, last.stderr)
	}
	got := dumpDatabase(t, storetest.Open(t, url))
	for _, table := range crashTables {
		if !slices.Equal(got[table.name], want[table.name]) {
			t.Errorf("table %s differs from a fault-free sync (%d rows vs %d):\n%s", table.name,
				len(got[table.name]), len(want[table.name]), firstDiff(got[table.name], want[table.name]))
		}
	}
	// The comparison covers every source and the derived facts.
	for table, n := range map[string]int{"pull_requests": 24, "linear_issues": 30, "incidents": 6, "pr_facts": 24} {
		if len(want[table]) < n {
			t.Errorf("the fault-free sync stored %d rows of %s, want at least %d", len(want[table]), table, n)
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("  after the kills: %s\n  fault-free:      %s", x, y)
		}
	}
	return ""
}

// crashTables are the tables compared, with their references to other
// tables (column → table). Internal ids differ between databases (a
// PostgreSQL sequence advances in a transaction that is rolled back), so
// rows are compared by content, with each reference replaced by the
// content of the row it names. Columns the clock sets (recorded_at) are
// left out. sync_state, sync_runs, sync_lease, http_cache and app_state
// record when and how syncs ran, not data, and are not compared.
var crashTables = []struct {
	name string
	refs map[string]string
}{
	{"repositories", nil},
	{"pull_requests", map[string]string{"repo_id": "repositories"}},
	{"pr_reviews", map[string]string{"pr_id": "pull_requests"}},
	{"pr_comments", map[string]string{"pr_id": "pull_requests"}},
	{"commits", map[string]string{"pr_id": "pull_requests"}},
	{"workflows", map[string]string{"repo_id": "repositories"}},
	{"workflow_runs", map[string]string{"repo_id": "repositories", "workflow_id": "workflows"}},
	{"github_issues", map[string]string{"repo_id": "repositories"}},
	{"linear_teams", nil},
	{"linear_issues", map[string]string{"team_id": "linear_teams"}},
	{"linear_attachments", map[string]string{"issue_id": "linear_issues"}},
	{"deployments", map[string]string{"repo_id": "repositories", "workflow_run_id": "workflow_runs"}},
	{"incidents", map[string]string{"repo_id": "repositories", "deployment_id": "deployments"}},
	{"github_deployments", map[string]string{"repo_id": "repositories"}},
	{"github_deployment_statuses", map[string]string{"deployment_id": "github_deployments"}},
	{"pr_facts", map[string]string{"pr_id": "pull_requests", "repo_id": "repositories", "deployment_id": "deployments"}},
	{"pr_rollup", map[string]string{"repo_id": "repositories"}},
	{"pr_rollup_lags", nil},
	{"pr_rollup_author_lags", nil},
	{"pr_rollup_repo_lags", map[string]string{"repo_id": "repositories"}},
	{"linear_issue_prs", map[string]string{"issue_id": "linear_issues", "pr_id": "pull_requests"}},
	{"pr_mentions", map[string]string{"pr_id": "pull_requests"}},
}

var volatileColumns = map[string]bool{"recorded_at": true}

// dumpDatabase returns each compared table's rows as sorted text.
func dumpDatabase(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	content := map[string]map[int64]string{} // table → id → row text
	out := map[string][]string{}
	for _, table := range crashTables {
		rows, err := st.DB().Query(`SELECT * FROM ` + table.name)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		content[table.name] = map[int64]string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			var id int64
			for i, c := range cols {
				v := vals[i]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				switch {
				case c == "id":
					id = asInt(v)
					continue
				case volatileColumns[c]:
					continue
				case table.refs[c] != "":
					if v != nil {
						ref, ok := content[table.refs[c]][asInt(v)]
						if !ok {
							t.Fatalf("%s.%s = %v names no row of %s", table.name, c, v, table.refs[c])
						}
						v = "{" + ref + "}"
					}
				}
				fmt.Fprintf(&b, "%s=%v ", c, v)
			}
			if _, dup := content[table.name][id]; id != 0 && dup {
				t.Fatalf("%s: id %d twice", table.name, id)
			}
			content[table.name][id] = b.String()
			out[table.name] = append(out[table.name], b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(out[table.name])
	}
	return out
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case string:
		var n int64
		fmt.Sscan(x, &n)
		return n
	}
	var n sql.NullInt64
	n.Scan(v)
	return n.Int64
}
