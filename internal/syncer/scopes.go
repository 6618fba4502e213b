package syncer

import (
	"context"
	"strings"
)

// scopesKey is the context key of the scopes a sync is restricted to.
type scopesKey struct{}

// withScopes returns ctx carrying the scopes a connector should restrict
// its sync to; none means every scope.
func withScopes(ctx context.Context, scopes []string) context.Context {
	if len(scopes) == 0 {
		return ctx
	}
	return context.WithValue(ctx, scopesKey{}, scopes)
}

// OnlyScopes returns the scopes of all that a connector should sync: all
// itself, unless the sync was requested for some scopes only (Request.Scopes,
// as a webhook does), in which case those of all that were requested.
// Scopes compare without regard to case (GitHub's owner/name, Linear's team
// keys are case-insensitive). A connector calls it on the list of scopes it
// would otherwise sync.
func OnlyScopes(ctx context.Context, all []string) []string {
	want, ok := ctx.Value(scopesKey{}).([]string)
	if !ok {
		return all
	}
	var out []string
	for _, s := range all {
		for _, w := range want {
			if strings.EqualFold(s, w) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// Targeted reports whether the sync of ctx was requested for some scopes
// only (a webhook's hint). Such a sync looks at those scopes even where a
// cheap check says nothing changed, since the hint says something did.
func Targeted(ctx context.Context) bool {
	_, ok := ctx.Value(scopesKey{}).([]string)
	return ok
}
