package githubfake

import (
	"fmt"
	"slices"
	"strings"
)

// Team is a team of an organization, for the GraphQL organization.teams
// and organization.team fields.
type Team struct {
	ID      int64 // filled in when 0
	Org     string
	Slug    string
	Name    string
	Parent  *Team    // its parent team, if any
	Members []string // direct members' logins
	// Repos maps a repository's owner/name to the team's permission on it,
	// as GraphQL spells it: ADMIN, MAINTAIN, WRITE, TRIAGE or READ.
	Repos map[string]string
}

// AddTeam adds a team to its organization.
func (s *Server) AddTeam(t *Team) *Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID == 0 {
		t.ID = s.nextID()
	}
	if t.Name == "" {
		t.Name = t.Slug
	}
	s.teams = append(s.teams, t)
	return t
}

// organizationField resolves Query.organization(login).
func (s *Server) organizationField(args map[string]any) (any, error) {
	login, _ := args["login"].(string)
	var teams []*Team
	for _, t := range s.teams {
		if strings.EqualFold(t.Org, login) {
			teams = append(teams, t)
		}
	}
	if teams == nil {
		return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to an Organization with the login of '%s'.", login)}
	}
	return &object{typ: "Organization", fields: map[string]any{
		"login": login,
		"teams": func(args map[string]any) (any, error) {
			p := &page{typ: "TeamConnection"}
			for _, t := range teams {
				p.add(strings.ToLower(t.Slug), s.teamObject(t))
			}
			return p.connection(args)
		},
		"team": func(args map[string]any) (any, error) {
			slug, _ := args["slug"].(string)
			for _, t := range teams {
				if strings.EqualFold(t.Slug, slug) {
					return s.teamObject(t), nil
				}
			}
			return nil, nil
		},
	}}, nil
}

func (s *Server) teamObject(t *Team) *object {
	return &object{typ: "Team", fields: map[string]any{
		"id": fmt.Sprintf("T_kwDO%08d", t.ID), "databaseId": t.ID, "slug": t.Slug, "name": t.Name,
		"members": func(args map[string]any) (any, error) {
			logins := slices.Clone(t.Members)
			if m, _ := args["membership"].(string); m == "" || m == "ALL" || m == "CHILD_TEAM" {
				// Members of child teams, at any depth.
				var child []string
				for _, c := range s.teams {
					for p := c.Parent; p != nil; p = p.Parent {
						if p == t {
							child = append(child, c.Members...)
							break
						}
					}
				}
				if m == "CHILD_TEAM" {
					logins = child
				} else {
					logins = append(logins, child...)
				}
			}
			slices.Sort(logins)
			logins = slices.Compact(logins)
			p := &page{typ: "TeamMemberConnection"}
			for _, l := range logins {
				p.add(strings.ToLower(l), &object{typ: "User", fields: map[string]any{"login": l}})
			}
			return p.connection(args)
		},
		"repositories": func(args map[string]any) (any, error) {
			p := &page{typ: "TeamRepositoryConnection"}
			for name, perm := range t.Repos {
				r := s.repos[strings.ToLower(name)]
				if r == nil {
					continue
				}
				p.addEdge(strings.ToLower(name), s.repoObject(r), map[string]any{"permission": perm})
			}
			return p.connection(args)
		},
	}}
}
