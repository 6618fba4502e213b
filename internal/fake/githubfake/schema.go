package githubfake

import (
	_ "embed"
	"errors"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// schemaSDL is GitHub's public GraphQL schema (npm @octokit/graphql-schema
// 15.26.1, schema.graphql), copied from shared/schemas.
//
//go:embed github.graphql
var schemaSDL string

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// Schema returns GitHub's official schema, parsed once per process.
func Schema() (*ast.Schema, error) {
	schemaOnce.Do(func() { schema, schemaErr = loadSchema() })
	return schema, schemaErr
}

// loadSchema parses the SDL. The published file declares a few fields
// twice with the same type (EnterpriseOwnerInfo.repositoryDeployKeySetting),
// which strict validation rejects, so later duplicates are dropped first.
func loadSchema() (*ast.Schema, error) {
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "github.graphql", Input: schemaSDL})
	if err != nil {
		return nil, err
	}
	for _, def := range doc.Definitions {
		seen := map[string]bool{}
		fields := def.Fields[:0]
		for _, f := range def.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				fields = append(fields, f)
			}
		}
		def.Fields = fields
	}
	return validator.ValidateSchemaDocument(doc)
}

// Validate checks a GraphQL document, and the variables it would be sent
// with, against GitHub's official schema, as the fake does for every
// request. vars may be nil to check the document alone.
func Validate(query string, vars map[string]any) error {
	_, _, _, err := parseQuery(query, "", vars, vars != nil)
	return err
}

// parseQuery parses and validates a document, picks the operation to run
// and coerces its variables (when checkVars is set).
func parseQuery(query, opName string, vars map[string]any, checkVars bool) (*ast.QueryDocument, *ast.OperationDefinition, map[string]any, error) {
	s, err := Schema()
	if err != nil {
		return nil, nil, nil, err
	}
	doc, errs := gqlparser.LoadQueryWithRules(s, query, nil) // nil: all of the spec's rules
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, nil, nil, errors.New(strings.Join(msgs, "; "))
	}
	var op *ast.OperationDefinition
	switch {
	case opName != "":
		op = doc.Operations.ForName(opName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	if op == nil {
		return nil, nil, nil, errors.New("the document must name the operation to run")
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
