package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Timestamps are stored as BIGINT Unix milliseconds in UTC (see
// migrations/0001_init.sql). These helpers convert at the boundary.

// ms converts t to Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// nullMS converts an optional time to a query argument: NULL when t is nil
// or zero.
func nullMS(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts Unix milliseconds to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// FromMS converts stored Unix milliseconds to a UTC time, for packages that
// run their own SQL.
func FromMS(v int64) time.Time { return fromMS(v) }

// MS converts a time to the stored Unix-millisecond form, for packages that
// run their own SQL.
func MS(t time.Time) int64 { return ms(t) }

// timeCol scans a NOT NULL millisecond column into a time.Time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	n, err := asInt64(v)
	if err != nil {
		return err
	}
	*c.t = fromMS(n)
	return nil
}

// nullTimeCol scans a nullable millisecond column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.t = nil
		return nil
	}
	n, err := asInt64(v)
	if err != nil {
		return err
	}
	t := fromMS(n)
	*c.t = &t
	return nil
}

// TimeCol returns a scanner for a NOT NULL timestamp column.
func TimeCol(t *time.Time) interface{ Scan(any) error } { return timeCol{t} }

// NullTimeCol returns a scanner for a nullable timestamp column.
func NullTimeCol(t **time.Time) interface{ Scan(any) error } { return nullTimeCol{t} }

func asInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case float64:
		return int64(n), nil
	case driver.Valuer:
		x, err := n.Value()
		if err != nil {
			return 0, err
		}
		return asInt64(x)
	}
	return 0, fmt.Errorf("store: timestamp column holds %T, want an integer", v)
}
