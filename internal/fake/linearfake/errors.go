package linearfake

import (
	"errors"
	"strconv"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// errorBody is a GraphQL error answer in Linear's shape (NOTES.md): errors
// with extensions.type, code, userError and userPresentableMessage.
func errorBody(message, code, typ string) map[string]any {
	return map[string]any{
		"data": nil,
		"errors": []any{map[string]any{
			"message": message,
			"extensions": map[string]any{
				"type":                   typ,
				"code":                   code,
				"userError":              true,
				"userPresentableMessage": message,
			},
		}},
	}
}

func authErrorBody() map[string]any {
	return errorBody("Authentication required, not authenticated", "AUTHENTICATION_ERROR", "authentication error")
}

func rateLimitedBody() map[string]any {
	return errorBody("Rate limit exceeded. Retry after the X-RateLimit-*-Reset time.", "RATELIMITED", "ratelimited")
}

// validationErrorBody lists each schema violation as a GraphQL error with
// its location.
func validationErrorBody(err error) map[string]any {
	var list gqlerror.List
	var one *gqlerror.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = gqlerror.List{one}
	default:
		list = gqlerror.List{gqlerror.Wrap(err)}
	}
	errs := make([]any, len(list))
	for i, e := range list {
		m := map[string]any{
			"message":    e.Message,
			"extensions": map[string]any{"type": "graphql error", "code": "GRAPHQL_VALIDATION_FAILED", "userError": true},
		}
		if len(e.Locations) > 0 {
			m["locations"] = e.Locations
		}
		if len(e.Path) > 0 {
			m["path"] = e.Path
		}
		errs[i] = m
	}
	return map[string]any{"data": nil, "errors": errs}
}

func itoa(n int) string { return strconv.Itoa(n) }
