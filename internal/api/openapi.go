package api

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// OpenAPI builds the OpenAPI 3 description of routes.
func OpenAPI(version string, routes []Route) map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		item, ok := paths[rt.Pattern]
		if !ok {
			item = map[string]any{}
			paths[rt.Pattern] = item
		}
		item[strings.ToLower(rt.Method)] = operation(rt)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Veelocity API",
			"version":     version,
			"description": "DORA and development metrics from GitHub, GitHub Actions and Linear. Metric definitions: METRICS.md.",
		},
		"paths": paths,
		// With AUTH_MODE on, a route needs an API token or a session
		// unless its operation says otherwise (security: []).
		"security": []any{map[string]any{"bearerAuth": []string{}}, map[string]any{"sessionCookie": []string{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearerAuth":    map[string]any{"type": "http", "scheme": "bearer", "description": "An API token: veelocity token create NAME, or Settings"},
				"sessionCookie": map[string]any{"type": "apiKey", "in": "cookie", "name": "veelocity_session", "description": "A signed-in browser's session"},
			},
			"schemas": map[string]any{
				"Error": map[string]any{
					"type":       "object",
					"required":   []string{"error"},
					"properties": map[string]any{"error": map[string]any{"type": "string"}},
				},
			},
		},
	}
}

var pathParamRE = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

func operation(rt Route) map[string]any {
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	errorResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	op := map[string]any{
		"summary":     rt.Summary,
		"operationId": operationID(rt),
		"responses": map[string]any{
			strconv.Itoa(status): map[string]any{
				"description": http.StatusText(status),
				"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}},
			},
			"400":     errorResp("Invalid parameter; the message names it"),
			"404":     errorResp("Not found"),
			"default": errorResp("Error"),
		},
	}
	if rt.Tag != "" {
		op["tags"] = []string{rt.Tag}
	}
	responses := op["responses"].(map[string]any)
	if rt.Access == Private {
		responses["401"] = errorResp("No valid session or API token (with AUTH_MODE on)")
	} else {
		op["security"] = []any{} // open: no credentials needed
	}
	if rt.Method != http.MethodGet && rt.Method != http.MethodHead {
		responses["403"] = errorResp("A cross-site request from a browser, or a read-only token")
		if !rt.AnyBody {
			responses["415"] = errorResp("The body is not application/json")
		}
	}
	var params []map[string]any
	declared := map[string]bool{}
	for _, p := range rt.Params {
		declared[p.Name] = true
		params = append(params, paramSpec(p))
	}
	// Every path parameter is described, even if the route forgot it.
	for _, m := range pathParamRE.FindAllStringSubmatch(rt.Pattern, -1) {
		if !declared[m[1]] {
			params = append(params, paramSpec(Param{Name: m[1], In: "path", Type: "string"}))
		}
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if len(rt.Body) > 0 {
		props := map[string]any{}
		var required []string
		for _, f := range rt.Body {
			props[f.Name] = schema(f.Type, f.Format, f.Description, nil)
			if f.Required {
				required = append(required, f.Name)
			}
		}
		body := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			body["required"] = required
		}
		op["requestBody"] = map[string]any{"required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": body}}}
	}
	return op
}

func paramSpec(p Param) map[string]any {
	in := p.In
	if in == "" {
		in = "query"
	}
	typ := p.Type
	if typ == "" {
		typ = "string"
	}
	spec := map[string]any{
		"name":     p.Name,
		"in":       in,
		"required": p.Required || in == "path",
		"schema":   schema(typ, p.Format, "", p.Enum),
	}
	if p.Description != "" {
		spec["description"] = p.Description
	}
	return spec
}

func schema(typ, format, desc string, enum []string) map[string]any {
	s := map[string]any{"type": typ}
	if format != "" {
		s["format"] = format
	}
	if desc != "" {
		s["description"] = desc
	}
	if len(enum) > 0 {
		s["enum"] = enum
	}
	return s
}

func operationID(rt Route) string {
	if rt.Pattern == "/" {
		return strings.ToLower(rt.Method) + "Root"
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.Split(strings.TrimPrefix(rt.Pattern, "/api/v1"), "/") {
		part = strings.Trim(part, "{}.")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '_' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}
