package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// runCLI runs the command line in dir (which holds any .env) with a clean
// set of Veelocity variables, and returns the exit code and output.
func runCLI(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	for _, o := range config.Options {
		if _, ok := os.LookupEnv(o.Name); ok {
			t.Setenv(o.Name, "")
			os.Unsetenv(o.Name)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &env{stdout: &stdout, stderr: &stderr, dir: dir}, args)
	return code, stdout.String(), stderr.String()
}

func TestBadConfigurationStopsWithOneLine(t *testing.T) {
	for _, tc := range []struct{ name, dotenv string }{
		{"GITHUB_REPOS", "GITHUB_REPOS=not-a-repo\n"},
		{"DATABASE_URL", "DATABASE_URL=mysql://localhost/v\n"},
		{"SYNC_INTERVAL", "SYNC_INTERVAL=often\n"},
		{".env", "GITHUB_REPOS acme/web\n"}, // not KEY=value
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "v.db")
			os.WriteFile(filepath.Join(dir, ".env"), []byte(tc.dotenv), 0o600)
			for _, cmd := range []string{"serve", "migrate"} {
				code, _, stderr := runCLI(t, dir, cmd, "--database", "sqlite:"+db)
				if tc.name == "DATABASE_URL" {
					// The flag overrides the bad variable, so use the variable alone.
					code, _, stderr = runCLI(t, dir, cmd)
				}
				if code != exitUsage {
					t.Errorf("%s: exit %d, want %d", cmd, code, exitUsage)
				}
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if len(lines) != 1 || !strings.Contains(lines[0], tc.name) {
					t.Errorf("%s: stderr %q should be one line naming %s", cmd, stderr, tc.name)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("a bad configuration wrote files: %v", entries)
			}
		})
	}
}

func TestBadFlagValue(t *testing.T) {
	code, _, stderr := runCLI(t, t.TempDir(), "serve", "--listen", "nowhere")
	if code != exitUsage || !strings.Contains(stderr, "--listen") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, t.TempDir(), "frobnicate")
	if code != exitUsage || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	url := storetest.URL(t)
	code, out, stderr := runCLI(t, t.TempDir(), "migrate", "--database", url)
	if code != 0 || !strings.Contains(out, "Applied") || !strings.Contains(out, "0001_init") {
		t.Fatalf("first migrate: exit %d, %q %q", code, out, stderr)
	}
	code, out, _ = runCLI(t, t.TempDir(), "migrate", "--database", url)
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: exit %d, %q", code, out)
	}
}

func TestHelpNamesVariables(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := runCLI(t, t.TempDir(), c.name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: veelocity "+c.name) {
			t.Errorf("%s --help: exit %d, %q", c.name, code, out)
		}
		for _, v := range c.vars {
			if !strings.Contains(out, v) {
				t.Errorf("%s --help does not mention %s", c.name, v)
			}
		}
	}
	code, out, _ := runCLI(t, t.TempDir(), "help")
	if code != 0 {
		t.Errorf("help: exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not list %s", c.name)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, t.TempDir(), "version")
	if code != 0 || !strings.HasPrefix(out, "veelocity ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}
