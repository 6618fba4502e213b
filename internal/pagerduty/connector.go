package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// Source is the connector's name in sync_state, sync_runs and the status
// API, and the source of the incidents it stores.
const Source = model.SourcePagerDuty

// Defaults of Options.
const (
	// DefaultPageSize is the number of incidents per request, PagerDuty's
	// largest.
	DefaultPageSize = 100
	// DefaultWindow is the longest since–until range of one listing:
	// PagerDuty accepts at most 6 months.
	DefaultWindow = 150 * 24 * time.Hour
	// overlap is how far back of the last listed window the next pass
	// starts again, so an incident at a window's edge is never missed.
	overlap = 5 * time.Minute
)

// Options tune a Connector. The zero value is what production uses.
type Options struct {
	// Client talks to PagerDuty; nil makes one for PAGERDUTY_API_URL and
	// PAGERDUTY_API_KEY.
	Client *Client
	Logger *slog.Logger
	// Now is the clock that dates the first sync's reach (SYNC_SINCE) and
	// the end of each listing.
	Now func() time.Time
	// PageSize is the number of incidents per request (default and at most
	// 100); Window the longest date range of one listing (default 150 days).
	PageSize int
	Window   time.Duration
}

// Connector syncs the incidents of the PAGERDUTY_SERVICES services into the
// store. It implements syncer.Connector.
type Connector struct {
	cfg      *config.Config
	st       *store.Store
	client   *Client
	log      *slog.Logger
	now      func() time.Time
	pageSize int
	window   time.Duration
}

var _ syncer.Connector = (*Connector)(nil)

