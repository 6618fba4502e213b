package api

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// fuzzSecret signs the fuzzers' deliveries.
const fuzzSecret = "fuzz-secret"

// fieldMessageRE matches a refusal that starts with the header or field at
// fault ("X-GitHub-Event: …", "repository.full_name: …").
var fieldMessageRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._\[\]-]*: `)

// checkRefusal fails unless err is a 4xx *Error naming a header or field.
func checkRefusal(t *testing.T, err error) *Error {
	t.Helper()
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("refusal %v (%T) is not an *Error", err, err)
	}
	if apiErr.Status < 400 || apiErr.Status > 499 || !fieldMessageRE.MatchString(apiErr.Message) {
		t.Fatalf("refusal %d %q: want a 4xx naming the field", apiErr.Status, apiErr.Message)
	}
	return apiErr
}

// FuzzGitHubWebhook feeds the GitHub webhook parser any event, content
// type, body and signature. It must not panic; a refusal is a 4xx naming
// the header or field; an unsigned or wrongly signed delivery is a 401; an
// accepted delivery of a handled event names a valid repository.
func FuzzGitHubWebhook(f *testing.F) {
	f.Add("pull_request", "application/json", []byte(`{"action":"closed","pull_request":{"merged":true},"repository":{"full_name":"acme/web"}}`), true, "")
	f.Add("ping", "application/json", []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`), true, "")
	f.Add("pull_request", "application/x-www-form-urlencoded", []byte(`payload=%7B%22repository%22%3A%7B%22full_name%22%3A%22acme%2Fweb%22%7D%7D`), true, "")
	f.Add("issues", "application/json", []byte(`{"repository":{"full_name":7}}`), false, "sha256=00")
	f.Fuzz(func(t *testing.T, event, contentType string, body []byte, signed bool, sig string) {
		h := http.Header{}
		h.Set("X-GitHub-Event", event)
		h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		h.Set("Content-Type", contentType)
		if signed {
			sig = "sha256=" + sign(fuzzSecret, body)
		}
		h.Set("X-Hub-Signature-256", sig)
		d, err := parseGitHubDelivery(fuzzSecret, h, body)
		if err != nil {
			e := checkRefusal(t, err)
			if !signed && sig != "sha256="+sign(fuzzSecret, body) && e.Status != http.StatusUnauthorized {
				t.Fatalf("a wrongly signed delivery got %d %q, want 401", e.Status, e.Message)
			}
			return
		}
		if !signed && sig != "sha256="+sign(fuzzSecret, body) {
			t.Fatalf("a wrongly signed delivery (%q) was accepted: %+v", sig, d)
		}
		if _, handled := githubEventSources[d.Event]; handled && !validRepoName(d.Repo) {
			t.Fatalf("accepted %s delivery names repository %q", d.Event, d.Repo)
		}
	})
}

// FuzzLinearWebhook feeds the Linear webhook parser any body and
// signature, at a fixed clock. It must not panic; a refusal is a 4xx naming
// the header or field; a wrongly signed delivery is a 401; an accepted one
// was sent within 60 s of the clock.
func FuzzLinearWebhook(f *testing.F) {
	now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	ts := now.UnixMilli()
	f.Add([]byte(`{"action":"update","type":"Issue","data":{"id":"i1","teamId":"t1","team":{"key":"ENG"}},"webhookTimestamp":`+itoa(ts)+`}`), true, "")
	f.Add([]byte(`{"action":"create","type":"Attachment","data":{"id":"a1"},"webhookTimestamp":`+itoa(ts-59_000)+`}`), true, "")
	f.Add([]byte(`{"type":"Issue","webhookTimestamp":"soon"}`), true, "")
	f.Add([]byte(`{"type":"Issue","webhookTimestamp":`+itoa(ts-61_000)+`}`), false, "00ff")
	f.Fuzz(func(t *testing.T, body []byte, signed bool, sig string) {
		h := http.Header{}
		h.Set("Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72")
		if signed {
			sig = sign(fuzzSecret, body)
		}
		h.Set("Linear-Signature", sig)
		d, err := parseLinearDelivery(fuzzSecret, h, body, now)
		wrong := !signed && sig != sign(fuzzSecret, body)
		if err != nil {
			if e := checkRefusal(t, err); wrong && e.Status != http.StatusUnauthorized {
				t.Fatalf("a wrongly signed delivery got %d %q, want 401", e.Status, e.Message)
			}
			return
		}
		if wrong {
			t.Fatalf("a wrongly signed delivery (%q) was accepted: %+v", sig, d)
		}
		if d.Type == "" {
			t.Fatalf("accepted a delivery without a type: %+v", d)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
