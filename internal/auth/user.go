// Package auth decides who may use Veelocity: sessions for people (signed
// in with GitHub, a shared password, or by an authenticating proxy), API
// tokens for machines, and the sign-in pages. Neither a session ID nor a
// token is stored: only their SHA-256 hashes are.
package auth

import "context"

// User is who made a request.
type User struct {
	// Name is the GitHub @login, "password" for the shared password, the
	// proxy's user, or "token NAME" for an API token.
	Name string
	// Via is how the request was authenticated: session, token or proxy.
	Via string
	// ReadOnly tokens may only read.
	ReadOnly bool
	// sessionHash is the hash of the session's ID, for sign-out.
	sessionHash string
}

// CanSignOut reports whether the user has a session to end (a proxy's user
// and a token have none).
func (u *User) CanSignOut() bool { return u != nil && u.Via == "session" }

type userKey struct{}

// WithUser returns ctx carrying u.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the request's user, or nil when nobody is signed in
// (always so with AUTH_MODE=none).
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}
