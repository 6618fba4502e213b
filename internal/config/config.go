// Package config reads Veelocity's settings from the environment and an
// optional .env file, validates them, and hands the rest of the program one
// immutable Config value.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Config holds every setting. It is passed by value or pointer; it is never
// stored in a global or a context.
type Config struct {
	DatabaseURL string
	ListenAddr  string
	Debug       bool

	GitHubToken Secret
	// GitHubRepos are the GITHUB_REPOS entries as written: owner/name,
	// owner/* or !owner/name (see github.ParseRepoList).
	GitHubRepos           []string
	GitHubIncludeForks    bool
	GitHubIncludeArchived bool
	GitHubAPIURL          string
	GitHubGraphQLURL      string
	GitHubTeams           []string // org/* or org/slug

	GitHubAppID             string
	GitHubAppPrivateKey     Secret // PEM
	GitHubAppInstallationID int64  // 0: found per repository owner

	LinearAPIKey Secret
	LinearAPIURL string
	LinearTeams  []string

	PagerDutyAPIKey    Secret
	PagerDutyServices  []PagerDutyService
	PagerDutyUrgencies []string
	PagerDutyAPIURL    string

	DeploymentPatterns []string
	IncidentLabels     []string
	IncidentWindow     time.Duration

	DeploymentSource       string   // auto, actions or github
	ProductionEnvironments []string // lower case

	SyncInterval  time.Duration
	SyncOnStartup bool
	SyncSince     time.Duration
	// SyncConcurrency is how many repositories sync in parallel.
	SyncConcurrency int

	// Webhook signature secrets; empty turns the endpoint off.
	GitHubWebhookSecret Secret
	LinearWebhookSecret Secret
	// Auth is who may use the server (AUTH_MODE and its settings).
	Auth Auth
}

// GitHubConfigured reports whether the GitHub source has what it needs to
// sync, and if not, why not, in words a user can act on.
// Either credential serves: GITHUB_TOKEN, or a GitHub App.
func (c *Config) GitHubConfigured() (bool, string) {
	app := c.GitHubAppID != "" || c.GitHubAppPrivateKey != ""
	switch {
	case app && c.GitHubAppID == "":
		return false, "GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not"
	case app && c.GitHubAppPrivateKey == "":
		return false, "GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE) is not"
	case !app && c.GitHubToken == "" && len(c.GitHubRepos) == 0:
		return false, "GITHUB_TOKEN and GITHUB_REPOS are not set"
	case !app && c.GitHubToken == "":
		return false, "GITHUB_TOKEN is not set"
	case len(c.GitHubRepos) == 0:
		return false, "GITHUB_REPOS is not set"
	}
	return true, ""
}

// Secrets returns the values of every credential setting, for the
// redactors that keep them out of logs, errors and stored state.
func (c *Config) Secrets() []string {
	return []string{c.GitHubToken.Reveal(), c.GitHubAppPrivateKey.Reveal(), c.LinearAPIKey.Reveal(), c.PagerDutyAPIKey.Reveal(),
		c.Auth.GitHubClientSecret.Reveal(), c.GitHubWebhookSecret.Reveal(), c.LinearWebhookSecret.Reveal()}
}

// LinearConfigured reports whether the Linear source can sync, and if not,
// why not.
func (c *Config) LinearConfigured() (bool, string) {
	if c.LinearAPIKey == "" {
		return false, "LINEAR_API_KEY is not set"
	}
	return true, ""
}

// PagerDutyConfigured reports whether the PagerDuty source can sync, and
// if not, why not.
func (c *Config) PagerDutyConfigured() (bool, string) {
	switch {
	case c.PagerDutyAPIKey == "" && len(c.PagerDutyServices) == 0:
		return false, "PAGERDUTY_API_KEY and PAGERDUTY_SERVICES are not set"
	case c.PagerDutyAPIKey == "":
		return false, "PAGERDUTY_API_KEY is not set"
	case len(c.PagerDutyServices) == 0:
		return false, "PAGERDUTY_SERVICES is not set"
	}
	return true, ""
}

