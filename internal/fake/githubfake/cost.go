package githubfake

import (
	"fmt"
	"math"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxNodes is GitHub's limit on the nodes one query may request.
const maxNodes = 500_000

// measure checks an operation against GitHub's query limits before it
// runs, as GitHub does: every connection needs first or last, from 1 to
// 100, and the query may request at most 500,000 nodes. It returns the
// node count and the point cost by GitHub's formula (the requests needed to
// fill every connection, assuming each is full, divided by 100, at least
// 1). Under nodes(ids:), every connection is needed once per id.
func (e *executor) measure(op *ast.OperationDefinition) (cost, nodes int, err error) {
	requests := 0
	var walk func(set ast.SelectionSet, mult int) error
	walk = func(set ast.SelectionSet, mult int) error {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if !e.included(s.Directives) {
					continue
				}
				childMult := mult
				if s.Name == "nodes" {
					// nodes(ids:) fetches each node: what is under it is
					// asked for once per id.
					if ids, ok := s.ArgumentMap(e.vars)["ids"].([]any); ok {
						childMult = mult * len(ids)
					}
				}
				if s.Definition != nil && strings.HasSuffix(s.Definition.Type.Name(), "Connection") {
					n, err := pageSize(s, e.vars)
					if err != nil {
						return err
					}
					requests += mult
					nodes += mult * n
					childMult = mult * n
				}
				if err := walk(s.SelectionSet, childMult); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if e.included(s.Directives) {
					if err := walk(s.SelectionSet, mult); err != nil {
						return err
					}
				}
			case *ast.FragmentSpread:
				if frag := e.doc.Fragments.ForName(s.Name); frag != nil && e.included(s.Directives) {
					if err := walk(frag.SelectionSet, mult); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := walk(op.SelectionSet, 1); err != nil {
		return 0, 0, err
	}
	if nodes > maxNodes {
		return 0, nodes, &gqlError{Type: "MAX_NODE_LIMIT_EXCEEDED", Message: fmt.Sprintf(
			"This query requests up to %d possible nodes which exceeds the maximum limit of 500,000.", nodes)}
	}
	return max(1, int(math.Round(float64(requests)/100))), nodes, nil
}

// pageSize is a connection field's first or last, checked as GitHub does.
func pageSize(f *ast.Field, vars map[string]any) (int, error) {
	args := f.ArgumentMap(vars)
	for _, name := range []string{"first", "last"} {
		if n, ok := intArg(args, name); ok {
			if n < 0 || n > 100 {
				return 0, &gqlError{Type: "EXCESSIVE_PAGINATION", Message: fmt.Sprintf(
					"Requesting %d records on the `%s` connection exceeds the `%s` limit of 100 records.", n, f.Name, name)}
			}
			return n, nil
		}
	}
	return 0, &gqlError{Type: "MISSING_PAGINATION_BOUNDARIES", Message: fmt.Sprintf(
		"You must provide a `first` or `last` value to properly paginate the `%s` connection.", f.Name)}
}
