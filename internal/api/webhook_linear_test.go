package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// linearDelivery is a Linear delivery with payload.
func linearDelivery(id, payload string) delivery {
	return delivery{path: "/api/v1/webhooks/linear", contentType: "application/json; charset=utf-8", body: payload,
		headers: map[string]string{"Linear-Delivery": id, "Linear-Event": "Issue", "User-Agent": "Linear-Webhook"}}
}

// issuePayload is an Issue data-change payload in the shape Linear
// documents, sent at sent, for the team with key team.
func issuePayload(sent time.Time, team string) string {
	return fmt.Sprintf(`{"action":"update","actor":{"id":"2e2ddd1f-d1d4-4a1b-8b7d-f8d0a0a1b2c3","type":"user","name":"Ada"},
		"createdAt":%q,"data":{"id":"9cfb482a-81e3-4154-b5b9-2c805e70a02d","createdAt":"2026-03-30T10:00:00.000Z","updatedAt":%q,
		"number":42,"title":"Checkout fails","priority":2,"identifier":"%s-42","teamId":"72b2a2dc-6f4f-4423-9d34-24b5bd10634a",
		"team":{"id":"72b2a2dc-6f4f-4423-9d34-24b5bd10634a","key":%q,"name":"Engineering"},"stateId":"8f9c6d5e-1a2b-4c3d-9e8f-7a6b5c4d3e2f",
		"labelIds":[]},"updatedFrom":{"updatedAt":"2026-03-30T10:00:00.000Z","stateId":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"},
		"url":"https://linear.app/acme/issue/%s-42/checkout-fails","type":"Issue","organizationId":"4b2a3c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d",
		"webhookTimestamp":%d,"webhookId":"000042e3-d123-4980-b49f-8e140eef9329"}`,
		sent.UTC().Format(time.RFC3339), sent.UTC().Format(time.RFC3339), team, team, team, sent.UnixMilli())
}

func TestLinearWebhook(t *testing.T) {
	rc := &recordingConnectors{}
	e := newHookEnv(t, hookOptions{conns: rc.build})
	now := time.Now()
	fresh := issuePayload(now, "ENG")
	for _, tc := range []struct {
		name   string
		d      delivery
		status int
		want   string // the answer's status, or the error's field
	}{
		{"issue updated", linearDelivery("ld-1", fresh), 202, "scheduled"},
		{"the same delivery again", linearDelivery("ld-1", fresh), 200, "duplicate"},
		{"a project: not synced", linearDelivery("ld-2", strings.Replace(fresh, `"type":"Issue"`, `"type":"Project"`, 1)), 202, "ignored"},
		{"unsigned", func() delivery { d := linearDelivery("ld-3", fresh); d.sig = "-"; return d }(), 401, "Linear-Signature:"},
		{"signed with another secret", func() delivery {
			d := linearDelivery("ld-3", fresh)
			d.sig = strings.TrimPrefix(hubSignature("guess", fresh), "sha256=")
			return d
		}(), 401, "Linear-Signature:"},
		{"sent 61 s ago", linearDelivery("ld-4", issuePayload(now.Add(-61*time.Second), "ENG")), 400, "webhookTimestamp:"},
		{"sent 61 s ahead", linearDelivery("ld-5", issuePayload(now.Add(61*time.Second), "ENG")), 400, "webhookTimestamp:"},
		{"no timestamp", linearDelivery("ld-6", `{"type":"Issue","data":{"teamId":"x"}}`), 400, "webhookTimestamp:"},
		{"timestamp not a number", linearDelivery("ld-7", `{"type":"Issue","webhookTimestamp":"soon"}`), 400, "webhookTimestamp:"},
		{"not JSON", linearDelivery("ld-8", `{"type":`), 400, "payload:"},
		{"no data", linearDelivery("ld-9", fmt.Sprintf(`{"type":"Issue","webhookTimestamp":%d}`, now.UnixMilli())), 400, "data:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := e.send(tc.d)
			got, _ := out["status"].(string)
			if status >= 400 {
				got, _ = out["error"].(string)
			}
			if status != tc.status || !strings.HasPrefix(got, tc.want) {
				t.Errorf("%d %v, want %d %s", status, out, tc.status, tc.want)
			}
		})
	}
	e.waitQueue()
	if n := e.count("webhook_deliveries"); n != 1 {
		t.Errorf("%d deliveries stored, want 1", n)
	}
	if got := rc.synced("linear"); len(got) != 1 || !slices.Equal(got[0], []string{"ENG"}) {
		t.Errorf("Linear syncs %v, want one of team ENG", got)
	}
	if n := len(rc.synced("github")); n != 0 {
		t.Errorf("a Linear delivery synced GitHub %d times", n)
	}
}
