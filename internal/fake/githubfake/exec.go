package githubfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// object is a GraphQL object value: its concrete type and, for each field
// the fake implements, a value or a resolver func(args) (any, error).
// Values are nil, scalars, *object or []*object.
type object struct {
	typ    string
	fields map[string]any
}

type resolver = func(args map[string]any) (any, error)

// gqlError is an entry of a response's "errors".
type gqlError struct {
	Type    string `json:"type,omitempty"`
	Path    []any  `json:"path,omitempty"`
	Message string `json:"message"`
}

func (e *gqlError) Error() string { return e.Message }

// executor runs one validated operation against the fake's objects,
// returning exactly the selected fields in selection order.
type executor struct {
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	errors []*gqlError
}

// orderedMap is a JSON object that keeps its keys in selection order.
type orderedMap []struct {
	k string
	v any
}

func (m orderedMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// selectObject resolves set against obj.
func (e *executor) selectObject(obj *object, set ast.SelectionSet, path []any) orderedMap {
	var out orderedMap
	for _, cf := range e.collect(obj.typ, set) {
		f := cf.fields[0]
		fieldPath := append(append([]any(nil), path...), cf.key)
		var v any
		if f.Name == "__typename" {
			v = obj.typ
		} else {
			raw, ok := obj.fields[f.Name]
			if !ok {
				e.fail(fieldPath, "", fmt.Sprintf("githubfake: %s.%s is valid but not implemented by the fake", obj.typ, f.Name))
			} else if fn, isFn := raw.(resolver); isFn {
				res, err := fn(f.ArgumentMap(e.vars))
				if err != nil {
					ge, _ := err.(*gqlError)
					if ge == nil {
						ge = &gqlError{Message: err.Error()}
					}
					e.fail(fieldPath, ge.Type, ge.Message)
				} else {
					v = e.complete(res, mergeSets(cf.fields), fieldPath)
				}
			} else {
				v = e.complete(raw, mergeSets(cf.fields), fieldPath)
			}
		}
		out = append(out, struct {
			k string
			v any
		}{cf.key, v})
	}
	return out
}

func (e *executor) complete(v any, set ast.SelectionSet, path []any) any {
	switch x := v.(type) {
	case *object:
		if x == nil {
			return nil
		}
		return e.selectObject(x, set, path)
	case []*object:
		out := make([]any, len(x))
		for i, o := range x {
			out[i] = e.complete(o, set, append(path, i))
		}
		return out
	}
	return v
}

func (e *executor) fail(path []any, typ, msg string) {
	e.errors = append(e.errors, &gqlError{Type: typ, Path: path, Message: msg})
}

// collected is one response key and the fields selected under it.
type collected struct {
	key    string
	fields []*ast.Field
}

// collect gathers the fields of set that apply to an object of type typ,
// expanding fragments and honouring @skip and @include (GraphQL's
// CollectFields).
func (e *executor) collect(typ string, set ast.SelectionSet) []*collected {
	var out []*collected
	index := map[string]*collected{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if !e.included(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if c, ok := index[key]; ok {
					c.fields = append(c.fields, s)
					continue
				}
				c := &collected{key: key, fields: []*ast.Field{s}}
				index[key] = c
				out = append(out, c)
			case *ast.InlineFragment:
				if e.included(s.Directives) && e.applies(typ, s.TypeCondition) {
					walk(s.SelectionSet)
				}
			case *ast.FragmentSpread:
				frag := e.doc.Fragments.ForName(s.Name)
				if frag != nil && e.included(s.Directives) && e.applies(typ, frag.TypeCondition) {
					walk(frag.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return out
}

func (e *executor) included(dirs ast.DirectiveList) bool {
	if d := dirs.ForName("skip"); d != nil && d.ArgumentMap(e.vars)["if"] == true {
		return false
	}
	if d := dirs.ForName("include"); d != nil && d.ArgumentMap(e.vars)["if"] != true {
		return false
	}
	return true
}

// applies reports whether a fragment on cond applies to an object of type
// typ: the same type, or an interface or union typ belongs to.
func (e *executor) applies(typ, cond string) bool {
	if cond == "" || cond == typ {
		return true
	}
	def := e.schema.Types[cond]
	if def == nil {
		return false
	}
	for _, d := range e.schema.GetPossibleTypes(def) {
		if d.Name == typ {
			return true
		}
	}
	return false
}

func mergeSets(fields []*ast.Field) ast.SelectionSet {
	if len(fields) == 1 {
		return fields[0].SelectionSet
	}
	var set ast.SelectionSet
	for _, f := range fields {
		set = append(set, f.SelectionSet...)
	}
	return set
}

// page is a connection's nodes with their sort keys; keys sort ascending in
// the connection's order and double as keyset cursors.
type page struct {
	typ   string // the connection type, e.g. "PullRequestConnection"
	nodes []*object
	keys  []string
	// edgeFields are extra fields of each node's edge (such as a team's
	// permission on a repository), when the connection has them.
	edgeFields []map[string]any
}

// addEdge adds a node whose edge carries extra fields.
func (p *page) addEdge(key string, o *object, fields map[string]any) {
	for len(p.edgeFields) < len(p.nodes) {
		p.edgeFields = append(p.edgeFields, nil)
	}
	p.add(key, o)
	p.edgeFields = append(p.edgeFields, fields)
}

func (p *page) add(key string, o *object) {
	p.keys = append(p.keys, key)
	p.nodes = append(p.nodes, o)
}

// connection sorts the page and applies first/after/last/before, giving a
// connection object with nodes, edges, pageInfo and totalCount. Its
// first/last were checked before the query ran (see cost.go).
func (p *page) connection(args map[string]any) (any, error) {
	if len(p.edgeFields) > 0 {
		for len(p.edgeFields) < len(p.nodes) {
			p.edgeFields = append(p.edgeFields, nil)
		}
	}
	sort.Sort(p)
	lo, hi := 0, len(p.nodes)
	if after, ok := args["after"].(string); ok && after != "" {
		k, err := decodeCursor(after)
		if err != nil {
			return nil, err
		}
		lo = sort.SearchStrings(p.keys, k+"\x00")
	}
	if before, ok := args["before"].(string); ok && before != "" {
		k, err := decodeCursor(before)
		if err != nil {
			return nil, err
		}
		hi = max(sort.SearchStrings(p.keys, k), lo)
	}
	start, end := lo, hi
	if n, ok := intArg(args, "first"); ok {
		end = min(start+n, hi)
	}
	if n, ok := intArg(args, "last"); ok {
		start = max(end-n, start)
	}
	nodes := p.nodes[start:end]
	edges := make([]*object, len(nodes))
	for i, n := range nodes {
		edges[i] = &object{typ: strings.TrimSuffix(p.typ, "Connection") + "Edge", fields: map[string]any{
			"cursor": encodeCursor(p.keys[start+i]), "node": n}}
		if start+i < len(p.edgeFields) {
			for k, v := range p.edgeFields[start+i] {
				edges[i].fields[k] = v
			}
		}
	}
	info := map[string]any{"hasNextPage": end < hi, "hasPreviousPage": start > lo, "startCursor": nil, "endCursor": nil}
	if len(nodes) > 0 {
		info["startCursor"] = encodeCursor(p.keys[start])
		info["endCursor"] = encodeCursor(p.keys[end-1])
	}
	return &object{typ: p.typ, fields: map[string]any{
		"nodes": nodes, "edges": edges, "totalCount": len(p.nodes),
		"pageInfo": &object{typ: "PageInfo", fields: info},
	}}, nil
}

func (p *page) Len() int           { return len(p.keys) }
func (p *page) Less(i, j int) bool { return p.keys[i] < p.keys[j] }
func (p *page) Swap(i, j int) {
	p.keys[i], p.keys[j] = p.keys[j], p.keys[i]
	p.nodes[i], p.nodes[j] = p.nodes[j], p.nodes[i]
	if len(p.edgeFields) == len(p.nodes) {
		p.edgeFields[i], p.edgeFields[j] = p.edgeFields[j], p.edgeFields[i]
	}
}

// Cursors look like GitHub's: base64 of "cursor:v2:" and a position.
func encodeCursor(key string) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + key))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "cursor:v2:") {
		return "", &gqlError{Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", c)}
	}
	return strings.TrimPrefix(string(b), "cursor:v2:"), nil
}

// intArg reads an Int argument, which arrives as int64 from a literal or a
// coerced variable.
func intArg(args map[string]any, name string) (int, bool) {
	switch v := args[name].(type) {
	case int64:
		return int(v), true
	case int:
		return v, true
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}
