package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/auth"
)

// auth hash-password reads the password from stdin and prints a hash that
// checks against it (and not against another).
func TestHashPassword(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), &env{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader("correct horse battery\n")},
		[]string{"auth", "hash-password"})
	hash := strings.TrimSpace(stdout.String())
	if code != exitOK || !strings.HasPrefix(hash, "$argon2id$v=19$") || strings.Contains(hash, "correct horse") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if !auth.CheckPassword(hash, "correct horse battery") || auth.CheckPassword(hash, "correct horse batterY") {
		t.Error("the printed hash does not check against the password (alone)")
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), &env{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader("")}, []string{"auth", "hash-password"})
	if code != exitUsage || !strings.Contains(stderr.String(), "standard input") || stdout.Len() != 0 {
		t.Errorf("no password: exit %d, %q", code, stderr.String())
	}
}

// token create prints a token once; list shows name, scope, created and
// last used but never the token; revoke removes it.
func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "v.db")
	code, tok, stderr := runCLI(t, dir, "token", "create", "ci", "--database", db)
	tok = strings.TrimSpace(tok)
	if code != exitOK || !strings.HasPrefix(tok, auth.TokenPrefix) || !strings.Contains(stderr, "only this once") {
		t.Fatalf("create: exit %d, %q, %q", code, tok, stderr)
	}
	if code, _, _ := runCLI(t, dir, "token", "--database", db, "create", "grafana", "--read-only"); code != exitOK {
		t.Fatalf("create --read-only: exit %d", code)
	}
	if code, _, stderr := runCLI(t, dir, "token", "create", "ci", "--database", db); code != exitFailure || !strings.Contains(stderr, "already exists") {
		t.Errorf("a taken name: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, dir, "token", "create", "bad name", "--database", db); code != exitUsage || !strings.Contains(stderr, "token name") {
		t.Errorf("a bad name: exit %d, %q", code, stderr)
	}
	code, list, _ := runCLI(t, dir, "token", "list", "--database", db)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
		!strings.Contains(lines[1], "ci") || !strings.Contains(lines[1], "read-write") || !strings.HasSuffix(lines[1], "never") ||
		!strings.Contains(lines[2], "grafana") || !strings.Contains(lines[2], "read-only") {
		t.Errorf("list: exit %d\n%s", code, list)
	}
	if strings.Contains(list, tok) || strings.Contains(list, auth.TokenPrefix) {
		t.Error("list shows a token")
	}
	if code, out, _ := runCLI(t, dir, "token", "revoke", "ci", "--database", db); code != exitOK || !strings.Contains(out, "revoked") {
		t.Errorf("revoke: exit %d %q", code, out)
	}
	if code, _, stderr := runCLI(t, dir, "token", "revoke", "ci", "--database", db); code != exitUsage || !strings.Contains(stderr, "no token is called") {
		t.Errorf("revoke again: exit %d %q", code, stderr)
	}
	if _, list, _ := runCLI(t, dir, "token", "list", "--database", db); strings.Contains(list, "ci ") {
		t.Errorf("a revoked token is still listed:\n%s", list)
	}
	for _, cmd := range []string{"token", "auth"} {
		_, help, _ := runCLI(t, dir, cmd, "--help")
		if !strings.Contains(help, "Usage: veelocity "+cmd) || (cmd == "token" && !strings.Contains(help, "DATABASE_URL")) || (cmd == "auth" && !strings.Contains(help, "standard input")) {
			t.Errorf("%s --help does not say what it reads:\n%s", cmd, help)
		}
	}
}

// serve on an address other machines can reach, without AUTH_MODE, stops
// at start with one line saying what to set; AUTH_MODE=none explicit is
// accepted (checked by getting past the check to a bad database).
func TestServeNeedsAuthModeOffLoopback(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env"), []byte("LISTEN_ADDR=0.0.0.0:0\n"), 0o600)
	code, _, stderr := runCLI(t, dir, "serve", "--database", "sqlite:"+filepath.Join(dir, "v.db"))
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], "AUTH_MODE") || !strings.Contains(lines[0], "github, password or proxy") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, ".env"), []byte("LISTEN_ADDR=0.0.0.0:0\nAUTH_MODE=password\n"), 0o600)
	code, _, stderr = runCLI(t, dir, "serve", "--database", "sqlite:"+filepath.Join(dir, "v.db"))
	if code != exitUsage || !strings.Contains(stderr, "AUTH_PASSWORD_HASH") {
		t.Fatalf("password without a hash: exit %d, stderr %q", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a refused start wrote files: %v", entries)
	}
}
