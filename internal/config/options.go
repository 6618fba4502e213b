package config

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Option describes one setting: its variable name, default, meaning, and
// how it is parsed into a Config. Options is the single table of them; the
// CLI's help and the README's table are written from it.
type Option struct {
	Name        string
	Default     string
	Description string
	// Secret options are never echoed back, not even in error messages.
	// That covers credentials and values that may embed one.
	Secret bool
	set    func(c *Config, raw string) error
}

// Options lists every setting in the order the docs present them.
var Options = []Option{
	{Name: "DATABASE_URL", Default: "sqlite:veelocity.db", Secret: true, // it may hold a password
		Description: "sqlite:PATH, or postgres://… / postgresql://… (postgresql+asyncpg://… is accepted too)",
		set: func(c *Config, raw string) (err error) {
			c.DatabaseURL, err = normalizeDatabaseURL(raw)
			return err
		}},
	{Name: "LISTEN_ADDR", Default: "127.0.0.1:8000", Description: "host:port where serve listens",
		set: func(c *Config, raw string) (err error) {
			c.ListenAddr, err = ValidateListenAddr(raw)
			return err
		}},
	{Name: "DEBUG", Default: "false", Description: "verbose (debug-level) logs",
		set: func(c *Config, raw string) (err error) {
			c.Debug, err = parseBool(raw)
			return err
		}},
	{Name: "GITHUB_TOKEN", Secret: true, Description: "GitHub token; never logged, never returned by the API",
		set: func(c *Config, raw string) error {
			c.GitHubToken = Secret(raw)
			return nil
		}},
	{Name: "GITHUB_APP_ID", Description: "GitHub App ID (or client ID), to authenticate as an App instead of with GITHUB_TOKEN",
		set: func(c *Config, raw string) error {
			if raw != "" && !appIDRE.MatchString(raw) {
				return errors.New("must be the App's numeric ID (or its client ID, Iv…), from the App's settings page")
			}
			c.GitHubAppID = raw
			return nil
		}},
	{Name: "GITHUB_APP_PRIVATE_KEY", Secret: true, Description: "the App's private key (PEM text, \\n escapes accepted; or GITHUB_APP_PRIVATE_KEY_FILE, a path); never logged",
		set: func(c *Config, raw string) error {
			key, err := parsePEMKey(raw)
			c.GitHubAppPrivateKey = Secret(key)
			return err
		}},
	{Name: "GITHUB_APP_INSTALLATION_ID", Description: "the App installation to act as (default: found for each repository owner)",
		set: func(c *Config, raw string) error {
			if raw == "" {
				return nil
			}
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || n <= 0 {
				return errors.New("must be a positive number, from the installation's settings URL")
			}
			c.GitHubAppInstallationID = n
			return nil
		}},
	{Name: "GITHUB_REPOS", Description: "comma-separated repositories to sync: owner/name, owner/* (every repository of the owner) or !owner/name (excluded)",
		set: func(c *Config, raw string) (err error) {
			c.GitHubRepos, err = parseRepos(raw)
			return err
		}},
	{Name: "GITHUB_INCLUDE_FORKS", Default: "false", Description: "whether owner/* in GITHUB_REPOS takes forks",
		set: func(c *Config, raw string) (err error) {
			c.GitHubIncludeForks, err = parseBool(raw)
			return err
		}},
	{Name: "GITHUB_INCLUDE_ARCHIVED", Default: "false", Description: "whether owner/* in GITHUB_REPOS takes archived repositories",
		set: func(c *Config, raw string) (err error) {
			c.GitHubIncludeArchived, err = parseBool(raw)
			return err
		}},
	{Name: "GITHUB_TEAMS", Description: "GitHub teams to sync: org/* or org/slug, comma-separated",
		set: func(c *Config, raw string) (err error) {
			c.GitHubTeams, err = parseTeams(raw)
			return err
		}},
	{Name: "GITHUB_API_URL", Default: "https://api.github.com",
		Description: "GitHub REST base URL (GitHub Enterprise: https://HOST/api/v3)",
		set: func(c *Config, raw string) (err error) {
			c.GitHubAPIURL, err = parseHTTPURL(raw)
			return err
		}},
	{Name: "GITHUB_GRAPHQL_URL", Default: "https://api.github.com/graphql",
		Description: "GitHub GraphQL endpoint (GitHub Enterprise: https://HOST/api/graphql)",
		set: func(c *Config, raw string) (err error) {
			c.GitHubGraphQLURL, err = parseHTTPURL(raw)
			return err
		}},
	{Name: "LINEAR_API_KEY", Secret: true, Description: "Linear personal API key (sent as Authorization: <key>)",
		set: func(c *Config, raw string) error {
			c.LinearAPIKey = Secret(raw)
			return nil
		}},
	{Name: "LINEAR_API_URL", Default: "https://api.linear.app/graphql", Description: "Linear GraphQL endpoint",
		set: func(c *Config, raw string) (err error) {
			c.LinearAPIURL, err = parseHTTPURL(raw)
			return err
		}},
	{Name: "LINEAR_TEAMS", Description: "comma-separated Linear team keys to sync (default: all teams)",
		set: func(c *Config, raw string) (err error) {
			c.LinearTeams, err = parseTeamKeys(raw)
			return err
		}},
	{Name: "PAGERDUTY_API_KEY", Secret: true, Description: "PagerDuty REST API key (sent as Authorization: Token token=<key>); a read-only key is enough",
		set: func(c *Config, raw string) error {
			c.PagerDutyAPIKey = Secret(raw)
			return nil
		}},
	{Name: "PAGERDUTY_SERVICES", Description: "comma-separated PagerDuty services to sync incidents of, as SERVICE_ID=owner/repo, or SERVICE_ID alone for incidents of no repository",
		set: func(c *Config, raw string) (err error) {
			c.PagerDutyServices, err = parsePagerDutyServices(raw)
			return err
		}},
	{Name: "PAGERDUTY_URGENCIES", Default: "high", Description: "comma-separated urgencies (high, low) of the PagerDuty incidents that count",
		set: func(c *Config, raw string) (err error) {
			c.PagerDutyUrgencies, err = parseUrgencies(raw)
			return err
		}},
	{Name: "PAGERDUTY_API_URL", Default: "https://api.pagerduty.com", Description: "PagerDuty REST API base URL",
		set: func(c *Config, raw string) (err error) {
			c.PagerDutyAPIURL, err = parseHTTPURL(raw)
			return err
		}},
	{Name: "DEPLOYMENT_PATTERNS", Default: "deploy,release,publish",
		Description: "a workflow whose name or file name contains one of these (case-insensitive) is a deployment workflow",
		set: func(c *Config, raw string) error {
			c.DeploymentPatterns = splitList(raw, strings.ToLower)
			if len(c.DeploymentPatterns) == 0 {
				return errors.New("needs at least one pattern")
			}
			return nil
		}},
	{Name: "DEPLOYMENT_SOURCE", Default: "auto",
		Description: "where a repository's deployments come from: auto (GitHub deployments when it has any, else deployment workflow runs), actions or github",
		set: func(c *Config, raw string) error {
			switch v := strings.ToLower(strings.TrimSpace(raw)); v {
			case "auto", "actions", "github":
				c.DeploymentSource = v
				return nil
			}
			return errors.New("must be auto, actions or github")
		}},
	{Name: "PRODUCTION_ENVIRONMENTS", Default: "production,prod,live",
		Description: "environments (case-insensitive) whose deployments count in the DORA metrics",
		set: func(c *Config, raw string) error {
			c.ProductionEnvironments = splitList(raw, strings.ToLower)
			if len(c.ProductionEnvironments) == 0 {
				return errors.New("needs at least one environment")
			}
			return nil
		}},
	{Name: "INCIDENT_LABELS", Default: "incident",
		Description: "GitHub or Linear issues with one of these labels (case-insensitive) are incidents",
		set: func(c *Config, raw string) error {
			c.IncidentLabels = splitList(raw, strings.ToLower)
			if len(c.IncidentLabels) == 0 {
				return errors.New("needs at least one label")
			}
			return nil
		}},
	{Name: "INCIDENT_WINDOW", Default: "168h",
		Description: "how long after a deployment an incident is attributed to it",
		set: func(c *Config, raw string) (err error) {
			c.IncidentWindow, err = parsePositiveDuration(raw)
			return err
		}},
	{Name: "SYNC_INTERVAL", Default: "15m", Description: "periodic sync in serve; 0 turns it off (minimum 1m)",
		set: func(c *Config, raw string) error {
			d, err := ParseDuration(raw)
			if err != nil {
				return err
			}
			if d != 0 && d < time.Minute {
				return errors.New("must be 0 (off) or at least 1m")
			}
			if d < 0 {
				return errors.New("must not be negative")
			}
			c.SyncInterval = d
			return nil
		}},
	{Name: "SYNC_ON_STARTUP", Default: "true", Description: "serve starts a sync when it starts",
		set: func(c *Config, raw string) (err error) {
			c.SyncOnStartup, err = parseBool(raw)
			return err
		}},
	{Name: "SYNC_CONCURRENCY", Default: "4", Description: "repositories synced in parallel (1 to 32)",
		set: func(c *Config, raw string) error {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 || n > 32 {
				return errors.New("must be a whole number from 1 to 32")
			}
			c.SyncConcurrency = n
			return nil
		}},
	{Name: "SYNC_SINCE", Default: "365d", Description: "how far back the first sync of a repo or team reaches",
		set: func(c *Config, raw string) (err error) {
			c.SyncSince, err = parsePositiveDuration(raw)
			return err
		}},
	{Name: "GITHUB_WEBHOOK_SECRET", Secret: true,
		Description: "secret of the GitHub webhook (POST /api/v1/webhooks/github checks X-Hub-Signature-256 with it); unset, that endpoint answers 404",
		set: func(c *Config, raw string) error {
			c.GitHubWebhookSecret = Secret(raw)
			return nil
		}},
	{Name: "LINEAR_WEBHOOK_SECRET", Secret: true,
		Description: "signing secret of the Linear webhook (POST /api/v1/webhooks/linear checks Linear-Signature with it); unset, that endpoint answers 404",
		set: func(c *Config, raw string) error {
			c.LinearWebhookSecret = Secret(raw)
			return nil
		}},
	{Name: "AUTH_MODE", Description: "none, github, password or proxy (default none, allowed only on a loopback LISTEN_ADDR unless set explicitly)",
		set: func(c *Config, raw string) (err error) {
			c.Auth.Mode, err = parseAuthMode(raw)
			return err
		}},
	{Name: "PUBLIC_URL", Description: "the external address, as in https://veelocity.example.com (OAuth callback; Secure cookies when https)",
		set: func(c *Config, raw string) (err error) {
			if raw != "" {
				c.Auth.PublicURL, err = parseHTTPURL(raw)
			}
			return err
		}},
	{Name: "GITHUB_OAUTH_CLIENT_ID", Description: "client ID of the GitHub OAuth app for AUTH_MODE=github",
		set: func(c *Config, raw string) error {
			c.Auth.GitHubClientID = raw
			return nil
		}},
	{Name: "GITHUB_OAUTH_CLIENT_SECRET", Secret: true, Description: "client secret of that OAuth app",
		set: func(c *Config, raw string) error {
			c.Auth.GitHubClientSecret = Secret(raw)
			return nil
		}},
	{Name: "GITHUB_WEB_URL", Default: "https://github.com", Description: "where GitHub's sign-in pages are (GitHub Enterprise: https://HOST)",
		set: func(c *Config, raw string) (err error) {
			c.Auth.GitHubWebURL, err = parseHTTPURL(raw)
			return err
		}},
	{Name: "AUTH_GITHUB_ALLOW", Description: "who may sign in with GitHub: org, org/team-slug or @login, comma-separated",
		set: func(c *Config, raw string) (err error) {
			c.Auth.GitHubAllow, err = parseGitHubAllow(raw)
			return err
		}},
	{Name: "AUTH_PASSWORD_HASH", Secret: true, Description: "bcrypt or argon2id hash of the shared password for AUTH_MODE=password (veelocity auth hash-password)",
		set: func(c *Config, raw string) (err error) {
			c.Auth.PasswordHash, err = parsePasswordHash(raw)
			return err
		}},
	{Name: "AUTH_PROXY_HEADER", Description: "for AUTH_MODE=proxy: the header holding the user, as in X-Forwarded-Email",
		set: func(c *Config, raw string) error {
			c.Auth.ProxyHeader = raw
			return nil
		}},
	{Name: "AUTH_PROXY_TRUSTED", Default: "127.0.0.0/8,::1/128", Description: "CIDRs AUTH_PROXY_HEADER is believed from, comma-separated",
		set: func(c *Config, raw string) (err error) {
			c.Auth.ProxyTrusted, err = parseCIDRs(raw)
			return err
		}},
	{Name: "AUTH_SESSION_LIFETIME", Default: "30d", Description: "how long a sign-in lasts",
		set: func(c *Config, raw string) (err error) {
			c.Auth.SessionLifetime, err = parsePositiveDuration(raw)
			return err
		}},
}

