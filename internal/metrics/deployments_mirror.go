package metrics

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/veelocity/veelocity/internal/store"
)

// The deployments the DORA metrics read, held in memory like the rollups:
// one row per deployment, a few dozen bytes each (30,000 rows, under 2 MB,
// in the 1M-PR demo). A range is then a binary search and a loop, where
// SQL cost up to 30 ms a page. Loading them all costs more than one range
// (40 ms at 30,000 rows), so the mirror is loaded again only when the
// deployments change: a counter in change_gens that triggers on the table
// move in the same transaction as the change (migration 0017), which most
// derives, of PRs and issues, leave alone. After it moves, the first
// request reads SQL, as before, and the next one loads the mirror, which
// the requests after it use; a request that comes while it loads reads SQL
// too. Past depMirrorMax rows they are always read from SQL. (No goroutine
// of its own: a load never outlives its request.)

// depRow is one deployment.
type depRow struct {
	at, repo                   int64 // deployed_at
	env                        string
	production, failed, rework bool
}

// depMirror is the deployments as of one value of their change counter,
// by deployed_at.
type depMirror struct {
	mu      sync.Mutex
	loaded  bool
	loading bool
	gen     int64
	rows    []depRow // nil when there are too many to hold
	// checked is the last data version at which the counter was found
	// at gen: until the data version moves, the counter is not read again.
	checked string
	// asked is 1 + the counter's value a request last found the mirror
	// without (0: none did yet).
	asked int64
}

// depMirrorMax is how many deployments the mirror holds at most.
const depMirrorMax = 1 << 20

// deploymentRows returns every deployment by deployed_at, and false when
// they are to be read from the database instead: the mirror does not hold
// the deployments as they are (the first request after they change leaves
// it so, the next loads it), it is loading, there are too many, or a test
// compares the two.
func (s *Service) deploymentRows(ctx context.Context) ([]depRow, bool, error) {
	if s.noMirror {
		return nil, false, nil
	}
	version, err := s.dataVersion(ctx)
	if err != nil {
		return nil, false, err
	}
	m := &s.deps
	m.mu.Lock()
	if m.loaded && m.checked == version {
		rows := m.rows
		m.mu.Unlock()
		return rows, rows != nil, nil
	}
	m.mu.Unlock()
	// Read after the data version: if the counter still has the mirror's
	// value, nothing changed the deployments up to that version either.
	gen, err := deploymentsGen(ctx, s.st.DB())
	if err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	switch {
	case m.loaded && m.gen == gen:
		m.checked = version
		rows := m.rows
		m.mu.Unlock()
		return rows, rows != nil, nil
	case m.loading || m.asked != gen+1 || (m.loaded && m.rows == nil):
		m.asked = gen + 1 // 0: never asked
		m.mu.Unlock()
		return nil, false, nil
	}
	m.loading = true
	m.mu.Unlock()
	if err := s.loadDeployments(ctx); err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded && m.gen == gen {
		return m.rows, m.rows != nil, nil
	}
	return nil, false, nil
}

// deploymentsGen reads the deployments' change counter.
func deploymentsGen(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var gen int64
	err := q.QueryRowContext(ctx, `/* metrics.deploymentsGen */ SELECT gen FROM change_gens WHERE name = 'deployments'`).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("metrics: reading the deployments' change counter: %w", err)
	}
	return gen, nil
}

// loadDeployments loads the deployments into the mirror, with the value of
// their change counter and the data version they stand for.
func (s *Service) loadDeployments(ctx context.Context) error {
	m := &s.deps
	defer func() {
		m.mu.Lock()
		m.loading = false
		m.mu.Unlock()
	}()
	var rows []depRow
	var version string
	var gen int64
	too := false
	err := s.st.ReadSnapshot(ctx, func(tx *sql.Tx) error {
		var err error
		if version, _, err = txAppState(ctx, tx, store.DataVersionKey); err != nil {
			return err
		}
		if gen, err = deploymentsGen(ctx, tx); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `/* metrics.deploymentMirror */ SELECT count(*) FROM deployments`).Scan(&n); err != nil {
			return err
		}
		if n > depMirrorMax {
			too = true
			return nil
		}
		rows = make([]depRow, 0, n)
		q, err := tx.QueryContext(ctx, `/* metrics.deploymentMirror */ SELECT deployed_at, repo_id, environment,
			CASE WHEN production THEN 1 ELSE 0 END, CASE WHEN failed THEN 1 ELSE 0 END, CASE WHEN is_rework THEN 1 ELSE 0 END
			FROM deployments`)
		if err != nil {
			return err
		}
		defer q.Close()
		envs := map[string]string{} // one string per environment
		for q.Next() {
			var r depRow
			var env string
			var prod, failed, rework int
			if err := q.Scan(&r.at, &r.repo, &env, &prod, &failed, &rework); err != nil {
				return err
			}
			lower, ok := envs[env]
			if !ok {
				lower = strings.ToLower(env)
				envs[env] = lower
			}
			r.env, r.production, r.failed, r.rework = lower, prod != 0, failed != 0, rework != 0
			rows = append(rows, r)
		}
		return q.Err()
	})
	if err != nil {
		return err
	}
	if too {
		rows = nil
	} else {
		slices.SortFunc(rows, func(a, b depRow) int { return cmp.Compare(a.at, b.at) })
		if rows == nil {
			rows = []depRow{}
		}
	}
	m.mu.Lock()
	m.loaded, m.gen, m.checked, m.rows = true, gen, version, rows
	m.mu.Unlock()
	return nil
}

// depsInRange returns the rows deployed in [from, to).
func depsInRange(rows []depRow, from, to int64) []depRow {
	i, _ := slices.BinarySearchFunc(rows, from, func(r depRow, t int64) int { return cmp.Compare(r.at, t) })
	j, _ := slices.BinarySearchFunc(rows, to, func(r depRow, t int64) int { return cmp.Compare(r.at, t) })
	return rows[i:j]
}

// deploymentsFromMirror is deployments (dora.go) over the mirror's rows.
func deploymentsFromMirror(rows []depRow, q Query, env string) []deployment {
	var team map[int64]bool
	if q.Team != nil {
		team = make(map[int64]bool, len(q.Team.RepoIDs))
		for _, id := range q.Team.RepoIDs {
			team[id] = true
		}
	}
	env = strings.ToLower(env)
	in := depsInRange(rows, store.MS(q.Start), store.MS(q.End))
	var out []deployment
	if q.RepoID == 0 && team == nil {
		// Most are kept: one slice of the largest size, rather than
		// regrowing it (a twentieth of a loaded serve's allocations).
		out = make([]deployment, 0, len(in))
	}
	for _, r := range in {
		switch {
		case q.RepoID != 0 && r.repo != q.RepoID:
		case team != nil && !team[r.repo]:
		case env == "" && !r.production:
		case env != "" && r.env != env:
		default:
			out = append(out, deployment{r.at, r.failed, r.rework})
		}
	}
	return out
}
