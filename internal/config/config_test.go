package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func lookupFrom(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		DatabaseURL: "sqlite:veelocity.db", ListenAddr: "127.0.0.1:8000",
		GitHubAPIURL: "https://api.github.com", GitHubGraphQLURL: "https://api.github.com/graphql",
		LinearAPIURL:       "https://api.linear.app/graphql",
		PagerDutyUrgencies: []string{"high"}, PagerDutyAPIURL: "https://api.pagerduty.com",
		DeploymentPatterns: []string{"deploy", "release", "publish"}, IncidentLabels: []string{"incident"},
		IncidentWindow: 168 * time.Hour, SyncInterval: 15 * time.Minute, SyncOnStartup: true,
		SyncSince: 365 * 24 * time.Hour, SyncConcurrency: 4,
		DeploymentSource: "auto", ProductionEnvironments: []string{"production", "prod", "live"},
		Auth: Auth{GitHubWebURL: "https://github.com", SessionLifetime: 30 * 24 * time.Hour,
			ProxyTrusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if ok, why := c.GitHubConfigured(); ok || why != "GITHUB_TOKEN and GITHUB_REPOS are not set" {
		t.Errorf("GitHubConfigured() = %v, %q", ok, why)
	}
}

func TestValues(t *testing.T) {
	c, err := Parse(lookupFrom(map[string]string{
		"DATABASE_URL":        "postgresql+asyncpg://veelocity:pw@db:5432/veelocity",
		"GITHUB_TOKEN":        "ghp_secret",
		"GITHUB_REPOS":        " acme/web, acme/api ,Acme/Web,other/*,!other/old",
		"SYNC_CONCURRENCY":    "8",
		"GITHUB_API_URL":      "https://ghe.example.com/api/v3/",
		"DEPLOYMENT_PATTERNS": "Deploy, Ship",
		"INCIDENT_WINDOW":     "3d",
		"SYNC_INTERVAL":       "0",
		"SYNC_ON_STARTUP":     "false",
		"SYNC_SINCE":          "2w",
		"LINEAR_TEAMS":        "eng,ops",
		"PAGERDUTY_SERVICES":  "PABC123=acme/web, PXYZ",
		"PAGERDUTY_URGENCIES": "High,low,high",
	}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"DatabaseURL", c.DatabaseURL, "postgresql://veelocity:pw@db:5432/veelocity"},
		{"GitHubRepos", c.GitHubRepos, []string{"acme/web", "acme/api", "other/*", "!other/old"}},
		{"SyncConcurrency", c.SyncConcurrency, 8},
		{"GitHubAPIURL", c.GitHubAPIURL, "https://ghe.example.com/api/v3"},
		{"DeploymentPatterns", c.DeploymentPatterns, []string{"deploy", "ship"}},
		{"IncidentWindow", c.IncidentWindow, 72 * time.Hour},
		{"SyncInterval", c.SyncInterval, time.Duration(0)},
		{"SyncOnStartup", c.SyncOnStartup, false},
		{"SyncSince", c.SyncSince, 14 * 24 * time.Hour},
		{"LinearTeams", c.LinearTeams, []string{"ENG", "OPS"}},
		{"PagerDutyServices", c.PagerDutyServices, []PagerDutyService{{"PABC123", "acme/web"}, {"PXYZ", ""}}},
		{"PagerDutyUrgencies", c.PagerDutyUrgencies, []string{"high", "low"}},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if ok, _ := c.GitHubConfigured(); !ok {
		t.Error("GitHub should be configured")
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"DATABASE_URL", "mysql://localhost/x"},
		{"DATABASE_URL", "sqlite:"},
		{"DATABASE_URL", "postgres://"},
		{"LISTEN_ADDR", "8000"},
		{"LISTEN_ADDR", "localhost:http"},
		{"DEBUG", "maybe"},
		{"GITHUB_REPOS", "acme"},
		{"GITHUB_REPOS", "acme/web,https://github.com/acme/api"},
		{"GITHUB_REPOS", "acme/web/extra"},
		{"GITHUB_REPOS", "*/web"},
		{"GITHUB_REPOS", "!acme/*"},
		{"GITHUB_INCLUDE_FORKS", "yes please"},
		{"SYNC_CONCURRENCY", "0"},
		{"SYNC_CONCURRENCY", "many"},
		{"GITHUB_API_URL", "api.github.com"},
		{"GITHUB_GRAPHQL_URL", "ftp://x/graphql"},
		{"LINEAR_API_URL", "not a url"},
		{"LINEAR_TEAMS", "ENG-1"},
		{"PAGERDUTY_SERVICES", "PABC=acme"},
		{"PAGERDUTY_SERVICES", "=acme/web"},
		{"PAGERDUTY_SERVICES", "PABC,PABC=acme/web"},
		{"PAGERDUTY_URGENCIES", "urgent"},
		{"PAGERDUTY_URGENCIES", ","},
		{"PAGERDUTY_API_URL", "api.pagerduty.com"},
		{"DEPLOYMENT_PATTERNS", " , "},
		{"DEPLOYMENT_SOURCE", "jenkins"},
		{"PRODUCTION_ENVIRONMENTS", " , "},
		{"GITHUB_TEAMS", "acme"},
		{"GITHUB_TEAMS", "acme/web/extra"},
		{"INCIDENT_LABELS", ","},
		{"INCIDENT_WINDOW", "a week"},
		{"INCIDENT_WINDOW", "-1h"},
		{"SYNC_INTERVAL", "10s"},
		{"SYNC_INTERVAL", "15"},
		{"SYNC_ON_STARTUP", "yes please"},
		{"SYNC_SINCE", "0"},
		{"SYNC_SINCE", "xd"},
		{"SYNC_SINCE", "106752d"}, // past time.Duration: it would wrap around
		{"SYNC_SINCE", "300000d"},
		{"INCIDENT_WINDOW", "99999999h"},
		{"GITHUB_APP_ID", "my app"},
		{"GITHUB_APP_PRIVATE_KEY", "ghp_notakey"},
		{"GITHUB_APP_INSTALLATION_ID", "-3"},
	}
	for _, tc := range tests {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := Parse(lookupFrom(map[string]string{tc.name: tc.value}))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "invalid "+tc.name) || strings.Contains(msg, "\n") {
				t.Fatalf("message %q does not name %s in one line", msg, tc.name)
			}
		})
	}
}

