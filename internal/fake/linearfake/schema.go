package linearfake

import (
	_ "embed"
	"errors"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// schemaSDL is Linear's official GraphQL schema (linear/linear,
// packages/sdk/src/schema.graphql), copied from shared/schemas.
//
//go:embed linear.graphql
var schemaSDL string

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// Schema returns Linear's official schema, parsed once per process.
func Schema() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		schema, schemaErr = gqlparser.LoadSchema(&ast.Source{Name: "linear.graphql", Input: schemaSDL})
	})
	return schema, schemaErr
}

// Validate checks a GraphQL document, and the variables it would be sent
// with, against Linear's official schema, the way the fake checks every
// request. vars may be nil to check the document alone.
func Validate(query string, vars map[string]any) error {
	_, _, _, err := parse(query, "", vars, vars != nil)
	return err
}

// parse validates query against the schema and picks the operation to run
// (by name when the document has several). With checkVars, it also checks
// the variables against their declared types and returns them coerced.
func parse(query, opName string, vars map[string]any, checkVars bool) (*ast.QueryDocument, *ast.OperationDefinition, map[string]any, error) {
	s, err := Schema()
	if err != nil {
		return nil, nil, nil, err
	}
	doc, errs := gqlparser.LoadQueryWithRules(s, query, nil) // nil: the spec's rules
	if len(errs) > 0 {
		return nil, nil, nil, errs
	}
	op := doc.Operations.ForName(opName)
	if op == nil {
		if opName == "" {
			return nil, nil, nil, errors.New("the document has several operations; operationName is required")
		}
		return nil, nil, nil, gqlerror.Errorf("unknown operation named %q", opName)
	}
	if op.Operation != ast.Query {
		return nil, nil, nil, gqlerror.Errorf("linearfake serves queries only, not %s", op.Operation)
	}
	if !checkVars {
		return doc, op, nil, nil
	}
	coerced, err := validator.VariableValues(s, op, vars)
	if err != nil {
		return nil, nil, nil, err
	}
	return doc, op, coerced, nil
}

// operationName returns the name of the first operation in a document, for
// the request log, without validating it.
func operationName(query string) string {
	for _, kw := range []string{"query", "mutation", "subscription"} {
		i := strings.Index(query, kw+" ")
		if i < 0 {
			continue
		}
		rest := strings.TrimSpace(query[i+len(kw):])
		end := strings.IndexAny(rest, "({ \n\t")
		if end > 0 {
			return rest[:end]
		}
	}
	return ""
}
