package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The values of AUTH_MODE.
const (
	AuthNone     = "none"
	AuthGitHub   = "github"
	AuthPassword = "password"
	AuthProxy    = "proxy"
)

// Auth holds the sign-in settings.
type Auth struct {
	// Mode is AUTH_MODE as set; "" when unset (see Config.AuthMode).
	Mode string
	// PublicURL is the external address, without a trailing slash; "" when
	// unset.
	PublicURL          string
	GitHubClientID     string
	GitHubClientSecret Secret
	GitHubWebURL       string
	// GitHubAllow lists who may sign in: "org", "org/team-slug" or "@login".
	GitHubAllow     []string
	PasswordHash    Secret
	ProxyHeader     string
	ProxyTrusted    []netip.Prefix
	SessionLifetime time.Duration
}

// AuthMode returns the effective AUTH_MODE for serving on listenAddr, or an
// error of one line saying what to set: an unset AUTH_MODE means none, which
// is allowed only on a loopback address; a mode missing its settings names
// them.
func (c *Config) AuthMode(listenAddr string) (string, error) {
	a := c.Auth
	switch a.Mode {
	case "":
		if !IsLoopback(listenAddr) {
			return "", &Error{Name: "AUTH_MODE", Err: fmt.Errorf("LISTEN_ADDR %s is reachable from other machines and no sign-in is set: "+
				"set AUTH_MODE to github, password or proxy (or AUTH_MODE=none if a proxy in front already authenticates)", listenAddr)}
		}
		return AuthNone, nil
	case AuthGitHub:
		var missing []string
		for name, v := range map[string]string{"GITHUB_OAUTH_CLIENT_ID": a.GitHubClientID, "GITHUB_OAUTH_CLIENT_SECRET": string(a.GitHubClientSecret),
			"PUBLIC_URL": a.PublicURL} {
			if v == "" {
				missing = append(missing, name)
			}
		}
		if len(a.GitHubAllow) == 0 {
			missing = append(missing, "AUTH_GITHUB_ALLOW")
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return "", &Error{Name: "AUTH_MODE", Err: fmt.Errorf("github needs %s set", strings.Join(missing, ", "))}
		}
	case AuthPassword:
		if a.PasswordHash == "" {
			return "", &Error{Name: "AUTH_MODE", Err: errors.New("password needs AUTH_PASSWORD_HASH (make one with: veelocity auth hash-password)")}
		}
	case AuthProxy:
		if a.ProxyHeader == "" {
			return "", &Error{Name: "AUTH_MODE", Err: errors.New("proxy needs AUTH_PROXY_HEADER, the header your proxy puts the user in (as in X-Forwarded-Email)")}
		}
	}
	return a.Mode, nil
}

// IsLoopback reports whether a listen address only accepts connections
// from this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func parseAuthMode(raw string) (string, error) {
	switch raw = strings.ToLower(raw); raw {
	case "", AuthNone, AuthGitHub, AuthPassword, AuthProxy:
		return raw, nil
	}
	return "", errors.New("must be none, github, password or proxy")
}

var (
	ghLoginRE = regexp.MustCompile(`^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	ghOrgRE   = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]{1,100})?$`)
)

func parseGitHubAllow(raw string) ([]string, error) {
	entries := splitList(raw, nil)
	for _, e := range entries {
		if !ghLoginRE.MatchString(e) && !ghOrgRE.MatchString(e) {
			return nil, fmt.Errorf("%q is not an org, org/team-slug or @login", e)
		}
	}
	return entries, nil
}

func parsePasswordHash(raw string) (Secret, error) {
	switch {
	case raw == "", strings.HasPrefix(raw, "$2a$"), strings.HasPrefix(raw, "$2b$"), strings.HasPrefix(raw, "$2y$"),
		strings.HasPrefix(raw, "$argon2id$"):
		return Secret(raw), nil
	}
	return "", errors.New("must be a bcrypt ($2b$…) or argon2id ($argon2id$…) hash; make one with: veelocity auth hash-password")
}

func parseCIDRs(raw string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range splitList(raw, nil) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
