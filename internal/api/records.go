package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
)

// Limits on recorded deployments and incidents.
const (
	maxRecordBody = 1 << 20 // bytes of a POST body
	// maxFutureSkew is how far past the server's clock a recorded time may
	// be, allowing for a caller's clock running ahead.
	maxFutureSkew = 24 * time.Hour
	maxIDLen      = 255
	maxTitleLen   = 1000
	maxURLLen     = 2048
)

// recordRoutes lists the routes for deployments and incidents recorded by other systems (POST).
func (a *API) recordRoutes() []Route {
	idField := Field{Name: "external_id", Type: "string", Required: true,
		Description: "the caller's id for the record; posting it again updates the record"}
	urlField := Field{Name: "url", Type: "string", Format: "uri", Description: "http(s) link to the record in its own system"}
	return []Route{
		{
			Method: http.MethodPost, Pattern: "/api/v1/deployments", Tag: "records", Status: http.StatusCreated,
			Summary: "Record a deployment from another CI system (source api). 201 when new, 200 when external_id was already recorded; answers with the stored deployment",
			Body: []Field{
				idField,
				{Name: "repo", Type: "string", Required: true, Description: "owner/name; recorded even if not synced yet"},
				{Name: "deployed_at", Type: "string", Format: "date-time", Required: true, Description: "completion time, RFC 3339; it is also the deployment's creation time, which links pull requests by time (METRICS.md)"},
				{Name: "head_sha", Type: "string", Description: "commit deployed, used to link pull requests by merge commit"},
				{Name: "environment", Type: "string", Description: "the environment deployed to (default production); only PRODUCTION_ENVIRONMENTS count in the DORA metrics"},
				urlField,
			},
			Handler: a.postDeployment,
		},
		{
			Method: http.MethodPost, Pattern: "/api/v1/incidents", Tag: "records", Status: http.StatusCreated,
			Summary: "Record an incident from a pager (source api). 201 when new, 200 when external_id was already recorded; answers with the stored incident",
			Body: []Field{
				idField,
				{Name: "title", Type: "string"},
				{Name: "repo", Type: "string", Description: "owner/name; without it the incident may be attributed to a deployment of any repository"},
				{Name: "opened_at", Type: "string", Format: "date-time", Required: true, Description: "RFC 3339"},
				{Name: "resolved_at", Type: "string", Format: "date-time", Description: "RFC 3339, not before opened_at; absent while open"},
				urlField,
			},
			Handler: a.postIncident,
		},
	}
}

// deploymentBody is the body of POST /deployments.
type deploymentBody struct {
	ExternalID  string `json:"external_id"`
	Repo        string `json:"repo"`
	DeployedAt  string `json:"deployed_at"`
	HeadSHA     string `json:"head_sha"`
	Environment string `json:"environment"`
	URL         string `json:"url"`
}

// incidentBody is the body of POST /incidents.
type incidentBody struct {
	ExternalID string `json:"external_id"`
	Title      string `json:"title"`
	Repo       string `json:"repo"`
	OpenedAt   string `json:"opened_at"`
	ResolvedAt string `json:"resolved_at"`
	URL        string `json:"url"`
}

func (a *API) postDeployment(w http.ResponseWriter, r *http.Request) error {
	var body deploymentBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	d, err := body.deployment(a.store.Now())
	if err != nil {
		return err
	}
	ctx := r.Context()
	created := false
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.DeploymentIDByExternalID(ctx, d.Source, d.ExternalID)
		if created = errors.Is(err, store.ErrNotFound); err != nil && !created {
			return err
		}
		if d.RepoID, err = tx.EnsureRepository(ctx, d.Repo); err != nil {
			return err
		}
		_, err = tx.UpsertDeployment(ctx, &d)
		return err
	})
	if err != nil {
		return err
	}
	a.deriveAfterWrite()
	stored, err := a.store.DeploymentRecord(ctx, d.ID)
	if err != nil {
		return err
	}
	return WriteJSON(w, createdOrOK(created), stored)
}

func (a *API) postIncident(w http.ResponseWriter, r *http.Request) error {
	var body incidentBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	in, err := body.incident(a.store.Now())
	if err != nil {
		return err
	}
	ctx := r.Context()
	created := false
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.IncidentIDByExternalID(ctx, in.Source, in.ExternalID)
		if created = errors.Is(err, store.ErrNotFound); err != nil && !created {
			return err
		}
		if in.Repo != "" {
			repoID, err := tx.EnsureRepository(ctx, in.Repo)
			if err != nil {
				return err
			}
			in.RepoID = &repoID
		}
		_, err = tx.UpsertIncident(ctx, &in)
		return err
	})
	if err != nil {
		return err
	}
	a.deriveAfterWrite()
	stored, err := a.store.IncidentRecord(ctx, in.ID)
	if err != nil {
		return err
	}
	return WriteJSON(w, createdOrOK(created), stored)
}

// deriveAfterWrite asks for the derive step, if there is one, in the
// background: the record is stored and marked, so the answer does not wait
// for it, and the metrics reflect the record once the run that follows
// ends. Requests made while a run is going coalesce into one more run.
func (a *API) deriveAfterWrite() {
	if a.derive != nil {
		a.derive.Request()
	}
}

