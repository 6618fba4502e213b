package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func TestDemoBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--prs", "0"}, "-prs"},
		{[]string{"--prs", "abc"}, "-prs"},
		{[]string{"--prs", "-3"}, "-prs"},
		{[]string{"--prs", "20000000"}, "-prs"},
		{[]string{"--seed", "x"}, "-seed"},
		{[]string{"--seed", "-1"}, "-seed"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "v.db")
			args := append([]string{"demo", "--database", "sqlite:" + db}, tc.args...)
			code, stdout, stderr := runCLI(t, dir, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.flag) {
				t.Errorf("stderr %q should be one line naming %s", stderr, tc.flag)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if _, err := os.Stat(db); err == nil {
				t.Error("a bad flag still created the database")
			}
		})
	}
	code, _, stderr := runCLI(t, t.TempDir(), "demo", "extra")
	if code != exitUsage || !strings.Contains(stderr, `"extra"`) {
		t.Errorf("demo extra: exit %d, stderr %q", code, stderr)
	}
}

func TestDemoLoadsDerivesAndReplaces(t *testing.T) {
	url := storetest.URL(t)
	code, out, stderr := runCLI(t, t.TempDir(), "demo", "--prs", "250", "--seed", "3", "--database", url)
	if code != exitOK {
		t.Fatalf("demo: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"Loaded demo data", "seed 3", "250 pull requests", "5 repositories", "Linear teams",
		"facts derived", `veelocity serve`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	st := storetest.Open(t, url)
	var prs, deployments, linked int
	db := st.DB()
	db.QueryRow(`SELECT count(*) FROM pull_requests`).Scan(&prs)
	db.QueryRow(`SELECT count(*) FROM deployments`).Scan(&deployments)
	db.QueryRow(`SELECT count(*) FROM pr_facts WHERE deployment_id IS NOT NULL`).Scan(&linked)
	if prs != 250 || deployments == 0 || linked == 0 {
		t.Errorf("after demo: %d PRs, %d deployments, %d PRs linked to one; want 250 and derived facts", prs, deployments, linked)
	}

	code, out, stderr = runCLI(t, t.TempDir(), "demo", "--prs", "120", "--database", url)
	if code != exitOK || !strings.Contains(out, "Replaced the demo data") || !strings.Contains(out, "120 pull requests") {
		t.Fatalf("second demo: exit %d, %q, %q", code, out, stderr)
	}
	db.QueryRow(`SELECT count(*) FROM pull_requests`).Scan(&prs)
	if prs != 120 {
		t.Errorf("after replacing: %d PRs, want 120", prs)
	}
}

func TestDemoRefusesSyncedDatabase(t *testing.T) {
	ctx := context.Background()
	url := storetest.URL(t)
	st := storetest.Open(t, url)
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.UpsertRepository(ctx, &model.Repository{GitHubID: 9, FullName: "octo/real", DefaultBranch: "main"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, t.TempDir(), "demo", "--database", url)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	for _, want := range []string{"already holds synced data", "1 repository", "--database"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Contains(out, "Loaded") {
		t.Errorf("stdout %q claims a load", out)
	}
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM repositories`).Scan(&n)
	if n != 1 {
		t.Errorf("the refused demo left %d repositories, want the 1 synced", n)
	}
}
