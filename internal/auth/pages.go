package auth

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"github.com/veelocity/veelocity/internal/config"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageTemplate = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// contentSecurityPolicy is the dashboard's: the app's own files only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// signInPage is what the sign-in page shows.
type signInPage struct {
	Mode        string
	Next        string
	Error       string
	Notice      string
	Refused     bool // signed in to GitHub, but not allowed
	ProxyHeader string
}

// signInPage serves GET /auth/sign-in: a button for GitHub, a password
// form, or for a proxy a word on how to come in.
func (a *Auth) signInPage(w http.ResponseWriter, r *http.Request) {
	next := SafeNext(r.URL.Query().Get("next"))
	if !a.Required() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if u, err := a.Identify(r); err == nil && u != nil && u.Via != "token" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	pg := signInPage{Mode: a.mode, Next: next, ProxyHeader: a.cfg.Auth.ProxyHeader}
	if r.URL.Query().Get("signed_out") != "" {
		pg.Notice = "You are signed out."
	}
	a.page(w, http.StatusOK, pg)
}

// page renders the sign-in page with status.
func (a *Auth) page(w http.ResponseWriter, status int, pg signInPage) {
	if pg.Mode == "" {
		pg.Mode = a.mode
	}
	if pg.Next == "" {
		pg.Next = "/"
	}
	if pg.Mode == config.AuthProxy {
		pg.ProxyHeader = a.cfg.Auth.ProxyHeader
	}
	var b bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&b, "signin.html", pg); err != nil {
		a.log.Error("rendering the sign-in page", "err", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
