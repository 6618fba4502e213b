package api

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/veelocity/veelocity/internal/store"
)

// githubEventSources maps each GitHub event the webhook acts on to the
// sources whose sync picks its change up.
var githubEventSources = map[string][]string{
	"pull_request":        {"github"},
	"pull_request_review": {"github"},
	"issues":              {"github"},
	"workflow_run":        {"actions"},
	// A deployment may be an Actions run or a GitHub deployment; both
	// sources sync deployments (DEPLOYMENT_SOURCE).
	"deployment":        {"github", "actions"},
	"deployment_status": {"github", "actions"},
}

// githubDelivery is what a verified GitHub delivery says.
type githubDelivery struct {
	Event string
	ID    string // X-GitHub-Delivery
	// Repo is the repository's owner/name; empty for an ignored event or
	// an organisation's ping.
	Repo string
	// Ignored is set for events the webhook does not act on.
	Ignored bool
}

// githubPayload is the part of a GitHub webhook payload the webhook reads.
type githubPayload struct {
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// parseGitHubDelivery verifies and reads a GitHub delivery: secret is
// GITHUB_WEBHOOK_SECRET, h the request's headers, body the raw body. Every
// error is an *Error with a 4xx status whose message starts with the header
// or field at fault.
func parseGitHubDelivery(secret string, h http.Header, body []byte) (githubDelivery, error) {
	var d githubDelivery
	sig, ok := strings.CutPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
	if !ok {
		sig = ""
	}
	if err := checkSignature("X-Hub-Signature-256", sig, secret, body); err != nil {
		return d, err
	}
	var err error
	if d.Event, err = deliveryHeader("X-GitHub-Event", h.Get("X-GitHub-Event"), true); err != nil {
		return d, err
	}
	if d.ID, err = deliveryHeader("X-GitHub-Delivery", h.Get("X-GitHub-Delivery"), true); err != nil {
		return d, err
	}
	_, handled := githubEventSources[d.Event]
	if !handled && d.Event != "ping" {
		d.Ignored = true
		return d, nil
	}
	payload, err := githubJSON(h.Get("Content-Type"), body)
	if err != nil {
		return d, err
	}
	var p githubPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return d, payloadError(err)
	}
	if p.Repository == nil {
		if d.Event == "ping" {
			return d, nil // an organisation's webhook
		}
		return d, BadRequest("repository", "is required in a %s event", d.Event)
	}
	if d.Repo, err = repoField("repository.full_name", p.Repository.FullName, true); err != nil {
		return d, err
	}
	return d, nil
}

// githubJSON returns the JSON payload of a delivery sent as
// application/json or as application/x-www-form-urlencoded (payload=…).
func githubJSON(contentType string, body []byte) ([]byte, error) {
	media := "application/json"
	if contentType != "" {
		var err error
		if media, _, err = mime.ParseMediaType(contentType); err != nil {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Message: "Content-Type: is not a media type; use application/json"}
		}
	}
	switch media {
	case "application/json":
		return body, nil
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, BadRequest("body", "is not a valid form (application/x-www-form-urlencoded)")
		}
		payload := form.Get("payload")
		if payload == "" {
			return nil, BadRequest("payload", "is required in a form delivery")
		}
		return []byte(payload), nil
	}
	return nil, &Error{Status: http.StatusUnsupportedMediaType,
		Message: "Content-Type: " + media + " is not supported; set the webhook's content type to application/json"}
}

// payloadError turns a JSON decoding error of a webhook payload into a 400
// naming the field at fault where there is one.
func payloadError(err error) error {
	var typ *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return BadRequest(typ.Field, "must be a JSON %s", typ.Type.Kind())
	case errors.As(err, &syntax):
		return BadRequest("payload", "is not valid JSON (at byte %d)", syntax.Offset)
	}
	return BadRequest("payload", "must be a JSON object")
}

func (a *API) githubWebhook(w http.ResponseWriter, r *http.Request) error {
	secret := a.cfg.GitHubWebhookSecret.Reveal()
	if secret == "" {
		return &Error{Status: http.StatusNotFound, Message: "GitHub webhooks are off: set GITHUB_WEBHOOK_SECRET to turn them on"}
	}
	body, err := readWebhookBody(w, r)
	if err != nil {
		return err
	}
	d, err := parseGitHubDelivery(secret, r.Header, body)
	if err != nil {
		return err
	}
	out := webhookAnswer{Event: d.Event, Scope: d.Repo}
	switch {
	case d.Ignored:
		out.Status = "ignored"
		return WriteJSON(w, http.StatusAccepted, out)
	case d.Event == "ping":
		out.Status = "pong"
		return WriteJSON(w, http.StatusOK, out)
	}
	isNew, err := a.recordDelivery(r, store.WebhookDelivery{Source: "github", DeliveryID: d.ID, Event: d.Event, Scope: d.Repo})
	if err != nil {
		return err
	}
	if !isNew {
		out.Status = "duplicate"
		return WriteJSON(w, http.StatusOK, out)
	}
	out.Status, out.Syncs = "scheduled", githubEventSources[d.Event]
	a.schedule(out.Syncs, d.Repo)
	return WriteJSON(w, http.StatusAccepted, out)
}
