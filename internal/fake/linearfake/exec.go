package linearfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// execution runs one validated operation against the fake's data. It runs
// with the server's lock held.
type execution struct {
	s      *Server
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	now    time.Time
}

// resolver returns the value of one field of obj.
type resolver func(x *execution, obj any, args map[string]any) (any, error)

// execError is a GraphQL error at a response path.
type execError struct {
	path ast.Path
	msg  string
}

func (e *execError) Error() string { return e.msg }

// run executes op and returns the data, or the errors that stopped it. An
// error anywhere fails the whole query, so a test sees it.
func (x *execution) run(op *ast.OperationDefinition) (any, []any) {
	x.schema, _ = Schema()
	data, err := x.object(struct{}{}, "Query", op.SelectionSet, nil)
	if err != nil {
		e, ok := err.(*execError)
		if !ok {
			e = &execError{msg: err.Error()}
		}
		m := map[string]any{"message": e.msg, "extensions": map[string]any{
			"type": "invalid input", "code": "INPUT_ERROR", "userError": true, "userPresentableMessage": e.msg,
		}}
		if len(e.path) > 0 {
			m["path"] = e.path
		}
		return nil, []any{m}
	}
	return data, nil
}

// fieldGroup is a response key's field with the selections merged from
// every place it was selected.
type fieldGroup struct {
	field *ast.Field
	set   ast.SelectionSet
}

// object resolves the selections of set on obj, of the named object type.
func (x *execution) object(obj any, typeName string, set ast.SelectionSet, path ast.Path) (*orderedObject, error) {
	var groups []*fieldGroup
	x.collect(set, typeName, &groups, map[string]*fieldGroup{})
	out := &orderedObject{}
	for _, g := range groups {
		f := g.field
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		fpath := append(append(ast.Path(nil), path...), ast.PathName(key))
		if f.Name == "__typename" {
			out.add(key, typeName)
			continue
		}
		r := resolverFor(typeName, f.Name)
		if r == nil {
			return nil, &execError{fpath, fmt.Sprintf("linearfake: %s.%s is not implemented", typeName, f.Name)}
		}
		v, err := r(x, obj, f.ArgumentMap(x.vars))
		if err != nil {
			if e, ok := err.(*execError); ok {
				return nil, e
			}
			return nil, &execError{fpath, err.Error()}
		}
		cv, err := x.complete(v, f.Definition.Type, g.set, fpath)
		if err != nil {
			return nil, err
		}
		out.add(key, cv)
	}
	return out, nil
}

// collect gathers the fields of set that apply to typeName, following
// fragments and @skip/@include, merging fields selected more than once.
func (x *execution) collect(set ast.SelectionSet, typeName string, groups *[]*fieldGroup, index map[string]*fieldGroup) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if x.skipped(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			if g, ok := index[key]; ok {
				g.set = append(append(ast.SelectionSet(nil), g.set...), s.SelectionSet...)
				continue
			}
			g := &fieldGroup{field: s, set: s.SelectionSet}
			index[key] = g
			*groups = append(*groups, g)
		case *ast.InlineFragment:
			if !x.skipped(s.Directives) && (s.TypeCondition == "" || x.applies(s.TypeCondition, typeName)) {
				x.collect(s.SelectionSet, typeName, groups, index)
			}
		case *ast.FragmentSpread:
			def := s.Definition
			if def == nil {
				def = x.doc.Fragments.ForName(s.Name)
			}
			if def != nil && !x.skipped(s.Directives) && x.applies(def.TypeCondition, typeName) {
				x.collect(def.SelectionSet, typeName, groups, index)
			}
		}
	}
}

func (x *execution) applies(cond, typeName string) bool {
	if cond == typeName {
		return true
	}
	if def := x.schema.Types[cond]; def != nil {
		for _, p := range x.schema.GetPossibleTypes(def) {
			if p.Name == typeName {
				return true
			}
		}
	}
	return false
}

func (x *execution) skipped(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		v, _ := d.ArgumentMap(x.vars)["if"].(bool)
		switch d.Name {
		case "skip":
			if v {
				return true
			}
		case "include":
			if !v {
				return true
			}
		}
	}
	return false
}

// typeNamer is implemented by values of abstract (interface) fields.
type typeNamer interface{ typeName() string }

// complete turns a resolved value into its response form for type t.
func (x *execution) complete(v any, t *ast.Type, set ast.SelectionSet, path ast.Path) (any, error) {
	if isNil(v) {
		if t.NonNull {
			return nil, &execError{path, "linearfake: non-null field resolved to null"}
		}
		return nil, nil
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			return nil, &execError{path, fmt.Sprintf("linearfake: list field resolved to %T", v)}
		}
		out := make([]any, rv.Len())
		for i := range out {
			c, err := x.complete(rv.Index(i).Interface(), t.Elem, set, append(append(ast.Path(nil), path...), ast.PathIndex(i)))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	def := x.schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Scalar, ast.Enum:
		return scalar(v, def.Name), nil
	case ast.Object:
		return x.object(v, def.Name, set, path)
	default:
		tn, ok := v.(typeNamer)
		if !ok {
			return nil, &execError{path, fmt.Sprintf("linearfake: cannot tell the type of %T", v)}
		}
		return x.object(v, tn.typeName(), set, path)
	}
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// scalar converts a Go value to the JSON form of a scalar type.
func scalar(v any, typeName string) any {
	switch x := v.(type) {
	case time.Time:
		return formatTime(x)
	case *time.Time:
		return formatTime(*x)
	case int:
		if typeName == "Float" {
			return float64(x)
		}
	case *float64:
		return *x
	}
	return v
}

// formatTime renders a DateTime the way Linear does:
// 2021-11-09T06:35:03.020Z.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// orderedObject is a JSON object that keeps its keys in selection order.
type orderedObject struct {
	keys []string
	vals []any
}

func (o *orderedObject) add(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// MarshalJSON writes the object with its keys in order.
func (o *orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// resolverFor returns the resolver of a type's field: the connection,
// edge and page-info types are generic; the rest are in resolvers.
func resolverFor(typeName, field string) resolver {
	switch {
	case strings.HasSuffix(typeName, "Connection"):
		return connectionResolvers[field]
	case strings.HasSuffix(typeName, "Edge"):
		return edgeResolvers[field]
	case typeName == "PageInfo":
		return pageInfoResolvers[field]
	}
	return resolvers[typeName][field]
}
