package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/veelocity/veelocity/internal/metrics"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows the app's own scripts, styles and requests
// only: nothing inline, nothing from elsewhere.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// parsed is the template set, parsed once: the templates are embedded and
// never change. It records which templates have been executed, so the
// package's tests fail when one never is.
var parsed = newTemplates()

// templates is the parsed template set and the record of executions.
type templates struct {
	set  *template.Template
	mu   sync.Mutex
	used map[string]bool
}

func newTemplates() *templates {
	t := &templates{used: map[string]bool{}}
	t.set = template.Must(template.New("").Funcs(t.funcs()).ParseFS(templateFS, "templates/*.html"))
	return t
}

// markUsed is the "used" template function: every template calls it first.
func (t *templates) markUsed(name string) string {
	t.mu.Lock()
	t.used[name] = true
	t.mu.Unlock()
	return ""
}

// Unused lists the defined templates that have not been executed yet.
func (t *templates) unused() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, tp := range t.set.Templates() {
		name := tp.Name()
		if name == "" || strings.HasSuffix(name, ".html") || t.used[name] {
			continue
		}
		out = append(out, name)
	}
	return out
}

// handle adapts a page handler: a bad filter becomes the page's message
// with status 400, an unknown repository a 404, and any other error a
// logged 500 with a generic page.
func (p *Pages) handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		if r.Context().Err() != nil {
			return
		}
		p.log.Error("page failed", "path", r.URL.Path, "err", err)
		pg := &page{Title: "Something went wrong", status: http.StatusInternalServerError,
			Error: "Something went wrong on the server; the log has the details. Try again, or go back to the dashboard."}
		if rerr := p.render(w, r, http.StatusInternalServerError, "error", pg); rerr != nil {
			p.log.Error("rendering the error page", "err", rerr)
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}
	})
}

// queryError turns a filter error into the message a page shows and its
// status; ok is false for an error that is not about the query. v are the
// request's parameters, for naming the repository asked for.
func queryError(err error, v url.Values) (msg string, status int, ok bool) {
	var pe *metrics.ParamError
	switch {
	case errors.As(err, &pe):
		return paramMessage(pe), http.StatusBadRequest, true
	case errors.Is(err, metrics.ErrUnknownRepo):
		return unknownRepoMessage(v), http.StatusNotFound, true
	case errors.Is(err, metrics.ErrUnknownTeam):
		return "Unknown team: no team " + strconv.Quote(v.Get("team")) + " is defined. Pick one from the list, or define it on the Settings page.",
			http.StatusNotFound, true
	}
	return "", 0, false
}

// paramMessage is one sentence naming the field and what is wrong with it:
// "Invalid period: it must be day, week or month."
func paramMessage(pe *metrics.ParamError) string {
	msg := pe.Msg
	if strings.HasPrefix(msg, "must ") || strings.HasPrefix(msg, "names ") {
		msg = "it " + msg
	}
	return "Invalid " + paramLabel(pe.Param) + ": " + strings.TrimSuffix(msg, ".") + "."
}

func paramLabel(param string) string {
	switch param {
	case "start_date":
		return "start date (start_date)"
	case "end_date":
		return "end date (end_date)"
	case "repo", "repo_id":
		return "repository (" + param + ")"
	}
	return param // period, sort, order: the field's own name
}

// repoNameRE is the form of a repository's name, owner/name, as the
// metrics package checks it.
var repoNameRE = regexp.MustCompile(`^[^/\s]+/[^/\s]+$`)

// unknownRepoMessage says which repository was not found.
func unknownRepoMessage(v url.Values) string {
	const pick = " Pick one from the list."
	switch name := v.Get("repo"); {
	case name != "" && !repoNameRE.MatchString(name):
		return "Unknown repository: " + strconv.Quote(name) + " is not a repository name, which has the form owner/name." + pick
	case name != "":
		return "Unknown repository: no repository named " + strconv.Quote(name) + " has been synced." + pick
	case v.Get("repo_id") != "":
		return "Unknown repository: no synced repository has repo_id " + v.Get("repo_id") + "." + pick
	}
	return "Unknown repository: no repository called that has been synced." + pick
}

// render executes the named page template into a buffer, then sends it with
// the security headers.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) error {
	if err := p.fillLayout(r, pg); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := p.tpl.set.ExecuteTemplate(&b, name, pg); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		files.ServeHTTP(w, r)
	})
}