// appIDRE matches a GitHub App's ID or client ID.
var appIDRE = regexp.MustCompile(`^(?:[0-9]+|Iv[0-9A-Za-z.]+)$`)

// parsePEMKey checks that raw is a PEM private key, turning the literal
// "\n" escapes of a one-line variable into newlines. Its errors never
// quote the key.
func parsePEMKey(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	if !strings.Contains(raw, "\n") {
		raw = strings.ReplaceAll(raw, `\n`, "\n")
	}
	block, _ := pem.Decode([]byte(raw))
	if block == nil || !strings.HasSuffix(block.Type, "PRIVATE KEY") {
		return "", errors.New("must be the App's private key in PEM form (-----BEGIN RSA PRIVATE KEY-----…)")
	}
	return strings.TrimSpace(raw) + "\n", nil
}

// OptionNamed returns the option called name. It panics on an unknown name, which
// is a programming error.
func OptionNamed(name string) Option {
	for _, o := range Options {
		if o.Name == name {
			return o
		}
	}
	panic("config: unknown option " + name)
}

func normalizeDatabaseURL(raw string) (string, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return "", errors.New("sqlite: needs a file path, as in sqlite:veelocity.db")
		}
		return "sqlite:" + path, nil
	case strings.HasPrefix(raw, "postgresql+asyncpg://"):
		raw = "postgresql://" + strings.TrimPrefix(raw, "postgresql+asyncpg://")
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
	default:
		return "", errors.New("must start with sqlite:, postgres:// or postgresql://")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse errors repeat the URL, which may hold a password.
		return "", errors.New("not a valid URL")
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return "", errors.New("postgres URL needs a host, as in postgres://user@localhost:5432/veelocity")
	}
	return raw, nil
}

