package metrics

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// metricParams are the parameters ParseQuery reads; a *ParamError must name
// one of them.
var metricParams = map[string]bool{"start_date": true, "end_date": true, "period": true, "repo_id": true,
	"repo": true, "author": true, "include_trend": true}

// FuzzParseQuery feeds ParseQuery any query string. It must not panic; it
// either refuses the query with a *ParamError naming a parameter or with
// ErrUnknownRepo (a 404), or returns a query whose range is non-empty, at
// most MaxDays long and whose period is one of day, week, month.
// testdata/fuzz/FuzzParseQuery holds the seed corpus the normal test run
// replays.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"", "start_date=2026-03-01&end_date=2026-03-31&period=day", "period=month&include_trend=true",
		"repo=acme/web", "repo_id=1", "repo_id=1&repo=acme/api", "repo=acme", "start_date=0001-01-01&end_date=9999-12-31",
		"end_date=2026-02-30", "start_date=2026-04-01&end_date=2026-03-01", "include_trend=maybe", "author=%20ann%20",
		"repo_id=-1", "repo_id=99999999999999999999", "period=year", "start_date=1900-01-01",
	} {
		f.Add(s)
	}
	st := storetest.New(f)
	ctx := context.Background()
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		for _, name := range []string{"acme/web", "acme/api"} {
			if _, err := tx.EnsureRepository(ctx, name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		f.Fatal(err)
	}
	today := time.Date(2026, 3, 20, 15, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw)
		q, err := ParseQuery(ctx, st, v, today)
		var pe *ParamError
		switch {
		case errors.As(err, &pe):
			if !metricParams[pe.Param] || pe.Msg == "" {
				t.Fatalf("%q: error %q does not name a parameter", raw, err)
			}
		case errors.Is(err, ErrUnknownRepo):
		case err != nil:
			t.Fatalf("%q: unexpected error %v", raw, err)
		default:
			if !q.Start.Before(q.End) || q.Days() > MaxDays || q.Days() < 1 {
				t.Fatalf("%q: range %s..%s", raw, q.Start, q.End)
			}
			if q.Period != Day && q.Period != Week && q.Period != Month {
				t.Fatalf("%q: period %q", raw, q.Period)
			}
		}
	})
}
