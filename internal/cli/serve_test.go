package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
)

// startServe runs serve with args in the working directory until the test
// ends, and returns its URL and its log.
func startServe(t *testing.T, dir string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	runCLI(t, dir, "version") // clears the Veelocity variables of the environment
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int)
	go func() {
		e := &env{stdout: io.Discard, stderr: io.Discard, dir: dir, log: slog.New(slog.NewTextHandler(logs, nil))}
		exit <- run(ctx, e, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-exit; code != exitOK {
			t.Errorf("serve exited %d:\n%s", code, logs.String())
		}
	})
	re := regexp.MustCompile(`url=(http://\S+/)`)
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1], logs
		}
		select {
		case code := <-exit:
			t.Fatalf("serve exited %d:\n%s", code, logs.String())
		default:
		}
	}
	t.Fatalf("serve did not start:\n%s", logs.String())
	return "", nil
}

// TestServeShowsTheDemoOnAFirstRun: with no source configured and no data,
// serve loads the demo dataset into a database of its own and serves it.
func TestServeShowsTheDemoOnAFirstRun(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	url, logs := startServe(t, work)
	if !strings.Contains(logs.String(), "serving demo data") {
		t.Errorf("the log does not say it serves demo data:\n%s", logs.String())
	}
	resp, err := http.Get(url + "api/v1/metrics/dora/deployment-frequency?start_date=" +
		time.Now().UTC().AddDate(0, 0, -89).Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	var df struct{ Total int }
	json.NewDecoder(resp.Body).Decode(&df)
	resp.Body.Close()
	if df.Total == 0 {
		t.Error("the demo dashboard has no deployments in the last 90 days")
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/html")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "GITHUB_TOKEN") || !strings.Contains(string(page), "Demo data") {
		t.Error("the dashboard does not say it shows demo data and how to connect real sources")
	}
	if _, err := os.Stat("veelocity-demo.db"); err != nil {
		t.Errorf("the demo database: %v", err)
	}
	if _, err := os.Stat("veelocity.db"); err == nil {
		t.Error("the demo wrote into the real database, veelocity.db")
	}
	// Nothing is configured, so the status says what to set.
	resp, err = http.Get(url + "api/v1/connectors/status")
	if err != nil {
		t.Fatal(err)
	}
	status, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(status), "GITHUB_TOKEN and GITHUB_REPOS are not set") || strings.Contains(string(status), "--demo") {
		t.Errorf("the status of an unconfigured first run:\n%s", status)
	}
}

// TestServeDemoNeverSyncs: serve --demo with a GitHub source configured
// shows the demo dataset and syncs nothing into it, at startup or on
// demand, and its status says why.
func TestServeDemoNeverSyncs(t *testing.T) {
	f := githubfake.New(githubfake.Options{})
	defer f.Close()
	f.Generate(f.AddRepo(&githubfake.Repo{Owner: "acme", Name: "real"}), githubfake.Bulk{PullRequests: 3, Seed: 1})
	work := syncDir(t, "GITHUB_TOKEN="+f.Token()+"\nGITHUB_REPOS=acme/real\nGITHUB_API_URL="+f.URL()+
		"\nGITHUB_GRAPHQL_URL="+f.GraphQLURL()+"\n")
	t.Chdir(work)
	url, logs := startServe(t, work, "--demo")
	resp, err := http.Post(url+"api/v1/connectors/sync", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("POST sync while serving the demo: %d, want 409", resp.StatusCode)
	}
	resp, err = http.Get(url + "api/v1/connectors/status")
	if err != nil {
		t.Fatal(err)
	}
	status, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(status), "without --demo") {
		t.Errorf("the status does not say why nothing syncs:\n%s", status)
	}
	if n := f.RequestCount(); n != 0 {
		t.Errorf("serve --demo sent %d requests to GitHub:\n%s", n, logs.String())
	}
	resp, err = http.Get(url + "api/v1/github/repos?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	repos, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(repos), "acme/real") {
		t.Errorf("a real repository joined the demo data: %s", repos)
	}
}

func TestServeWithoutTheDemo(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	url, logs := startServe(t, work, "--demo=false")
	resp, err := http.Get(url + "api/v1/github/repos")
	if err != nil {
		t.Fatal(err)
	}
	var repos struct{ Total int }
	json.NewDecoder(resp.Body).Decode(&repos)
	resp.Body.Close()
	if repos.Total != 0 || strings.Contains(logs.String(), "demo") {
		t.Errorf("--demo=false: %d repositories, log:\n%s", repos.Total, logs.String())
	}
	if _, err := os.Stat("veelocity-demo.db"); err == nil {
		t.Error("--demo=false created the demo database")
	}
}

func TestWantDemo(t *testing.T) {
	ctx := context.Background()
	cfg := func(vars map[string]string) *config.Config {
		c, err := config.Parse(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	missing := "sqlite:" + t.TempDir() + "/none.db"
	for _, tc := range []struct {
		name string
		vars map[string]string
		flag demoFlag
		want bool
	}{
		{"first run", map[string]string{"DATABASE_URL": missing}, demoFlag{}, true},
		{"GitHub configured", map[string]string{"DATABASE_URL": missing, "GITHUB_TOKEN": "t", "GITHUB_REPOS": "a/b"}, demoFlag{}, false},
		{"Linear configured", map[string]string{"DATABASE_URL": missing, "LINEAR_API_KEY": "k"}, demoFlag{}, false},
		{"forced", map[string]string{"DATABASE_URL": missing, "LINEAR_API_KEY": "k"}, demoFlag{set: true, on: true}, true},
		{"refused", map[string]string{"DATABASE_URL": missing}, demoFlag{set: true}, false},
	} {
		got, _, err := wantDemo(ctx, cfg(tc.vars), tc.flag)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// A database that holds synced data is served as it is.
	url, _ := reportFixture(t)
	if got, _, err := wantDemo(ctx, cfg(map[string]string{"DATABASE_URL": url}), demoFlag{}); err != nil || got {
		t.Errorf("a database with data: demo %v, %v", got, err)
	}
}
