package linear

import (
	"fmt"
	"net/http"
)

// AuthError is Linear refusing the API key: HTTP 401, or an
// AUTHENTICATION_ERROR. It is never retried.
type AuthError struct {
	Status int
}

func (e *AuthError) Error() string { return "Linear rejected the API key" }

// APIError is an error answer from Linear that retrying would not fix: an
// invalid query, a forbidden resource, a missing entity. Message is
// Linear's, with the key redacted.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	code := ""
	if e.Code != "" {
		code = ", " + e.Code
	}
	return fmt.Sprintf("Linear API error (HTTP %d%s): %s", e.Status, code, e.Message)
}

// RateLimitError is Linear still answering RATELIMITED after the client
// waited and retried as many times as it may.
type RateLimitError struct {
	Attempts int
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("Linear API rate limit still exceeded after %d attempts; the next sync will resume", e.Attempts)
}

// UnavailableError is Linear failing with 5xx answers or network errors
// on every attempt.
type UnavailableError struct {
	Attempts int
	// Status is the last HTTP status, or 0 for a network error.
	Status int
	// Cause is the last network error, with the key redacted.
	Cause string
}

func (e *UnavailableError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("Linear API unavailable: HTTP %d %s after %d attempts", e.Status, http.StatusText(e.Status), e.Attempts)
	}
	return fmt.Sprintf("Linear API unreachable after %d attempts: %s", e.Attempts, e.Cause)
}
