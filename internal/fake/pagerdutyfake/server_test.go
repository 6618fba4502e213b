package pagerdutyfake

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func get(t *testing.T, s *Server, path, key string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Token token="+key)
	}
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

// The fake answers as PagerDuty's reference says: see the package doc.
func TestWireFormat(t *testing.T) {
	s := New()
	defer s.Close()
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.AddService("PWEB", "Web")
	for i := range 3 {
		s.AddIncident(Incident{Service: "PWEB", Title: "x", CreatedAt: now.Add(-time.Duration(i+1) * time.Hour)})
	}
	tests := []struct {
		name, path, key string
		status          int
		check           func(body map[string]any) bool
	}{
		{"no key", "/incidents", "", 401, func(b map[string]any) bool { return b["error"] != nil }},
		{"a page", "/incidents?limit=2", DefaultKey, 200, func(b map[string]any) bool {
			return len(b["incidents"].([]any)) == 2 && b["more"] == true && b["limit"] == 2.0 && b["offset"] == 0.0 && b["total"] == nil
		}},
		{"the last page, with total", "/incidents?limit=2&offset=2&total=true", DefaultKey, 200, func(b map[string]any) bool {
			return len(b["incidents"].([]any)) == 1 && b["more"] == false && b["total"] == 3.0
		}},
		{"more than 6 months", "/incidents?since=2025-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", DefaultKey, 400,
			func(b map[string]any) bool { return b["error"].(map[string]any)["code"] == 2001.0 }},
		{"a bad urgency", "/incidents?urgencies[]=urgent", DefaultKey, 400, func(b map[string]any) bool { return b["error"] != nil }},
		{"an unknown incident", "/incidents/QNOPE", DefaultKey, 404, func(b map[string]any) bool { return b["error"] != nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, s, tc.path, tc.key)
			if resp.StatusCode != tc.status || !tc.check(body) {
				t.Errorf("GET %s: %d %v", tc.path, resp.StatusCode, body)
			}
			for _, h := range []string{"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("GET %s: no %s header", tc.path, h)
				}
			}
		})
	}
}
