package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, to create and drop the bench database

	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestBenchSmoke runs the whole benchmark on a tiny demo, so that it
// cannot silently break: every case is requested and answers 200, every
// figure is there, the load sees no error. It asserts no timings.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the veelocity binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "veelocity")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the smoke run builds veelocity with the go command: %v", err)
	}
	build := exec.Command(gobin, "build", "-o", bin, "github.com/veelocity/veelocity/cmd/veelocity")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building veelocity: %v\n%s", err, out)
	}
	cfg := Config{Veelocity: bin, PRs: 300, Databases: []string{"sqlite"}, Dir: dir, Samples: 1,
		LoadRate: 20, LoadDuration: time.Second, Probe: 30}
	if storetest.Postgres() {
		cfg.Databases = []string{"postgres"}
		cfg.PostgresURL = os.Getenv(storetest.EnvVar)
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, c := range cases() {
		want[c.name()] = true
	}
	for _, w := range []string{"full derive of the demo (wall)", "demo: peak RSS", "serve: peak RSS over the queries and the load",
		"incremental derive after 300 changed PRs"} {
		want[w] = true
	}
	loads, probes := 0, 0
	for _, r := range rep.Rows {
		delete(want, r.What)
		if strings.HasPrefix(r.What, "closed loop: 30 requests") {
			probes++
			// serve's CPU and allocation, read from its /metrics before
			// and after: 30 requests take some of both.
			var cpu, alloc float64
			if _, err := fmt.Sscanf(r.Note, "serve's CPU %f ms a request, %f MB allocated", &cpu, &alloc); err != nil ||
				cpu <= 0 || alloc <= 0 || r.Errors != 0 {
				t.Errorf("%s: %d errors, CPU %v ms and %v MB a request (%s, %v)", r.What, r.Errors, cpu, alloc, r.Note, err)
			}
		}
		if strings.HasPrefix(r.What, "load ") {
			loads++
			if strings.Contains(r.What, "with a writer") && r.Written == 0 {
				t.Errorf("%s: the writer wrote nothing (%s)", r.What, r.Note)
			}
			if r.Errors != 0 || r.Locked != 0 {
				t.Errorf("%s: %d errors, %d locked (%s)", r.What, r.Errors, r.Locked, r.Note)
			}
			if r.Misses <= 0 {
				t.Errorf("%s: %d result cache misses read from serve's /metrics, want some (%s)", r.What, r.Misses, r.Note)
			}
		}
		if r.Locked != 0 {
			t.Errorf("%s: %d \"database is locked\"", r.What, r.Locked)
		}
	}
	if len(want) != 0 || loads != 2 || probes != 1 {
		t.Errorf("missing rows %v, %d load rows (want 2), %d probe rows (want 1)", want, loads, probes)
	}
	var b strings.Builder
	rep.Print(&b)
	t.Log("\n" + b.String())
	if got := strings.Count(b.String(), "\n"); got != len(rep.Rows)+2 {
		t.Errorf("the table has %d lines for %d rows:\n%s", got, len(rep.Rows), b.String())
	}
}
