package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
)

// nullStr converts "" to NULL, for optional text columns.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// strCol scans a nullable text column into a string ("" for NULL).
type strCol struct{ s *string }

func (c strCol) Scan(v any) error {
	var ns sql.NullString
	if err := ns.Scan(v); err != nil {
		return err
	}
	*c.s = ns.String
	return nil
}

// labelsJSON encodes a label list for a JSON text column.
func labelsJSON(labels []string) string {
	if len(labels) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(labels)
	return string(b)
}

// labelsCol scans a JSON text column into a label list.
type labelsCol struct{ l *[]string }

func (c labelsCol) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case nil:
		*c.l = []string{}
		return nil
	default:
		return fmt.Errorf("store: labels column holds %T", v)
	}
	out := []string{}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return fmt.Errorf("store: labels column: %w", err)
	}
	*c.l = out
	return nil
}
