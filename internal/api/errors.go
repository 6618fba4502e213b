package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/veelocity/veelocity/internal/store"
)

// Error is an error with a message that is safe to show the client and the
// HTTP status it maps to. Any other error a handler returns is logged and
// answered with a generic 500.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// BadRequest is a 400 naming the parameter or field at fault.
func BadRequest(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Message: param + ": " + fmt.Sprintf(format, args...)}
}

// NotFound is a 404 for the named thing.
func NotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Message: what + " not found"}
}

// Conflict is a 409.
func Conflict(msg string) *Error {
	return &Error{Status: http.StatusConflict, Message: msg}
}

// HandlerFunc is an HTTP handler that returns an error instead of writing
// one; Handle turns it into an http.Handler.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h, mapping its error to a status and a JSON {"error": …}
// body. Internal errors are logged with the request's context and answered
// with a generic message, so SQL, tokens and internals never reach the
// client.
func Handle(log *slog.Logger, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var apiErr *Error
		switch {
		case errors.As(err, &apiErr):
			WriteError(w, apiErr.Status, apiErr.Message)
		case errors.Is(err, store.ErrNotFound):
			WriteError(w, http.StatusNotFound, "not found")
		case r.Context().Err() != nil:
			// The client went away; nobody is listening for an answer.
			log.Debug("request canceled", "method", r.Method, "path", r.URL.Path)
		default:
			log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			WriteError(w, http.StatusInternalServerError, "internal server error")
		}
	})
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	return enc.Encode(v)
}

// WriteError writes a JSON error body, {"error": msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"error": msg})
}
