package server

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/auth"
)

// safeMethod reports whether a method changes nothing (GET, HEAD,
// OPTIONS).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// crossOrigin refuses state-changing cross-site requests from browsers:
// http.CrossOriginProtection checks Sec-Fetch-Site, then Origin against
// the Host (and PUBLIC_URL, for a proxy that rewrites the Host). Requests
// with neither header (curl, CI, webhooks) pass.
func crossOrigin(publicURL string, log *slog.Logger, next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if publicURL != "" {
		if err := cop.AddTrustedOrigin(publicURL); err != nil {
			log.Warn("PUBLIC_URL is not usable as a trusted origin", "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Warn("refused a cross-origin request", "method", r.Method, "path", r.URL.Path)
		api.WriteError(w, http.StatusForbidden, "cross-origin request refused: state-changing requests must come from this site's own pages, or from a client that is not a browser")
	}))
	return cop.Handler(next)
}

// jsonBody refuses, with 415, a state-changing request whose body is not
// application/json. A request without a body passes.
func jsonBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !safeMethod(r.Method) && (r.ContentLength > 0 || r.ContentLength < 0 && len(r.TransferEncoding) > 0) {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				api.WriteError(w, http.StatusUnsupportedMediaType, "the request body must be JSON, sent with Content-Type: application/json")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// guard is the authentication middleware: it finds the route a request is
// for and lets it through only if the route's Access allows it.
type guard struct {
	auth   *auth.Auth
	mux    *http.ServeMux
	access map[string]api.Access // "METHOD pattern" and method-qualified mux patterns
	log    *slog.Logger
}

// routeAccess is the Access of the route r is for: Private unless marked.
func (g *guard) routeAccess(r *http.Request) api.Access {
	_, pattern := g.mux.Handler(r)
	if a, ok := g.access[pattern]; ok {
		return a
	}
	m := r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	if a, ok := g.access[m+" "+pattern]; ok {
		return a
	}
	if pattern == "/{$}" && !wantsHTML(r) {
		return api.Public // the JSON welcome
	}
	return api.Private
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.auth.Required() {
		g.mux.ServeHTTP(w, r)
		return
	}
	access := g.routeAccess(r)
	user, err := g.auth.Identify(r)
	switch {
	case errors.Is(err, auth.ErrBadToken):
		if access == api.Private {
			w.Header().Set("WWW-Authenticate", `Bearer realm="veelocity", error="invalid_token"`)
			api.WriteError(w, http.StatusUnauthorized, err.Error())
			return
		}
	case err != nil:
		g.log.Error("authenticating a request", "path", r.URL.Path, "err", err)
		api.WriteError(w, http.StatusInternalServerError, "internal server error")
		return
	}
	if user != nil {
		g.log.Debug("authenticated", "user", user.Name, "via", user.Via, "read_only", user.ReadOnly, "path", r.URL.Path)
	}
	if access != api.Private {
		if user != nil {
			r = r.WithContext(auth.WithUser(r.Context(), user))
		}
		g.mux.ServeHTTP(w, r)
		return
	}
	if user == nil {
		g.unauthorized(w, r)
		return
	}
	if user.ReadOnly && !safeMethod(r.Method) {
		api.WriteError(w, http.StatusForbidden, "this API token is read-only; "+r.Method+" needs a read-write token")
		return
	}
	g.mux.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), user)))
}

// unauthorized answers a request without credentials: a page redirects to
// sign-in (and back afterwards), an API call gets 401.
func (g *guard) unauthorized(w http.ResponseWriter, r *http.Request) {
	apiPath := strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/openapi.json" || r.URL.Path == "/metrics"
	if wantsHTML(r) && !apiPath {
		next := "/"
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next = r.URL.RequestURI()
		}
		http.Redirect(w, r, auth.SignInURL(next), http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="veelocity"`)
	api.WriteError(w, http.StatusUnauthorized, "authentication required: sign in, or send an API token as Authorization: Bearer TOKEN (veelocity token create NAME)")
}
