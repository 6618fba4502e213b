package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/veelocity/veelocity/internal/config"
)

// With AUTH_MODE on, a webhook needs no session or token: a delivery with
// a good signature is taken, one without is refused by the signature check
// (401 naming the header, no Bearer challenge), and /metrics still needs a
// token.
func TestWebhooksNeedOnlyTheirSignature(t *testing.T) {
	const secret = "webhook-secret"
	s := newSecureSite(t, config.AuthPassword, map[string]string{"GITHUB_WEBHOOK_SECRET": secret})
	body := `{"action":"opened","number":1,"pull_request":{"number":1},"repository":{"full_name":"acme/web"}}`
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	h := map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "pull_request",
		"X-GitHub-Delivery": "6a1e2f3c-0000-11f0-8000-000000000001", "X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))}
	got := s.do(t, nil, request{method: "POST", path: "/api/v1/webhooks/github", header: h, body: body})
	if got.status != http.StatusAccepted {
		t.Errorf("a signed delivery without a session: %d %s", got.status, got.body)
	}
	delete(h, "X-Hub-Signature-256")
	h["X-GitHub-Delivery"] = "6a1e2f3c-0000-11f0-8000-000000000002"
	got = s.do(t, nil, request{method: "POST", path: "/api/v1/webhooks/github", header: h, body: body})
	if got.status != http.StatusUnauthorized || got.header.Get("WWW-Authenticate") != "" || !strings.Contains(got.body, "X-Hub-Signature-256") {
		t.Errorf("an unsigned delivery: %d %q %s", got.status, got.header.Get("WWW-Authenticate"), got.body)
	}
	if got := s.do(t, nil, request{method: "GET", path: "/metrics"}); got.status != http.StatusUnauthorized {
		t.Errorf("/metrics without a token: %d", got.status)
	}
	got = s.do(t, nil, request{method: "GET", path: "/metrics", header: map[string]string{"Authorization": "Bearer " + s.ro}})
	if got.status != http.StatusOK || !strings.Contains(got.body, "veelocity_http_requests_total") {
		t.Errorf("/metrics with a read-only token: %d %.200s", got.status, got.body)
	}
}
