package store

import (
	"context"
	"database/sql"

	"github.com/veelocity/veelocity/internal/model"
)

const incidentColumns = `i.id, i.source, i.external_id, i.repo_id, r.full_name, i.title, i.url, i.opened_at,
	i.resolved_at, i.deployment_id`

func scanIncident(sc interface{ Scan(...any) error }) (model.Incident, error) {
	var in model.Incident
	var repoID, depID sql.NullInt64
	err := sc.Scan(&in.ID, &in.Source, &in.ExternalID, &repoID, strCol{&in.Repo}, &in.Title, &in.URL,
		TimeCol(&in.OpenedAt), NullTimeCol(&in.ResolvedAt), &depID)
	if repoID.Valid {
		in.RepoID = &repoID.Int64
	}
	if depID.Valid {
		in.DeploymentID = &depID.Int64
	}
	return in, err
}

// IncidentRecord returns the incident with internal id id, or ErrNotFound.
func (s *Store) IncidentRecord(ctx context.Context, id int64) (model.Incident, error) {
	in, err := scanIncident(s.read.QueryRowContext(ctx, `/* Store.IncidentRecord */
		SELECT `+incidentColumns+` FROM incidents i LEFT JOIN repositories r ON r.id = i.repo_id WHERE i.id = $1`, id))
	return in, notFound(err)
}

// IncidentIDByExternalID returns the internal id of the incident that source
// knows as externalID, or ErrNotFound.
func (tx *Tx) IncidentIDByExternalID(ctx context.Context, source, externalID string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `/* Tx.IncidentIDByExternalID */
		SELECT id FROM incidents WHERE source = $1 AND external_id = $2`, source, externalID).Scan(&id)
	return id, notFound(err)
}
