package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// GraphQLError is a GraphQL answer that carries errors: an unknown
// repository, an invalid query, a resource limit.
type GraphQLError struct {
	Errors []GraphQLErrorItem
}

// GraphQLErrorItem is one entry of a GraphQL response's "errors".
type GraphQLErrorItem struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func (e *GraphQLError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		msgs = append(msgs, it.Message)
	}
	return "GitHub GraphQL error: " + strings.Join(msgs, "; ")
}

// Query runs a GraphQL query with variables and decodes its "data" into v.
// A response with errors is an error, even with partial data. Rate limits
// (RATE_LIMITED, secondary limits) are waited out like REST ones.
func (c *Client) Query(ctx context.Context, query string, vars map[string]any, v any) error {
	return c.query(ctx, query, vars, v, false)
}

// query is Query; paged marks a page whose size the caller adapts (see
// QueryPage).
func (c *Client) query(ctx context.Context, query string, vars map[string]any, v any, paged bool) error {
	body, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		return fmt.Errorf("github: encoding GraphQL request: %w", err)
	}
	req := request{method: http.MethodPost, url: c.opts.GraphQLURL, body: body, bucket: bucketGraphQL, paged: paged}
	resp, err := c.do(ctx, req, c.graphQLLimit)
	if err != nil {
		return err
	}
	var out struct {
		Data   json.RawMessage    `json:"data"`
		Errors []GraphQLErrorItem `json:"errors"`
	}
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return fmt.Errorf("github: decoding GraphQL response: %w", err)
	}
	if len(out.Errors) > 0 {
		for i := range out.Errors {
			out.Errors[i].Message = c.redact(out.Errors[i].Message)
		}
		return &GraphQLError{Errors: out.Errors}
	}
	var meta struct {
		RateLimit *struct {
			Cost      int       `json:"cost"`
			Remaining *int      `json:"remaining"`
			ResetAt   time.Time `json:"resetAt"`
		} `json:"rateLimit"`
	}
	if json.Unmarshal(out.Data, &meta) == nil && meta.RateLimit != nil {
		rl := meta.RateLimit
		c.limits.setCost(bucketGraphQL, rl.Cost)
		if rl.Remaining != nil && !rl.ResetAt.IsZero() {
			// The body's account of the budget, which a server that sends
			// no x-ratelimit-* headers still gives.
			c.limits.set(bucketGraphQL, *rl.Remaining, rl.ResetAt)
		}
	}
	if err := json.Unmarshal(out.Data, v); err != nil {
		return fmt.Errorf("github: decoding GraphQL data: %w", err)
	}
	return nil
}

// graphQLLimit spots the failures GraphQL reports with status 200: the
// rate limits, an error of type RATE_LIMITED (primary) or a
// secondary-limit message; and (second result) GitHub giving up on a query
// it could not run in time, "Something went wrong while executing your
// query. This may be the result of a timeout…".
func (c *Client) graphQLLimit(body []byte) (*limitHit, bool) {
	var out struct {
		Errors []GraphQLErrorItem `json:"errors"`
	}
	if json.Unmarshal(body, &out) != nil {
		return nil, false
	}
	for _, e := range out.Errors {
		msg := strings.ToLower(e.Message)
		switch {
		case e.Type == "RATE_LIMITED":
			_, reset := c.limits.state(bucketGraphQL)
			return &limitHit{primary: true, remaining: 0, reset: reset}, false
		case strings.Contains(msg, "secondary rate limit"):
			remaining, reset := c.limits.state(bucketGraphQL)
			return &limitHit{remaining: remaining, reset: reset}, false
		case strings.HasPrefix(msg, "something went wrong while executing your query"):
			return nil, true
		}
	}
	return nil, false
}

// rateLimitFields is selected by every query, so the client learns each
// query's cost.
const rateLimitFields = `rateLimit { cost remaining resetAt }`