// SourceConfigured reports whether the named source ("github", "actions",
// "linear", "pagerduty") can sync, and if not, why not.
func (c *Config) SourceConfigured(source string) (bool, string) {
	switch source {
	case "linear":
		return c.LinearConfigured()
	case "pagerduty":
		return c.PagerDutyConfigured()
	}
	return c.GitHubConfigured()
}

// PagerDutyService is one entry of PAGERDUTY_SERVICES: a service and the
// repository its incidents belong to ("" for none).
type PagerDutyService struct {
	ID   string
	Repo string
}

// Secret is a credential. Its String, GoString and slog forms are redacted, so
// printing a Config or logging it never leaks a token.
type Secret string

// String returns a redacted placeholder.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString returns a redacted placeholder for %#v.
func (s Secret) GoString() string { return `config.Secret("[redacted]")` }

// Reveal returns the credential itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// Lookup is a source of settings: it returns a variable's value and whether
// it is set. os.LookupEnv is one.
type Lookup func(name string) (string, bool)

// Load reads the settings from the environment, falling back to the .env file
// in dir (if one exists). The real environment wins over .env.
func Load(dir string) (*Config, error) {
	dotenv, err := readDotEnv(dir)
	if err != nil {
		return nil, err
	}
	return Parse(func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		v, ok := dotenv[name]
		return v, ok
	})
}

func readDotEnv(dir string) (map[string]string, error) {
	path := ".env"
	if dir != "" {
		path = dir + string(os.PathSeparator) + ".env"
	}
	m, err := godotenv.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, &DotEnvError{Path: path, Err: err}
	}
	return m, nil
}

// DotEnvError is a .env file that could not be read or parsed: bad
// configuration, like an invalid value.
type DotEnvError struct {
	Path string
	Err  error
}

func (e *DotEnvError) Error() string { return fmt.Sprintf("reading %s: %v", e.Path, e.Err) }

func (e *DotEnvError) Unwrap() error { return e.Err }

// Parse builds a Config from lookup, applying defaults and validating every
// option. The first invalid option is returned as an *Error naming it.
func Parse(lookup Lookup) (*Config, error) {
	c := &Config{}
	for _, o := range Options {
		raw, ok, err := lookupSecretFile(lookup, o)
		if err != nil {
			return nil, err
		}
		raw = strings.TrimSpace(raw)
		if !ok || raw == "" {
			raw = o.Default
		}
		if err := o.set(c, raw); err != nil {
			return nil, &Error{Name: o.Name, Value: raw, Secret: o.Secret, Err: err}
		}
	}
	return c, nil
}

// lookupSecretFile looks o up. A secret may instead be given as NAME_FILE,
// the path of a file holding it (Docker secrets); the file's content, less
// surrounding space, is the value.
func lookupSecretFile(lookup Lookup, o Option) (string, bool, error) {
	raw, ok := lookup(o.Name)
	if !o.Secret {
		return raw, ok, nil
	}
	path, fok := lookup(o.Name + "_FILE")
	path = strings.TrimSpace(path)
	if !fok || path == "" {
		return raw, ok, nil
	}
	if strings.TrimSpace(raw) != "" {
		return "", false, &Error{Name: o.Name + "_FILE", Secret: true, Err: fmt.Errorf("set %s or %s_FILE, not both", o.Name, o.Name)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", false, &Error{Name: o.Name + "_FILE", Value: path, Err: fmt.Errorf("reading the file: %v", err)}
	}
	return string(b), true, nil
}

// Error is an invalid setting. Its message names the variable, so a user
// knows what to fix.
type Error struct {
	Name   string
	Value  string
	Secret bool
	Err    error
}

func (e *Error) Error() string {
	if e.Secret || e.Value == "" {
		return fmt.Sprintf("invalid %s: %v", e.Name, e.Err)
	}
	return fmt.Sprintf("invalid %s=%q: %v", e.Name, e.Value, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