func TestSecretsAreNotPrinted(t *testing.T) {
	c, err := Parse(lookupFrom(map[string]string{"GITHUB_TOKEN": "ghp_abc123", "LINEAR_API_KEY": "lin_api_xyz"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, c)
		if strings.Contains(out, "ghp_abc123") || strings.Contains(out, "lin_api_xyz") {
			t.Fatalf("%s printed a secret: %s", format, out)
		}
	}
	_, err = Parse(lookupFrom(map[string]string{"DATABASE_URL": "mysql://root:hunter2@db/x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("DATABASE_URL error echoed its password: %v", err)
	}
	if c.GitHubToken.Reveal() != "ghp_abc123" {
		t.Fatal("Reveal lost the token")
	}
}

func TestDotEnvAndEnvironmentPrecedence(t *testing.T) {
	dir := t.TempDir()
	dotenv := "# settings\nGITHUB_REPOS=dotenv/repo\nLISTEN_ADDR=0.0.0.0:9000\nSYNC_SINCE=\"30d\"\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LISTEN_ADDR", "127.0.0.1:7000")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.GitHubRepos, []string{"dotenv/repo"}) {
		t.Errorf("GITHUB_REPOS from .env: %v", c.GitHubRepos)
	}
	if c.ListenAddr != "127.0.0.1:7000" {
		t.Errorf("the environment should win over .env, got LISTEN_ADDR %s", c.ListenAddr)
	}
	if c.SyncSince != 30*24*time.Hour {
		t.Errorf("quoted .env value: SYNC_SINCE %v", c.SyncSince)
	}
	// No .env at all is fine.
	if _, err := Load(t.TempDir()); err != nil {
		t.Fatalf("without .env: %v", err)
	}
}

func TestEveryOptionIsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Options {
		if o.Description == "" || o.set == nil {
			t.Errorf("%s lacks a description or a parser", o.Name)
		}
		if seen[o.Name] {
			t.Errorf("%s is listed twice", o.Name)
		}
		seen[o.Name] = true
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("reading README: %v", err)
	}
	for _, o := range Options {
		if !strings.Contains(string(readme), "`"+o.Name+"`") {
			t.Errorf("README.md does not document %s", o.Name)
		}
	}
}

// testPEM is a syntactically valid PEM block; config checks the form, the
// GitHub client parses the key.
const testPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n"

func TestGitHubAppSettings(t *testing.T) {
	dir := t.TempDir()
	keyFile := dir + "/app.pem"
	if err := os.WriteFile(keyFile, []byte(testPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		env        map[string]string
		wantErr    string // prefix of Parse's error
		configured bool
		why        string
	}{
		{"key as text", map[string]string{"GITHUB_APP_ID": "123", "GITHUB_APP_PRIVATE_KEY": testPEM, "GITHUB_REPOS": "acme/web"}, "", true, ""},
		{"key with \\n escapes, on one line", map[string]string{"GITHUB_APP_ID": "123",
			"GITHUB_APP_PRIVATE_KEY": strings.ReplaceAll(testPEM, "\n", `\n`), "GITHUB_REPOS": "acme/web"}, "", true, ""},
		{"key from a file", map[string]string{"GITHUB_APP_ID": "Iv1.abc123", "GITHUB_APP_PRIVATE_KEY_FILE": keyFile,
			"GITHUB_APP_INSTALLATION_ID": "42", "GITHUB_REPOS": "acme/web"}, "", true, ""},
		{"both key settings", map[string]string{"GITHUB_APP_PRIVATE_KEY": testPEM, "GITHUB_APP_PRIVATE_KEY_FILE": keyFile},
			"invalid GITHUB_APP_PRIVATE_KEY_FILE: set GITHUB_APP_PRIVATE_KEY or", false, ""},
		{"an ID without a key", map[string]string{"GITHUB_APP_ID": "123", "GITHUB_REPOS": "acme/web"}, "", false,
			"GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE) is not"},
		{"a key without an ID", map[string]string{"GITHUB_APP_PRIVATE_KEY": testPEM, "GITHUB_REPOS": "acme/web"}, "", false,
			"GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(lookupFrom(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "MIIB") {
					t.Fatalf("err = %v, want %q…", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok, why := c.GitHubConfigured(); ok != tc.configured || why != tc.why {
				t.Errorf("GitHubConfigured() = %v, %q", ok, why)
			}
			if tc.configured && c.GitHubAppPrivateKey.Reveal() != testPEM {
				t.Errorf("key = %q", c.GitHubAppPrivateKey.Reveal())
			}
			if tc.configured && !slices.Contains(c.Secrets(), testPEM) {
				t.Error("the key is not among the secrets to redact")
			}
		})
	}
}
