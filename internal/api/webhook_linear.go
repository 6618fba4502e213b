package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/veelocity/veelocity/internal/store"
)

// linearTimestampSkew is how far a delivery's webhookTimestamp may be from
// the server's clock: older deliveries may be replays.
const linearTimestampSkew = 60 * time.Second

// linearTypes are the Linear entities whose changes the webhook acts on:
// those the Linear sync stores.
var linearTypes = map[string]bool{"Issue": true, "IssueLabel": true, "Attachment": true}

// linearDelivery is what a verified Linear delivery says.
type linearDelivery struct {
	Type string
	ID   string // Linear-Delivery; may be empty
	// Team is the team's key, or its id when the payload has no key; empty
	// when the payload names no team (a workspace label, an attachment).
	Team    string
	Ignored bool
}

// linearPayload is the part of a Linear webhook payload the webhook reads.
type linearPayload struct {
	Type             string `json:"type"`
	WebhookTimestamp *int64 `json:"webhookTimestamp"`
	Data             *struct {
		TeamID string `json:"teamId"`
		Team   *struct {
			Key string `json:"key"`
		} `json:"team"`
	} `json:"data"`
}

// parseLinearDelivery verifies and reads a Linear delivery: secret is
// LINEAR_WEBHOOK_SECRET, now the server's clock. Every error is an *Error
// with a 4xx status whose message starts with the header or field at fault.
func parseLinearDelivery(secret string, h http.Header, body []byte, now time.Time) (linearDelivery, error) {
	var d linearDelivery
	if err := checkSignature("Linear-Signature", h.Get("Linear-Signature"), secret, body); err != nil {
		return d, err
	}
	var err error
	if d.ID, err = deliveryHeader("Linear-Delivery", h.Get("Linear-Delivery"), false); err != nil {
		return d, err
	}
	var p linearPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return d, payloadError(err)
	}
	if p.WebhookTimestamp == nil {
		return d, BadRequest("webhookTimestamp", "is required")
	}
	sent := time.UnixMilli(*p.WebhookTimestamp)
	if skew := now.Sub(sent); skew > linearTimestampSkew || skew < -linearTimestampSkew {
		return d, BadRequest("webhookTimestamp", "is more than 60 s from the server's clock (a replay, or a clock out of step)")
	}
	if d.Type, err = requiredText("type", p.Type, maxIDLen); err != nil {
		return d, err
	}
	if !linearTypes[d.Type] {
		d.Ignored = true
		return d, nil
	}
	if p.Data == nil {
		return d, BadRequest("data", "is required in a %s event", d.Type)
	}
	team := p.Data.TeamID
	if p.Data.Team != nil && p.Data.Team.Key != "" {
		team = p.Data.Team.Key
	}
	d.Team, err = optionalText("data.team", team, maxIDLen)
	return d, err
}

func (a *API) linearWebhook(w http.ResponseWriter, r *http.Request) error {
	secret := a.cfg.LinearWebhookSecret.Reveal()
	if secret == "" {
		return &Error{Status: http.StatusNotFound, Message: "Linear webhooks are off: set LINEAR_WEBHOOK_SECRET to turn them on"}
	}
	body, err := readWebhookBody(w, r)
	if err != nil {
		return err
	}
	d, err := parseLinearDelivery(secret, r.Header, body, a.now())
	if err != nil {
		return err
	}
	out := webhookAnswer{Event: d.Type, Scope: d.Team}
	if d.Ignored {
		out.Status = "ignored"
		return WriteJSON(w, http.StatusAccepted, out)
	}
	isNew, err := a.recordDelivery(r, store.WebhookDelivery{Source: "linear", DeliveryID: d.ID, Event: d.Type, Scope: d.Team})
	if err != nil {
		return err
	}
	if !isNew {
		out.Status = "duplicate"
		return WriteJSON(w, http.StatusOK, out)
	}
	out.Status, out.Syncs = "scheduled", []string{"linear"}
	a.schedule(out.Syncs, d.Team)
	return WriteJSON(w, http.StatusAccepted, out)
}
