package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
	"github.com/veelocity/veelocity/internal/syncer/synctest"
)

const syncTestToken = "ghp_cliPlantedToken0123456789abcdef"

// withConnectors makes sync run the connectors conns returns.
func withConnectors(t *testing.T, conns func(st *store.Store) []syncer.Connector) {
	t.Helper()
	orig := connectorsFor
	connectorsFor = func(cfg *config.Config, st *store.Store, log *slog.Logger) []syncer.Connector { return conns(st) }
	t.Cleanup(func() { connectorsFor = orig })
}

func syncDir(t *testing.T, dotenv string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSyncWithNothingConfiguredSaysWhatToSet(t *testing.T) {
	tests := []struct {
		dotenv string
		args   []string
		want   []string
	}{
		{"", nil, []string{"no source is configured", "GITHUB_TOKEN", "GITHUB_REPOS", "LINEAR_API_KEY"}},
		{"GITHUB_TOKEN=" + syncTestToken + "\n", []string{"--source", "github"}, []string{"github is not configured: GITHUB_REPOS is not set"}},
		{"GITHUB_TOKEN=" + syncTestToken + "\nGITHUB_REPOS=acme/web\n", []string{"--source", "linear"}, []string{"linear is not configured: LINEAR_API_KEY is not set"}},
		{"", []string{"--source", "gitlab"}, []string{`unknown --source "gitlab"`, "github, actions, linear"}},
		{"", []string{"now"}, []string{`unexpected argument "now"`}},
	}
	for _, tc := range tests {
		dir := syncDir(t, tc.dotenv)
		db := filepath.Join(dir, "v.db")
		code, stdout, stderr := runCLI(t, dir, append([]string{"sync", "--database", "sqlite:" + db}, tc.args...)...)
		if code != exitUsage || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q", tc.args, code, stdout)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		for _, w := range tc.want {
			if len(lines) != 1 || !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q should be one line saying %q", tc.args, stderr, w)
			}
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: a refused sync created the database", tc.args)
		}
	}
}

