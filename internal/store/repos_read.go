package store

import (
	"context"

	"github.com/veelocity/veelocity/internal/model"
)

// RepoSummary is a repository with counts of its pull requests.
type RepoSummary struct {
	model.Repository
	PRCount       int `json:"pr_count"`
	OpenPRCount   int `json:"open_pr_count"`
	MergedPRCount int `json:"merged_pr_count"`
}

// RepoSummaries lists repositories by full name, a page at a time, with
// their pull-request counts and the total number of repositories.
func (s *Store) RepoSummaries(ctx context.Context, p Page) ([]RepoSummary, int, error) {
	repos, total, err := s.Repositories(ctx, p)
	if err != nil || len(repos) == 0 {
		return []RepoSummary{}, total, err
	}
	out := make([]RepoSummary, len(repos))
	byID := make(map[int64]*RepoSummary, len(repos))
	ids := make([]int64, len(repos))
	for i, r := range repos {
		out[i].Repository = r
		byID[r.ID] = &out[i]
		ids[i] = r.ID
	}
	in, args := inIDs("repo_id", ids)
	// One pass over the (repo_id, state) index, not the table.
	rows, err := s.read.QueryContext(ctx, `/* Store.RepoSummaries.counts */
		SELECT repo_id, state, count(*) FROM pull_requests WHERE `+in+` GROUP BY repo_id, state`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var state string
		var n int
		if err := rows.Scan(&id, &state, &n); err != nil {
			return nil, 0, err
		}
		r := byID[id]
		r.PRCount += n
		switch state {
		case model.PRStateOpen:
			r.OpenPRCount += n
		case model.PRStateMerged:
			r.MergedPRCount += n
		}
	}
	return out, total, rows.Err()
}
