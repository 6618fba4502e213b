package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// GitHub teams (GITHUB_TEAMS; METRICS.md, Teams): a team's members,
// including those of its child teams, and the repositories on which it has
// the admin or maintain permission. An organisation's teams come in pages
// of 25, each with its first 100 members and 100 repositories: one request
// for most organisations, with a TeamMore request for a team with more.

const teamFields = `fragment TeamFields on Team {
  slug name
  members(first: 100, membership: ALL) { pageInfo { hasNextPage endCursor } nodes { login } }
  repositories(first: 100) { pageInfo { hasNextPage endCursor } edges { permission node { nameWithOwner } } }
}
`

// QueryTeams fetches one page of an organisation's teams ($all) or one
// team by slug.
const QueryTeams = `query Teams($org: String!, $all: Boolean!, $slug: String!, $after: String) {
  organization(login: $org) {
    teams(first: 25, after: $after) @include(if: $all) {
      pageInfo { hasNextPage endCursor }
      nodes { ...TeamFields }
    }
    team(slug: $slug) @skip(if: $all) { ...TeamFields }
  }
  ` + rateLimitFields + `
}
` + teamFields

// QueryTeamMore fetches the next pages of a team's members and
// repositories.
const QueryTeamMore = `query TeamMore($org: String!, $slug: String!,
  $withMembers: Boolean!, $membersAfter: String, $withRepos: Boolean!, $reposAfter: String) {
  organization(login: $org) {
    team(slug: $slug) {
      members(first: 100, after: $membersAfter, membership: ALL) @include(if: $withMembers) {
        pageInfo { hasNextPage endCursor }
        nodes { login }
      }
      repositories(first: 100, after: $reposAfter) @include(if: $withRepos) {
        pageInfo { hasNextPage endCursor }
        edges { permission node { nameWithOwner } }
      }
    }
  }
  ` + rateLimitFields + `
}
`

type gqlTeamMembers struct {
	PageInfo pageInfo `json:"pageInfo"`
	Nodes    []struct {
		Login string `json:"login"`
	} `json:"nodes"`
}

type gqlTeamRepos struct {
	PageInfo pageInfo `json:"pageInfo"`
	Edges    []struct {
		Permission string `json:"permission"`
		Node       struct {
			NameWithOwner string `json:"nameWithOwner"`
		} `json:"node"`
	} `json:"edges"`
}

type gqlTeam struct {
	Slug         string         `json:"slug"`
	Name         string         `json:"name"`
	Members      gqlTeamMembers `json:"members"`
	Repositories gqlTeamRepos   `json:"repositories"`
}

// add takes a page of members and repositories into t.
func (g *gqlTeam) add(t *model.Team, m *gqlTeamMembers, r *gqlTeamRepos) {
	if m != nil {
		for _, n := range m.Nodes {
			t.Members = append(t.Members, n.Login)
		}
	}
	if r != nil {
		for _, e := range r.Edges {
			if e.Permission == "ADMIN" || e.Permission == "MAINTAIN" {
				t.Repositories = append(t.Repositories, e.Node.NameWithOwner)
			}
		}
	}
}