func TestSyncRunsEverySourceAndFailsWhenOneFails(t *testing.T) {
	actionsFails := true
	withConnectors(t, func(st *store.Store) []syncer.Connector {
		return []syncer.Connector{
			&synctest.Connector{Source: "github", SyncFunc: synctest.Repos(st, 3, "acme/web", "acme/api")},
			&synctest.Connector{Source: "actions", SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
				rep.Scope("acme/web")
				rep.Requests(2)
				if actionsFails {
					return errors.New("listing runs of acme/web: 401 Bad credentials for token " + syncTestToken)
				}
				rep.Records("workflow_runs", 4)
				return nil
			}},
			&synctest.Connector{Source: "linear", NotConfigured: "LINEAR_API_KEY is not set"},
		}
	})
	url := storetest.URL(t)
	dir := syncDir(t, "GITHUB_TOKEN="+syncTestToken+"\nGITHUB_REPOS=acme/web,acme/api\n")

	code, stdout, stderr := runCLI(t, dir, "sync", "--database", url)
	if code != exitFailure {
		t.Errorf("exit %d with a failed source, want %d", code, exitFailure)
	}
	if strings.Contains(stdout+stderr, syncTestToken) {
		t.Fatalf("the output leaks the token:\n%s\n%s", stdout, stderr)
	}
	// Progress, one plain line per step (stderr is not a terminal here).
	for _, want := range []string{
		"github: syncing\n",
		"github: acme/web: 3 pull_requests, 1 repositories; 1 requests\n",
		"github: acme/api: 3 pull_requests, 1 repositories; 1 requests\n",
		"github: done: 8 records, 2 requests in ",
		"actions: FAILED after ",
		": listing runs of acme/web: 401 Bad credentials for token [redacted]\n",
		"linear: skipped: LINEAR_API_KEY is not set\n",
		"veelocity sync: failed: actions\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "\x1b[") {
		t.Errorf("terminal codes in plain output:\n%q", stderr)
	}
	// The summary: result, records, requests and time per source.
	for _, want := range []string{
		"Sync (recent) finished in ",
		"SOURCE   RESULT     RECORDS  REQUESTS     TIME",
		"  github   success          8         2 ",
		"6 pull_requests, 2 repositories",
		"  actions  failed           0         2 ",
		"  linear   skipped          -         -        -",
		"actions failed: listing runs of acme/web: 401 Bad credentials for token [redacted]",
		"linear skipped: LINEAR_API_KEY is not set",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	st := storetest.Open(t, url)
	ctx := context.Background()
	if counts, _ := st.SourceCounts(ctx, "github"); counts["pull_requests"] != 6 {
		t.Errorf("stored %v", counts)
	}
	if runs, _ := st.SyncRuns(ctx, "actions", 5); len(runs) != 1 || runs[0].Status != "failed" || runs[0].TriggeredBy != "cli" ||
		runs[0].Kind != "recent" || strings.Contains(runs[0].Error, syncTestToken) {
		t.Errorf("actions runs %+v", runs)
	}

	// Fixed, a full sync of one source succeeds.
	actionsFails = false
	code, stdout, stderr = runCLI(t, dir, "sync", "--full", "--source", "actions", "--database", url)
	if code != exitOK || !strings.Contains(stdout, "Sync (full) finished") || !strings.Contains(stdout, "4 workflow_runs") ||
		strings.Contains(stdout, "github") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if runs, _ := st.SyncRuns(ctx, "actions", 5); len(runs) != 2 || runs[0].Status != "success" || runs[0].Kind != "full" {
		t.Errorf("actions runs %+v", runs)
	}
	if runs, _ := st.SyncRuns(ctx, "github", 5); len(runs) != 1 {
		t.Errorf("--source actions ran github: %+v", runs)
	}
}

// lockedBuffer is a log sink written by the server while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServeSyncsAtStartupAndCancelsItOnShutdown(t *testing.T) {
	entered := make(chan struct{}, 1)
	withConnectors(t, func(st *store.Store) []syncer.Connector {
		return []syncer.Connector{&synctest.Connector{Source: "github", SyncFunc: func(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
			rep.Scope("acme/web")
			rep.Records("pull_requests", 7)
			entered <- struct{}{}
			<-ctx.Done()
			return fmt.Errorf("fetching acme/web: %w", ctx.Err())
		}}}
	})
	url := storetest.URL(t)
	dir := syncDir(t, "GITHUB_TOKEN="+syncTestToken+"\nGITHUB_REPOS=acme/web\nSYNC_INTERVAL=0\n")
	runCLI(t, dir, "version") // clears the Veelocity variables of the environment
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int)
	go func() {
		e := &env{stdout: io.Discard, stderr: io.Discard, dir: dir, log: slog.New(slog.NewTextHandler(&logs, nil))}
		exit <- run(ctx, e, []string{"serve", "--listen", "127.0.0.1:0", "--database", url})
	}()
	<-entered
	m := regexp.MustCompile(`url=(http://\S+/)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no address in the log:\n%s", logs.String())
	}

	// The startup sync is running: the API refuses a second and shows it.
	resp, err := http.Post(m[1]+"api/v1/connectors/sync", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "by startup)") {
		t.Errorf("POST sync during the startup sync: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(m[1] + "api/v1/connectors/status")
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		Running bool
		Sync    struct{ Trigger string }
	}
	json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if !status.Running || status.Sync.Trigger != "startup" {
		t.Errorf("status during the startup sync: %+v", status)
	}

	// Shutting down cancels the sync and records it before serve returns.
	cancel()
	if code := <-exit; code != exitOK {
		t.Errorf("serve exited %d:\n%s", code, logs.String())
	}
	st := storetest.Open(t, url)
	runs, err := st.SyncRuns(context.Background(), "github", 5)
	if err != nil || len(runs) != 1 || runs[0].TriggeredBy != "startup" || runs[0].Status != "canceled" || runs[0].Records != 7 {
		t.Errorf("runs after shutdown: %+v, %v", runs, err)
	}
}