// ValidateListenAddr checks a host:port listen address.
func ValidateListenAddr(raw string) (string, error) {
	_, port, err := net.SplitHostPort(raw)
	if err != nil {
		return "", errors.New("must be host:port, as in 127.0.0.1:8000")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", errors.New("port must be a number from 0 to 65535")
	}
	return raw, nil
}

func parseBool(raw string) (bool, error) {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, errors.New("must be true or false")
	}
	return b, nil
}

var repoRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

func parseRepos(raw string) ([]string, error) {
	repos := splitList(raw, nil)
	seen := map[string]bool{}
	var out []string
	for _, r := range repos {
		name := strings.TrimPrefix(r, "!")
		if owner, ok := strings.CutSuffix(name, "/*"); ok && name == r && repoRE.MatchString(owner+"/x") {
			name = owner + "/x" // owner/*: every repository of owner
		}
		if !repoRE.MatchString(name) || name[strings.IndexByte(name, '/')+1:] == "." || strings.HasSuffix(name, "/..") {
			return nil, fmt.Errorf("%q is not owner/name, owner/* or !owner/name", r)
		}
		if key := strings.ToLower(r); !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out, nil
}

var teamKeyRE = regexp.MustCompile(`^[A-Za-z0-9]{1,10}$`)

func parseTeamKeys(raw string) ([]string, error) {
	keys := splitList(raw, strings.ToUpper)
	for _, k := range keys {
		if !teamKeyRE.MatchString(k) {
			return nil, fmt.Errorf("%q is not a Linear team key (letters and digits, as in ENG)", k)
		}
	}
	return keys, nil
}

var pagerDutyIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

func parsePagerDutyServices(raw string) ([]PagerDutyService, error) {
	var out []PagerDutyService
	seen := map[string]bool{}
	for _, entry := range splitList(raw, nil) {
		id, repo, mapped := strings.Cut(entry, "=")
		id, repo = strings.TrimSpace(id), strings.TrimSpace(repo)
		if !pagerDutyIDRE.MatchString(id) {
			return nil, fmt.Errorf("%q is not SERVICE_ID=owner/repo or SERVICE_ID (a service id is letters and digits, as in PXXXXXX)", entry)
		}
		if mapped {
			repos, err := parseRepos(repo)
			if err != nil || len(repos) != 1 {
				return nil, fmt.Errorf("%q: %q is not owner/repo", entry, repo)
			}
			repo = repos[0]
		}
		if seen[id] {
			return nil, fmt.Errorf("service %s is listed twice", id)
		}
		seen[id] = true
		out = append(out, PagerDutyService{ID: id, Repo: repo})
	}
	return out, nil
}

func parseUrgencies(raw string) ([]string, error) {
	var out []string
	for _, u := range splitList(raw, strings.ToLower) {
		if u != "high" && u != "low" {
			return nil, fmt.Errorf("%q is not an urgency: use high, low or both", u)
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("needs at least one urgency: high, low or both")
	}
	return out, nil
}

func parseHTTPURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("must be an http:// or https:// URL")
	}
	return strings.TrimRight(raw, "/"), nil
}

