package linear

import (
	"cmp"
	"context"
	"slices"

	"github.com/veelocity/veelocity/internal/syncer"
)

// listTeams returns every team the key can see.
func (c *Connector) listTeams(ctx context.Context, rep syncer.Reporter) ([]teamNode, error) {
	var teams []teamNode
	var after any
	for {
		var page teamsData
		if err := c.do(ctx, rep, teamsQuery, map[string]any{"first": teamsPageSize, "after": after}, &page); err != nil {
			return nil, err
		}
		teams = append(teams, page.Teams.Nodes...)
		pi := page.Teams.PageInfo
		if !pi.HasNextPage || pi.EndCursor == nil {
			return teams, nil
		}
		after = *pi.EndCursor
	}
}

// selectTeams keeps the teams of LINEAR_TEAMS, in its order, and returns
// the keys it names that no visible team has; with LINEAR_TEAMS unset it
// keeps every team, by key.
func (c *Connector) selectTeams(teams []teamNode) (selected []teamNode, unknown []string) {
	if len(c.cfg.LinearTeams) == 0 {
		selected = slices.Clone(teams)
		slices.SortFunc(selected, func(a, b teamNode) int { return cmp.Compare(a.Key, b.Key) })
		return selected, nil
	}
	for _, key := range c.cfg.LinearTeams {
		i := slices.IndexFunc(teams, func(t teamNode) bool { return t.Key == key })
		if i < 0 {
			unknown = append(unknown, key)
			continue
		}
		selected = append(selected, teams[i])
	}
	return selected, unknown
}
