package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/veelocity/veelocity/internal/scenario"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden runs the worked scenarios through every metric with several
// parameter sets and compares the JSON with a golden file. The suite runs on
// SQLite and again on PostgreSQL (VEELOCITY_TEST_DATABASE_URL), against the
// same golden file; on PostgreSQL the same scenario is also built on SQLite
// and the two engines' answers are compared directly.
func TestGolden(t *testing.T) {
	for _, sc := range []struct {
		name  string
		build func(*testing.T, *store.Store) (int64, int64)
	}{
		{"dora", func(t *testing.T, st *store.Store) (int64, int64) {
			b, web, api := doraScenario(t, st)
			// api also deploys through GitHub deployments, to staging and
			// production (one failed after succeeding).
			b.GitHubDeployment(api, 0, "staging", "a2", ts(4, 8), scenario.Status{State: "success", At: ts(4, 9)})
			b.GitHubDeployment(api, 0, "production", "a2", ts(5, 8), scenario.Status{State: "success", At: ts(5, 9)},
				scenario.Status{State: "inactive", At: ts(6, 9)})
			b.GitHubDeployment(api, 0, "production", "a3", ts(6, 8), scenario.Status{State: "success", At: ts(6, 9)},
				scenario.Status{State: "failure", At: ts(6, 10)})
			b.Derive()
			defineTeams(t, b)
			return web, api
		}},
		{"development", func(t *testing.T, st *store.Store) (int64, int64) {
			web, api := devScenario(t, st)
			defineTeams(t, scenario.New(t, st))
			return web, api
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			st := storetest.New(t)
			out := goldenAnswers(t, st, sc.build)
			if storetest.Postgres() {
				lite := goldenAnswers(t, storetest.Open(t, "sqlite:"+filepath.Join(t.TempDir(), "golden.db")), sc.build)
				if !bytes.Equal(out, lite) {
					path := filepath.Join("testdata", sc.name)
					os.WriteFile(path+".postgres.got", out, 0o644)
					os.WriteFile(path+".sqlite.got", lite, 0o644)
					t.Errorf("PostgreSQL and SQLite answer differently; see %s.{postgres,sqlite}.got", path)
				}
			}
			path := filepath.Join("testdata", sc.name+".golden.json")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/metrics -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(out, want) {
				os.WriteFile(path+".got", out, 0o644)
				t.Errorf("%s engine answers differ from %s; see %s.got", st.Dialect(), path, path)
			}
		})
	}
}

// goldenAnswers builds a scenario in st and returns every metric's JSON
// answer for the golden parameter sets.
func goldenAnswers(t *testing.T, st *store.Store, build func(*testing.T, *store.Store) (int64, int64)) []byte {
	t.Helper()
	web, _ := build(t, st)
	s := New(st, false)
	ctx := context.Background()
	var out bytes.Buffer
	for _, params := range []string{
		"start_date=2026-03-01&end_date=2026-03-07&period=day",
		"start_date=2026-02-20&end_date=2026-03-10&period=week&include_trend=true",
		"start_date=2026-01-15&end_date=2026-03-31&period=month",
		fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&repo_id=%d&include_trend=true", web),
		"start_date=2026-03-01&end_date=2026-03-07&author=alice",
		"start_date=2026-03-01&end_date=2026-03-07&period=day&team=web&include_trend=true",
		"start_date=2026-03-01&end_date=2026-03-07&team=platform",
		fmt.Sprintf("start_date=2026-03-01&end_date=2026-03-07&team=platform&repo_id=%d", web),
		"start_date=2026-03-01&end_date=2026-03-07&team=web&author=alice",
		"start_date=2026-03-01&end_date=2026-03-07&team=norepos",
		"start_date=2026-03-01&end_date=2026-03-07&period=day&environment=staging",
	} {
		q := query(t, st, params)
		dora, err := s.DORA(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		dev, err := s.Development(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		devs, err := s.Developers(ctx, q, "", "")
		if err != nil {
			t.Fatal(err)
		}
		df, err := s.DeploymentFrequency(ctx, q) // the only metric that takes environment=
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(map[string]any{"params": params, "dora": dora, "development": dev, "developers": devs,
			"deployment_frequency": df}, "", " ")
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