// NewConnector returns the PagerDuty connector for cfg, storing into st.
func NewConnector(cfg *config.Config, st *store.Store, o Options) *Connector {
	c := &Connector{cfg: cfg, st: st, client: o.Client, log: o.Logger, now: o.Now, pageSize: o.PageSize, window: o.Window}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.client == nil {
		c.client = NewClient(ClientOptions{URL: cfg.PagerDutyAPIURL, Key: cfg.PagerDutyAPIKey, Logger: c.log})
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.pageSize <= 0 || c.pageSize > DefaultPageSize {
		c.pageSize = DefaultPageSize
	}
	if c.window <= overlap {
		c.window = DefaultWindow
	}
	return c
}

// Name returns "pagerduty".
func (c *Connector) Name() string { return Source }

// Configured reports whether PAGERDUTY_API_KEY and PAGERDUTY_SERVICES are
// set.
func (c *Connector) Configured() (bool, string) { return c.cfg.PagerDutyConfigured() }

// TestConnection lists one incident.
func (c *Connector) TestConnection(ctx context.Context) error {
	var out incidentList
	_, err := c.client.get(ctx, "/incidents", url.Values{"limit": {"1"}}, &out)
	return err
}

// get runs one GET and reports its HTTP requests, retries included.
func (c *Connector) get(ctx context.Context, rep syncer.Reporter, path string, q url.Values, out any) error {
	n, err := c.client.get(ctx, path, q, out)
	if n > 0 {
		rep.Requests(n)
	}
	return err
}

// Sync syncs each service of PAGERDUTY_SERVICES in turn. A service that
// fails is recorded and the others still sync; the errors are returned
// joined. A rejected key or a canceled context stops the sync.
func (c *Connector) Sync(ctx context.Context, mode syncer.Mode, rep syncer.Reporter) error {
	var errs []error
	for _, svc := range c.cfg.PagerDutyServices {
		rep.Scope(svc.ID)
		err := c.syncService(ctx, mode, rep, svc)
		if merr := syncer.EndScope(ctx, c.st, Source, svc.ID, err); merr != nil {
			errs = append(errs, merr)
		}
		if err == nil {
			continue
		}
		c.log.Warn("pagerduty: service sync failed", "service", svc.ID, "err", err)
		errs = append(errs, fmt.Errorf("PagerDuty service %s: %w", svc.ID, err))
		var auth *AuthError
		if ctx.Err() != nil || errors.As(err, &auth) {
			break
		}
	}
	return errors.Join(errs...)
}

// cursor is a service's incremental sync state, stored as JSON in
// sync_state.cursor (scope: the service id).
//
// PagerDuty lists incidents by creation time. A pass first re-reads the
// incidents stored while still open (Open), then lists the incidents
// created since Since, in windows of at most Options.Window up to now,
// each page stored in one transaction with the cursor that follows it.
// While a window is under way the cursor holds its end (Until) and the
// offset of the next page, so a pass cut short resumes at that page; the
// window's end lies in the past when it starts, so its listing does not
// shift. When a window is done, Since moves to its end, less a small
// overlap.
type cursor struct {
	Since  time.Time  `json:"since"`
	Until  *time.Time `json:"until,omitempty"`
	Offset int        `json:"offset,omitempty"`
	Open   []string   `json:"open,omitempty"`
}

func parseCursor(s string) (cursor, bool) {
	var c cursor
	if s == "" || json.Unmarshal([]byte(s), &c) != nil || c.Since.IsZero() || c.Offset < 0 {
		return cursor{}, false
	}
	return c, true
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// withOpen returns the cursor with id added to (open) or removed from the
// open incidents.
func (c cursor) withOpen(id string, open bool) cursor {
	c.Open = slices.DeleteFunc(slices.Clone(c.Open), func(s string) bool { return s == id })
	if open {
		c.Open = append(c.Open, id)
		slices.Sort(c.Open)
	}
	return c
}

// incidentJSON is an incident as PagerDuty's REST API v2 answers it.
type incidentJSON struct {
	ID                 string     `json:"id"`
	Title              string     `json:"title"`
	Summary            string     `json:"summary"`
	HTMLURL            string     `json:"html_url"`
	Status             string     `json:"status"`
	Urgency            string     `json:"urgency"`
	CreatedAt          time.Time  `json:"created_at"`
	LastStatusChangeAt *time.Time `json:"last_status_change_at"`
	Service            struct {
		ID string `json:"id"`
	} `json:"service"`
}

type incidentList struct {
	Incidents []incidentJSON `json:"incidents"`
	Limit     int            `json:"limit"`
	Offset    int            `json:"offset"`
	More      bool           `json:"more"`
}

type logEntryList struct {
	LogEntries []struct {
		Type      string    `json:"type"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"log_entries"`
	More bool `json:"more"`
}

// formatTime writes a time as ISO 8601 in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// syncService re-reads the service's open incidents, then lists those
// created since its cursor (in Full mode, or on the first sync, since
// SYNC_SINCE).
func (c *Connector) syncService(ctx context.Context, mode syncer.Mode, rep syncer.Reporter, svc config.PagerDutyService) error {
	if err := c.st.MarkSyncStarted(ctx, Source, svc.ID); err != nil {
		return err
	}
	now := c.now().UTC().Truncate(time.Second)
	cur := cursor{Since: now.Add(-c.cfg.SyncSince)}
	state, err := c.st.SyncState(ctx, Source, svc.ID)
	if err != nil {
		return err
	}
	stored, ok := parseCursor(state.Cursor)
	if !ok && state.Cursor != "" {
		c.log.Warn("pagerduty: unreadable sync cursor; syncing from SYNC_SINCE", "service", svc.ID)
	}
	if mode == syncer.Full {
		cur.Open = stored.Open
	} else if ok {
		cur = stored
	}

	// The incidents stored while open: resolved since, or still open.
	for _, id := range slices.Clone(cur.Open) {
		var one struct {
			Incident incidentJSON `json:"incident"`
		}
		err := c.get(ctx, rep, "/incidents/"+url.PathEscape(id), nil, &one)
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.Status == 404 {
			c.log.Warn("pagerduty: an open incident is gone; keeping it as stored", "service", svc.ID, "incident", id)
			cur = cur.withOpen(id, false)
			continue
		}
		if err != nil {
			return err
		}
		in := one.Incident
		if in.Service.ID != svc.ID || !slices.Contains(c.cfg.PagerDutyUrgencies, in.Urgency) {
			// Moved to another service or urgency: no longer followed.
			cur = cur.withOpen(id, false)
			continue
		}
		rec, err := c.record(ctx, rep, in)
		if err != nil {
			return err
		}
		cur = cur.withOpen(id, rec.ResolvedAt == nil)
		if err := c.store(ctx, svc, []model.Incident{rec}, cur); err != nil {
			return err
		}
		rep.Records("incidents", 1)
	}

	if !cur.Since.Before(now) {
		cur.Since = now.Add(-overlap)
	}
	for {
		if cur.Until == nil {
			until := cur.Since.Add(c.window)
			if until.After(now) {
				until = now
			}
			cur.Until, cur.Offset = &until, 0
		}
		for {
			q := url.Values{
				"since": {formatTime(cur.Since)}, "until": {formatTime(*cur.Until)},
				"service_ids[]": {svc.ID}, "urgencies[]": c.cfg.PagerDutyUrgencies,
				"sort_by": {"incident_number:asc"}, "time_zone": {"UTC"},
				"limit": {strconv.Itoa(c.pageSize)}, "offset": {strconv.Itoa(cur.Offset)},
			}
			var page incidentList
			if err := c.get(ctx, rep, "/incidents", q, &page); err != nil {
				return err
			}
			recs := make([]model.Incident, 0, len(page.Incidents))
			for _, in := range page.Incidents {
				rec, err := c.record(ctx, rep, in)
				if err != nil {
					return err
				}
				recs = append(recs, rec)
				cur = cur.withOpen(in.ID, rec.ResolvedAt == nil)
			}
			cur.Offset += len(page.Incidents)
			done := !page.More || len(page.Incidents) == 0
			last := done && !cur.Until.Before(now)
			if done {
				cur = cursor{Since: cur.Until.Add(-overlap), Open: cur.Open}
			}
			if err := c.store(ctx, svc, recs, cur); err != nil {
				return err
			}
			rep.Records("incidents", len(recs))
			if done {
				if last {
					return nil
				}
				break
			}
		}
	}
}

// record converts an incident to the stored form: opened at created_at,
// resolved (once its status is resolved) at its last resolve_log_entry, or
// at last_status_change_at when its log has none.
func (c *Connector) record(ctx context.Context, rep syncer.Reporter, in incidentJSON) (model.Incident, error) {
	title := in.Title
	if title == "" {
		title = in.Summary
	}
	rec := model.Incident{Source: Source, ExternalID: in.ID, Title: title, URL: in.HTMLURL, OpenedAt: in.CreatedAt.UTC()}
	if in.Status != "resolved" {
		return rec, nil
	}
	var resolved *time.Time
	for offset := 0; ; {
		var page logEntryList
		q := url.Values{"limit": {"100"}, "offset": {strconv.Itoa(offset)}, "time_zone": {"UTC"}}
		if err := c.get(ctx, rep, "/incidents/"+url.PathEscape(in.ID)+"/log_entries", q, &page); err != nil {
			return rec, err
		}
		for _, e := range page.LogEntries {
			if e.Type == "resolve_log_entry" && (resolved == nil || e.CreatedAt.After(*resolved)) {
				t := e.CreatedAt.UTC()
				resolved = &t
			}
		}
		offset += len(page.LogEntries)
		if !page.More || len(page.LogEntries) == 0 {
			break
		}
	}
	if resolved == nil && in.LastStatusChangeAt != nil {
		t := in.LastStatusChangeAt.UTC()
		resolved = &t
	}
	if resolved == nil {
		resolved = &rec.OpenedAt
	}
	if resolved.Before(rec.OpenedAt) {
		resolved = &rec.OpenedAt
	}
	rec.ResolvedAt = resolved
	return rec, nil
}

// store upserts a page of incidents of svc with the cursor that follows
// it, in one transaction.
func (c *Connector) store(ctx context.Context, svc config.PagerDutyService, recs []model.Incident, cur cursor) error {
	return c.st.Tx(ctx, func(tx *store.Tx) error {
		var repoID *int64
		if svc.Repo != "" && len(recs) > 0 {
			id, err := tx.EnsureRepository(ctx, svc.Repo)
			if err != nil {
				return err
			}
			repoID = &id
		}
		for i := range recs {
			recs[i].RepoID = repoID
			if _, err := tx.UpsertIncident(ctx, &recs[i]); err != nil {
				return err
			}
		}
		return tx.SetSyncCursor(ctx, Source, svc.ID, cur.String())
	})
}
