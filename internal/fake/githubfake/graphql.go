package githubfake

import (
	"encoding/json"
	"net/http"
)

// serveGraphQL validates the document against GitHub's schema, checks its
// node limit and cost, spends the points and runs it.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request, rec *Request) {
	if r.Method != http.MethodPost {
		s.writeJSON(w, "graphql", http.StatusNotFound, notFoundBody)
		return
	}
	var body struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		s.writeJSON(w, "graphql", http.StatusBadRequest, map[string]string{
			"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	doc, op, vars, err := parseQuery(body.Query, body.OperationName, body.Variables, true)
	if err != nil {
		s.mu.Lock()
		s.gqlErrors = append(s.gqlErrors, err.Error())
		s.mu.Unlock()
		s.writeJSON(w, "graphql", http.StatusOK, map[string]any{"errors": []*gqlError{{Message: err.Error()}}})
		return
	}
	rec.Operation = op.Name
	if op.Operation != "query" {
		s.writeJSON(w, "graphql", http.StatusOK, map[string]any{"errors": []*gqlError{{Message: "githubfake: only queries are implemented"}}})
		return
	}
	schema, _ := Schema()
	e := &executor{schema: schema, doc: doc, vars: vars}
	cost, nodes, err := e.measure(op)
	rec.Cost, rec.Nodes = cost, nodes
	if err != nil {
		s.writeJSON(w, "graphql", http.StatusOK, map[string]any{"errors": []error{err}})
		return
	}
	if s.tooManyNodes(nodes) {
		s.writeJSON(w, "graphql", http.StatusBadGateway, timeoutBody)
		return
	}
	if !s.spend("graphql", cost) {
		s.writeJSON(w, "graphql", http.StatusOK, rateLimitedGraphQL)
		return
	}
	s.mu.Lock()
	data := e.selectObject(s.queryObject(cost, nodes), op.SelectionSet, nil)
	s.mu.Unlock()
	resp := map[string]any{"data": data}
	if len(e.errors) > 0 {
		resp["errors"] = e.errors
	}
	s.writeJSON(w, "graphql", http.StatusOK, resp)
}
