package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/veelocity/veelocity/internal/store"
)

// maxWebhookBody bounds a webhook delivery's body: GitHub caps its payloads
// at 25 MB.
const maxWebhookBody = 25 << 20

// deliveryRetention is how long delivery ids are kept to refuse a delivery
// sent twice; senders redeliver within days.
const deliveryRetention = 30 * 24 * time.Hour

// webhookRoutes lists the webhook endpoints. They are authenticated by their
// signatures, not by a session or token.
func (a *API) webhookRoutes() []Route {
	return []Route{
		{Method: http.MethodPost, Pattern: "/api/v1/webhooks/github", Tag: "webhooks", Status: http.StatusAccepted,
			Summary: "GitHub webhook (ping, pull_request, pull_request_review, workflow_run, deployment, deployment_status, issues): " +
				"checks X-Hub-Signature-256 with GITHUB_WEBHOOK_SECRET (401 if it does not match), then schedules an incremental sync of the repository; " +
				"other events are ignored (202). Deliveries are deduplicated by X-GitHub-Delivery. 404 when GITHUB_WEBHOOK_SECRET is not set",
			Access: Signature, AnyBody: true, Handler: a.githubWebhook},
		{Method: http.MethodPost, Pattern: "/api/v1/webhooks/linear", Tag: "webhooks", Status: http.StatusAccepted,
			Summary: "Linear webhook (Issue, IssueLabel, Attachment, Comment): checks Linear-Signature with LINEAR_WEBHOOK_SECRET (401 if it does not match) " +
				"and webhookTimestamp (400 if more than 60 s from now), then schedules an incremental sync of the team; " +
				"deduplicated by Linear-Delivery. 404 when LINEAR_WEBHOOK_SECRET is not set",
			Access: Signature, AnyBody: true, Handler: a.linearWebhook},
	}
}

// webhookAnswer is the body of a webhook's success answer.
type webhookAnswer struct {
	// Status is scheduled (a sync will follow), duplicate (this delivery
	// was handled before), ignored (an event Veelocity does not use) or
	// pong (GitHub's ping).
	Status string   `json:"status"`
	Event  string   `json:"event"`
	Scope  string   `json:"scope,omitempty"`
	Syncs  []string `json:"syncs,omitempty"`
}

// readWebhookBody reads the whole raw body, which the signature covers.
func readWebhookBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Message: "body: must be at most 25 MiB"}
	case err != nil:
		return nil, BadRequest("body", "could not be read")
	}
	return body, nil
}

// checkSignature compares a hex HMAC-SHA256 of body with secret against
// got, in constant time; header names the header it came from.
func checkSignature(header, got string, secret string, body []byte) error {
	if got == "" {
		return &Error{Status: http.StatusUnauthorized, Message: header + ": is required (the delivery is not signed)"}
	}
	sig, err := hex.DecodeString(got)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return &Error{Status: http.StatusUnauthorized, Message: header + ": does not match the body; check that the webhook's secret is the one Veelocity has"}
	}
	return nil
}

// sign returns the hex HMAC-SHA256 of body with secret, as the senders
// compute it.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// deliveryHeader returns a delivery id header, refusing one too long to be
// an id.
func deliveryHeader(name, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		return "", BadRequest(name, "is required")
	case len(v) > maxIDLen:
		return "", BadRequest(name, "must be at most %d characters", maxIDLen)
	}
	return v, nil
}

// recordDelivery stores a delivery's id and reports whether it is new. A
// delivery without an id cannot be deduplicated and counts as new.
func (a *API) recordDelivery(r *http.Request, d store.WebhookDelivery) (bool, error) {
	if d.DeliveryID == "" {
		return true, nil
	}
	d.ReceivedAt = a.now()
	isNew, err := a.store.RecordWebhookDelivery(r.Context(), d)
	if err != nil || !isNew {
		return isNew, err
	}
	// Forget old ids now and then; one indexed DELETE.
	if last := a.lastPrune.Load(); d.ReceivedAt.UnixMilli()-last > time.Hour.Milliseconds() &&
		a.lastPrune.CompareAndSwap(last, d.ReceivedAt.UnixMilli()) {
		if _, err := a.store.PruneWebhookDeliveries(r.Context(), d.ReceivedAt.Add(-deliveryRetention)); err != nil {
			a.log.Warn("webhook: pruning old delivery ids", "err", err)
		}
	}
	return true, nil
}

// schedule asks for a targeted sync of scope in each of sources.
func (a *API) schedule(sources []string, scope string) {
	if a.targeted == nil {
		a.log.Warn("webhook: no sync queue in this server; the next periodic sync will pick the change up")
		return
	}
	for _, s := range sources {
		a.targeted.Request(s, scope)
	}
}
