package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every secret can be given as NAME_FILE, for Docker secrets: the file's
// content is the value, and the errors name the _FILE variable without
// echoing the secret.
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var secrets []string
	for _, o := range Options {
		if o.Secret {
			secrets = append(secrets, o.Name)
		}
	}
	if len(secrets) < 5 {
		t.Fatalf("only %d secret options: %v", len(secrets), secrets)
	}
	values := map[string]string{
		"DATABASE_URL":           "postgres://u:filepass@db:5432/x",
		"AUTH_PASSWORD_HASH":     "$2b$12$abcdefghijklmnopqrstuuMBqSY8DLkbqBhUfHRNChCqfKfDPo3Ni",
		"GITHUB_APP_PRIVATE_KEY": testPEM,
	}
	for _, name := range secrets {
		t.Run(name, func(t *testing.T) {
			want := values[name]
			if want == "" {
				want = "s3cret-from-file-" + strings.ToLower(name)
			}
			env := map[string]string{name + "_FILE": write(name, want+"\n")}
			c, err := Parse(lookupFrom(env))
			if err != nil {
				t.Fatalf("%s_FILE: %v", name, err)
			}
			if got := secretValue(c, name); got != want {
				t.Errorf("%s from its file = %q, want %q", name, got, want)
			}
			env[name] = want
			_, err = Parse(lookupFrom(env))
			if err == nil || !strings.Contains(err.Error(), name+"_FILE") || strings.Contains(err.Error(), want) {
				t.Errorf("both %s and %s_FILE set: %v", name, name, err)
			}
			_, err = Parse(lookupFrom(map[string]string{name + "_FILE": filepath.Join(dir, "missing")}))
			if err == nil || !strings.HasPrefix(err.Error(), "invalid "+name+"_FILE=") || !strings.Contains(err.Error(), "no such file") {
				t.Errorf("missing file: %v", err)
			}
		})
	}
}

// secretValue reads the parsed value of a secret option.
func secretValue(c *Config, name string) string {
	switch name {
	case "DATABASE_URL":
		return c.DatabaseURL
	case "GITHUB_TOKEN":
		return c.GitHubToken.Reveal()
	case "LINEAR_API_KEY":
		return c.LinearAPIKey.Reveal()
	case "PAGERDUTY_API_KEY":
		return c.PagerDutyAPIKey.Reveal()
	case "GITHUB_OAUTH_CLIENT_SECRET":
		return c.Auth.GitHubClientSecret.Reveal()
	case "AUTH_PASSWORD_HASH":
		return c.Auth.PasswordHash.Reveal()
	case "GITHUB_APP_PRIVATE_KEY":
		return c.GitHubAppPrivateKey.Reveal()
	case "GITHUB_WEBHOOK_SECRET":
		return c.GitHubWebhookSecret.Reveal()
	case "LINEAR_WEBHOOK_SECRET":
		return c.LinearWebhookSecret.Reveal()
	}
	return "(secretValue does not know " + name + ")"
}

// AUTH_MODE: none by default only on loopback; each mode names what it
// lacks in one line.
func TestAuthMode(t *testing.T) {
	for _, tc := range []struct {
		name, listen string
		env          map[string]string
		want, err    string
	}{
		{"loopback default", "127.0.0.1:8000", nil, "none", ""},
		{"localhost default", "localhost:8000", nil, "none", ""},
		{"ipv6 loopback", "[::1]:8000", nil, "none", ""},
		{"public default", "0.0.0.0:8000", nil, "", "invalid AUTH_MODE: LISTEN_ADDR 0.0.0.0:8000 is reachable from other machines"},
		{"explicit none", "0.0.0.0:8000", map[string]string{"AUTH_MODE": "none"}, "none", ""},
		{"github incomplete", "0.0.0.0:8000", map[string]string{"AUTH_MODE": "github", "GITHUB_OAUTH_CLIENT_ID": "x"}, "",
			"github needs AUTH_GITHUB_ALLOW, GITHUB_OAUTH_CLIENT_SECRET, PUBLIC_URL set"},
		{"github", "0.0.0.0:8000", map[string]string{"AUTH_MODE": "github", "GITHUB_OAUTH_CLIENT_ID": "x", "GITHUB_OAUTH_CLIENT_SECRET": "y",
			"PUBLIC_URL": "https://v.example.com", "AUTH_GITHUB_ALLOW": "acme,acme/platform,@mona"}, "github", ""},
		{"password without hash", "0.0.0.0:8000", map[string]string{"AUTH_MODE": "password"}, "", "AUTH_PASSWORD_HASH"},
		{"proxy without header", "0.0.0.0:8000", map[string]string{"AUTH_MODE": "proxy"}, "", "AUTH_PROXY_HEADER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(lookupFrom(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.AuthMode(tc.listen)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("AuthMode = %q, %v; want an error with %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("AuthMode = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for name, bad := range map[string]string{"AUTH_MODE": "ldap", "AUTH_GITHUB_ALLOW": "acme,not a team", "AUTH_PASSWORD_HASH": "plaintext",
		"AUTH_PROXY_TRUSTED": "10.0.0.0/33", "PUBLIC_URL": "veelocity.example.com"} {
		_, err := Parse(lookupFrom(map[string]string{name: bad}))
		if err == nil || !strings.HasPrefix(err.Error(), "invalid "+name) {
			t.Errorf("%s=%s: %v", name, bad, err)
		}
	}
}
