package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store"
)

// tokensView is the Settings page's API tokens section.
type tokensView struct {
	List []tokenRow
	// Created is a token just made, shown this once; CreatedName its name.
	Created, CreatedName string
	// Error says why an action failed; Notice what one did.
	Error, Notice string
}

type tokenRow struct {
	Name, Scope, CreatedBy string
	CreatedAt              string
	LastUsed               string
}

// tokensEnabled reports whether API tokens are in use: in every AUTH_MODE
// but none.
func (p *Pages) tokensEnabled() bool {
	return p.cfg.Auth.Mode != "" && p.cfg.Auth.Mode != config.AuthNone
}

func (p *Pages) listTokens(ctx context.Context, v *tokensView) error {
	tokens, err := p.st.APITokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		row := tokenRow{Name: t.Name, Scope: auth.TokenScope(t), CreatedBy: t.CreatedBy, CreatedAt: whenText(&t.CreatedAt), LastUsed: "never"}
		if t.LastUsedAt != nil {
			row.LastUsed = whenText(t.LastUsedAt)
		}
		v.List = append(v.List, row)
	}
	return nil
}

// actions are the Settings page's forms: create and revoke API tokens.
func (p *Pages) actions() map[string]func(w http.ResponseWriter, r *http.Request) error {
	return map[string]func(w http.ResponseWriter, r *http.Request) error{
		"POST /settings/tokens":        p.createToken,
		"POST /settings/tokens/revoke": p.revokeToken,
	}
}

func (p *Pages) createToken(w http.ResponseWriter, r *http.Request) error {
	if !p.tokensEnabled() {
		return p.settingsPage(w, r, http.StatusNotFound, nil)
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	by := "settings"
	if u := auth.UserFrom(r.Context()); u != nil {
		by = u.Name
	}
	tok, err := auth.CreateToken(r.Context(), p.st, name, r.PostFormValue("read_only") != "", by, p.now())
	if err != nil {
		if errors.Is(err, auth.ErrTokenName) || strings.Contains(err.Error(), "already exists") {
			return p.settingsPage(w, r, http.StatusBadRequest, &tokensView{Error: "Invalid token name: " + err.Error() + "."})
		}
		return err
	}
	p.log.Info("API token created", "token", name, "by", by)
	return p.settingsPage(w, r, http.StatusCreated, &tokensView{Created: tok, CreatedName: name})
}

func (p *Pages) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if !p.tokensEnabled() {
		return p.settingsPage(w, r, http.StatusNotFound, nil)
	}
	name := r.PostFormValue("name")
	err := p.st.RevokeAPIToken(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return p.settingsPage(w, r, http.StatusNotFound, &tokensView{Error: "No token is called " + name + "."})
	}
	if err != nil {
		return err
	}
	p.log.Info("API token revoked", "token", name)
	return p.settingsPage(w, r, http.StatusOK, &tokensView{Notice: "Token " + name + " is revoked."})
}