// splitList splits a comma-separated value, trimming spaces, dropping empty
// entries, and applying norm (if given) to each entry.
func splitList(raw string, norm func(string) string) []string {
	var out []string
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if norm != nil {
			p = norm(p)
		}
		out = append(out, p)
	}
	return out
}

func parsePositiveDuration(raw string) (time.Duration, error) {
	d, err := ParseDuration(raw)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, errors.New("must be longer than 0")
	}
	return d, nil
}

// maxDuration is the longest duration a setting takes, well within
// time.Duration's 292 years.
const maxDuration = 100000 * 24 * time.Hour

// ParseDuration is time.ParseDuration plus whole days ("365d") and weeks
// ("2w"), and a bare "0".
func ParseDuration(raw string) (time.Duration, error) {
	if raw == "0" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(raw, suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return 0, errors.New("must be a duration such as 90d, 2w, 168h or 15m")
			}
			if v > int64(maxDuration/unit) || v < -int64(maxDuration/unit) {
				return 0, errors.New("is too long: at most 100000d")
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, errors.New("must be a duration such as 90d, 2w, 168h or 15m")
	}
	if d > maxDuration || d < -maxDuration {
		return 0, errors.New("is too long: at most 100000d")
	}
	return d, nil
}

var teamRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/(\*|[A-Za-z0-9][A-Za-z0-9_.-]*)$`)

// parseTeams reads GITHUB_TEAMS: org/* or org/slug, comma-separated.
func parseTeams(raw string) ([]string, error) {
	var out []string
	for _, t := range splitList(raw, strings.TrimSpace) {
		if !teamRE.MatchString(t) {
			return nil, fmt.Errorf("%q is not org/* or org/slug", t)
		}
		out = append(out, t)
	}
	return out, nil
}