// syncTeams syncs the teams GITHUB_TEAMS names, organisation by
// organisation: the listed teams replace the stored GitHub teams of that
// organisation (a team gone from GitHub, or from GITHUB_TEAMS, goes).
func (c *Connector) syncTeams(ctx context.Context, client *Client, rep syncer.Reporter) error {
	byOrg := map[string][]string{} // org → slugs, or ["*"]
	var orgs []string
	for _, spec := range c.d.Config.GitHubTeams {
		org, slug, _ := strings.Cut(spec, "/")
		key := strings.ToLower(org)
		if _, ok := byOrg[key]; !ok {
			orgs = append(orgs, org)
		}
		byOrg[key] = append(byOrg[key], slug)
	}
	var errs []error
	for _, org := range orgs {
		scope := "teams:" + org
		rep.Scope(scope)
		teams, err := c.fetchTeams(ctx, client.ForOwner(org), org, byOrg[strings.ToLower(org)])
		if err == nil {
			err = c.d.Store.Tx(ctx, func(tx *store.Tx) error {
				var slugs []string
				for _, t := range teams {
					kept, err := tx.SyncGitHubTeam(ctx, t)
					if err != nil {
						return err
					}
					if !kept {
						c.d.Log.Warn("a team defined by hand has the slug of a GitHub team; the hand-made one is kept", "team", t.Slug)
					}
					slugs = append(slugs, t.Slug)
				}
				if err := tx.PruneGitHubTeams(ctx, org, slugs); err != nil {
					return err
				}
				return tx.BumpDataVersion(ctx) // the next metric answers use the new membership
			})
		}
		if err != nil {
			c.d.Log.Warn("sync of GitHub teams failed", "org", org, "error", err)
			errs = append(errs, fmt.Errorf("teams of %s: %w", org, err))
			continue
		}
		rep.Records("teams", len(teams))
	}
	return errors.Join(errs...)
}

// fetchTeams reads an organisation's teams: every one when slugs holds
// "*", else those named.
func (c *Connector) fetchTeams(ctx context.Context, client *Client, org string, slugs []string) ([]model.Team, error) {
	var raw []gqlTeam
	all := false
	for _, s := range slugs {
		all = all || s == "*"
	}
	if all {
		var after any
		for {
			var out struct {
				Organization struct {
					Teams struct {
						PageInfo pageInfo  `json:"pageInfo"`
						Nodes    []gqlTeam `json:"nodes"`
					} `json:"teams"`
				} `json:"organization"`
			}
			if err := client.Query(ctx, QueryTeams, map[string]any{"org": org, "all": true, "slug": "", "after": after}, &out); err != nil {
				return nil, err
			}
			raw = append(raw, out.Organization.Teams.Nodes...)
			if !out.Organization.Teams.PageInfo.HasNextPage {
				break
			}
			after = out.Organization.Teams.PageInfo.EndCursor
		}
	} else {
		for _, slug := range slugs {
			var out struct {
				Organization struct {
					Team *gqlTeam `json:"team"`
				} `json:"organization"`
			}
			if err := client.Query(ctx, QueryTeams, map[string]any{"org": org, "all": false, "slug": slug, "after": nil}, &out); err != nil {
				return nil, err
			}
			if out.Organization.Team == nil {
				return nil, fmt.Errorf("GITHUB_TEAMS: no team %s/%s (or the token cannot see it)", org, slug)
			}
			raw = append(raw, *out.Organization.Team)
		}
	}
	teams := make([]model.Team, 0, len(raw))
	for i := range raw {
		g := &raw[i]
		t := model.Team{Slug: org + "/" + g.Slug, Name: g.Name, Source: model.TeamSourceGitHub}
		g.add(&t, &g.Members, &g.Repositories)
		members, repos := g.Members.PageInfo, g.Repositories.PageInfo
		for members.HasNextPage || repos.HasNextPage {
			var out struct {
				Organization struct {
					Team struct {
						Members      *gqlTeamMembers `json:"members"`
						Repositories *gqlTeamRepos   `json:"repositories"`
					} `json:"team"`
				} `json:"organization"`
			}
			if err := client.Query(ctx, QueryTeamMore, map[string]any{"org": org, "slug": g.Slug,
				"withMembers": members.HasNextPage, "membersAfter": cursorArg(members.EndCursor),
				"withRepos": repos.HasNextPage, "reposAfter": cursorArg(repos.EndCursor)}, &out); err != nil {
				return nil, err
			}
			m, r := out.Organization.Team.Members, out.Organization.Team.Repositories
			g.add(&t, m, r)
			if m != nil {
				members = m.PageInfo
			} else {
				members = pageInfo{}
			}
			if r != nil {
				repos = r.PageInfo
			} else {
				repos = pageInfo{}
			}
		}
		teams = append(teams, t)
	}
	return teams, nil
}

// cursorArg is a page cursor as a GraphQL variable: null when there is none.
func cursorArg(c string) any {
	if c == "" {
		return nil
	}
	return c
}
