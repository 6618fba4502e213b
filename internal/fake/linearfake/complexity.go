package linearfake

import (
	"math"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// complexity scores a query the way Linear's rate-limiting docs describe:
// each scalar field is 0.1 point, each object 1 point, and a connection
// multiplies the points of everything inside it by its first or last
// argument (50 when neither is given); the total is rounded up. By those
// rules `user(id: "me") { name }` is 2 points and
// `user { createdIssues(first: 10) { nodes { id title createdAt } } }` 14.
func complexity(op *ast.OperationDefinition, doc *ast.QueryDocument, vars map[string]any) int {
	c := &costing{doc: doc, vars: vars}
	return int(math.Ceil(c.set(op.SelectionSet) - 1e-9))
}

type costing struct {
	doc  *ast.QueryDocument
	vars map[string]any
}

func (c *costing) set(set ast.SelectionSet) float64 {
	total := 0.0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total += c.field(s)
		case *ast.InlineFragment:
			total += c.set(s.SelectionSet)
		case *ast.FragmentSpread:
			def := s.Definition
			if def == nil {
				def = c.doc.Fragments.ForName(s.Name)
			}
			if def != nil {
				total += c.set(def.SelectionSet)
			}
		}
	}
	return total
}

func (c *costing) field(f *ast.Field) float64 {
	if f.Name == "__typename" || f.Definition == nil {
		return 0
	}
	if len(f.SelectionSet) == 0 {
		return 0.1
	}
	inner := c.set(f.SelectionSet)
	if strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		args := f.ArgumentMap(c.vars)
		n, ok, _ := intArg(args, "first")
		if !ok {
			n, ok, _ = intArg(args, "last")
		}
		if !ok {
			n = 50
		}
		return float64(n) * inner
	}
	return 1 + inner
}