func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// deployment validates b and returns the deployment it describes. now is
// the server's clock, against which times in the future are refused.
func (b *deploymentBody) deployment(now time.Time) (model.Deployment, error) {
	d := model.Deployment{Source: model.SourceAPI}
	var err error
	if d.ExternalID, err = requiredText("external_id", b.ExternalID, maxIDLen); err != nil {
		return d, err
	}
	if d.Repo, err = repoField("repo", b.Repo, true); err != nil {
		return d, err
	}
	if d.DeployedAt, err = recordTime("deployed_at", b.DeployedAt, now, true); err != nil {
		return d, err
	}
	// A deployment recorded through the API has its deployed_at as its
	// creation time (METRICS.md).
	d.CreatedAt = d.DeployedAt
	if d.HeadSHA = strings.TrimSpace(b.HeadSHA); d.HeadSHA != "" {
		if len(d.HeadSHA) > maxIDLen || strings.ContainsFunc(d.HeadSHA, unicode.IsSpace) {
			return d, BadRequest("head_sha", "must be a commit SHA, without spaces")
		}
		if hexRE.MatchString(d.HeadSHA) {
			// Git spells SHAs in lower case; match merge commits whatever
			// the caller's case.
			d.HeadSHA = strings.ToLower(d.HeadSHA)
		}
	}
	if d.Environment, err = optionalText("environment", b.Environment, maxIDLen); err != nil {
		return d, err
	}
	if d.Environment == "" {
		d.Environment = model.EnvironmentProduction // METRICS.md, Environments
	}
	d.URL, err = urlField("url", b.URL)
	return d, err
}

// incident validates b and returns the incident it describes.
func (b *incidentBody) incident(now time.Time) (model.Incident, error) {
	in := model.Incident{Source: model.SourceAPI}
	var err error
	if in.ExternalID, err = requiredText("external_id", b.ExternalID, maxIDLen); err != nil {
		return in, err
	}
	if in.Title, err = optionalText("title", b.Title, maxTitleLen); err != nil {
		return in, err
	}
	if in.Repo, err = repoField("repo", b.Repo, false); err != nil {
		return in, err
	}
	if in.OpenedAt, err = recordTime("opened_at", b.OpenedAt, now, true); err != nil {
		return in, err
	}
	resolved, err := recordTime("resolved_at", b.ResolvedAt, now, false)
	if err != nil {
		return in, err
	}
	if !resolved.IsZero() {
		if resolved.Before(in.OpenedAt) {
			return in, BadRequest("resolved_at", "must not be before opened_at")
		}
		in.ResolvedAt = &resolved
	}
	in.URL, err = urlField("url", b.URL)
	return in, err
}

// decodeBody reads a request body of at most maxRecordBody bytes holding
// exactly one JSON object with only the fields of dst.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxRecordBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return bodyError(err)
		}
		return BadRequest("body", "must hold one JSON object and nothing after it")
	}
	return nil
}

// bodyError turns a JSON decoding error into a 400 naming the field at
// fault where there is one.
func bodyError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &Error{Status: http.StatusRequestEntityTooLarge, Message: "body: must be at most 1 MiB"}
	case errors.Is(err, io.EOF):
		return BadRequest("body", "must be a JSON object; it is empty")
	case errors.As(err, &syntax):
		return BadRequest("body", "is not valid JSON (at byte %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("body", "is not valid JSON (it ends too soon)")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return BadRequest("body", "must be a JSON object")
		}
		return BadRequest(typ.Field, "must be a JSON %s", typ.Type.Kind())
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return BadRequest(strings.Trim(name, `"`), "is not a known field")
	}
	return BadRequest("body", "is not valid JSON")
}

// requiredText returns v trimmed, refusing it when blank or longer than max
// characters.
func requiredText(name, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", BadRequest(name, "is required")
	}
	return optionalText(name, v, max)
}

// optionalText returns v trimmed, refusing it when longer than max
// characters.
func optionalText(name, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if len([]rune(v)) > max {
		return "", BadRequest(name, "must be at most %d characters", max)
	}
	return v, nil
}

// repoNameRE matches owner/name as GitHub allows them.
var repoNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)

// hexRE matches a commit SHA spelled in hex.
var hexRE = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// validRepoName reports whether s is a repository's owner/name.
func validRepoName(s string) bool {
	if !repoNameRE.MatchString(s) {
		return false
	}
	_, name, _ := strings.Cut(s, "/")
	return name != "." && name != ".."
}

// repoField validates an owner/name field.
func repoField(name, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		return "", BadRequest(name, "is required")
	case v != "" && !validRepoName(v):
		return "", BadRequest(name, "must be owner/name, e.g. acme/web")
	}
	return v, nil
}

// urlField validates an optional absolute http(s) URL.
func urlField(name, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > maxURLLen {
		return "", BadRequest(name, "must be an http or https URL of at most %d characters", maxURLLen)
	}
	return v, nil
}

// earliestRecordTime is the earliest time a record may carry.
var earliestRecordTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// recordTime parses an RFC 3339 time field to millisecond precision, as it
// is stored, refusing times before 1970 or more than maxFutureSkew past now.
// An absent optional field gives the zero time.
func recordTime(name, v string, now time.Time, required bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			return time.Time{}, BadRequest(name, "is required")
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, BadRequest(name, "must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
	}
	t = t.UTC().Truncate(time.Millisecond)
	switch {
	case t.Before(earliestRecordTime):
		return time.Time{}, BadRequest(name, "must not be before 1970")
	case t.After(now.Add(maxFutureSkew)):
		return time.Time{}, BadRequest(name, "is more than a day in the future")
	}
	return t, nil
}
