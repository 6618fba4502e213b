package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/veelocity/veelocity/internal/config"
)

// RepoList is GITHUB_REPOS parsed: repositories named one by one, owners
// whose every repository is wanted (owner/*), and exclusions (!owner/name).
type RepoList struct {
	Names    []string // owner/name, as written
	Owners   []string // the owner of each owner/* entry
	Excluded []string // owner/name of each !owner/name entry
}

// ParseRepoList splits GITHUB_REPOS entries, which config has validated.
func ParseRepoList(entries []string) RepoList {
	var l RepoList
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e, "!"):
			l.Excluded = append(l.Excluded, e[1:])
		case strings.HasSuffix(e, "/*"):
			l.Owners = append(l.Owners, strings.TrimSuffix(e, "/*"))
		default:
			l.Names = append(l.Names, e)
		}
	}
	return l
}

// OwnerRepo is a repository as an owner's listing gives it.
type OwnerRepo struct {
	FullName string `json:"full_name"`
	Fork     bool   `json:"fork"`
	Archived bool   `json:"archived"`
}

// OwnerLister lists every repository of owner that the credentials can
// read. The default lists /orgs/{owner}/repos, or /users/{owner}/repos when
// owner is not an organisation; a GitHub App lists its installation's
// repositories instead.
type OwnerLister func(ctx context.Context, client *Client, owner string) ([]OwnerRepo, error)

// discoveryTTL is how long a resolved list serves further connectors of
// the same sync (the github and actions sources both ask for it).
const discoveryTTL = time.Minute

// Discovery resolves GITHUB_REPOS into repositories: it lists the owners of
// owner/* entries (skipping forks and archived repositories unless
// GITHUB_INCLUDE_FORKS / GITHUB_INCLUDE_ARCHIVED) and drops the excluded
// ones. A list serves for a minute, so the sources of one sync share it,
// and every sync sees repositories created since the last one. It is safe
// for concurrent use.
type Discovery struct {
	// ListOwner lists one owner's repositories (default ListOwnerREST).
	ListOwner OwnerLister

	mu    sync.Mutex
	key   string
	at    time.Time
	repos []string
}

// NewDiscovery returns a Discovery with the REST owner listing.
func NewDiscovery() *Discovery { return &Discovery{ListOwner: ListOwnerREST} }

// Repos returns the repositories GITHUB_REPOS names, in order: the ones
// named one by one first, then each owner's, by name.
func (d *Discovery) Repos(ctx context.Context, cfg *config.Config, client *Client, now time.Time) ([]string, error) {
	key := fmt.Sprint(cfg.GitHubRepos, cfg.GitHubIncludeForks, cfg.GitHubIncludeArchived)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.key == key && now.Sub(d.at) < discoveryTTL && now.Sub(d.at) >= 0 {
		return slices.Clone(d.repos), nil
	}
	l := ParseRepoList(cfg.GitHubRepos)
	seen := map[string]bool{}
	for _, x := range l.Excluded {
		seen[strings.ToLower(x)] = true
	}
	var out []string
	add := func(name string) {
		if k := strings.ToLower(name); !seen[k] {
			seen[k] = true
			out = append(out, name)
		}
	}
	for _, n := range l.Names {
		add(n)
	}
	lister := d.ListOwner
	if lister == nil {
		lister = ListOwnerREST
	}
	for _, owner := range l.Owners {
		repos, err := lister(ctx, client, owner)
		if err != nil {
			return nil, fmt.Errorf("listing the repositories of %s (GITHUB_REPOS %s/*): %w", owner, owner, err)
		}
		slices.SortFunc(repos, func(a, b OwnerRepo) int {
			return strings.Compare(strings.ToLower(a.FullName), strings.ToLower(b.FullName))
		})
		for _, r := range repos {
			if (r.Fork && !cfg.GitHubIncludeForks) || (r.Archived && !cfg.GitHubIncludeArchived) {
				continue
			}
			add(r.FullName)
		}
	}
	d.key, d.at, d.repos = key, now, out
	return slices.Clone(out), nil
}

// ListOwnerREST lists owner's repositories with GET /orgs/{owner}/repos,
// falling back to GET /users/{owner}/repos when GitHub answers 404 (owner
// is a user), 100 a page. Under a GitHub App it lists the repositories of
// the App's installation on owner's account instead (GET
// /installation/repositories).
func ListOwnerREST(ctx context.Context, client *Client, owner string) ([]OwnerRepo, error) {
	if client.IsApp() {
		repos, err := client.InstallationRepositories(ctx, owner)
		if err != nil {
			return nil, err
		}
		var out []OwnerRepo
		for _, r := range repos {
			if strings.EqualFold(r.Owner.Login, owner) {
				out = append(out, OwnerRepo{FullName: r.FullName, Fork: r.Fork, Archived: r.Archived})
			}
		}
		return out, nil
	}
	client = client.ForOwner(owner)
	esc := url.PathEscape(owner)
	out, err := listAll(ctx, client, "/orgs/"+esc+"/repos?type=all&per_page=100")
	var ge *Error
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
		out, err = listAll(ctx, client, "/users/"+esc+"/repos?type=owner&per_page=100")
	}
	return out, err
}

// listAll follows a REST listing's pages.
func listAll(ctx context.Context, client *Client, target string) ([]OwnerRepo, error) {
	var out []OwnerRepo
	for target != "" {
		var page []OwnerRepo
		p, err := client.Get(ctx, target, "", &page)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		target = p.Next
	}
	return out, nil
}
