package linearfake

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// item is one element of a list field, with what ordering needs.
type item struct {
	v         any
	id        string
	createdAt time.Time
	updatedAt time.Time
}

// connection is a page of a Relay connection.
type connection struct {
	items []item
	info  pageInfo
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       *string
}

// edge is one element of a connection's edges.
type edge struct {
	node   any
	cursor string
}

// page orders items by the orderBy argument (createdAt by default; both
// newest first, ties by id) and cuts the page that first/after or
// last/before asks for. The default page is 50 items. A cursor is the id
// of the item it follows, as in Linear.
func page(items []item, args map[string]any) (*connection, error) {
	orderBy, _ := args["orderBy"].(string)
	slices.SortStableFunc(items, func(a, b item) int {
		ta, tb := a.createdAt, b.createdAt
		if orderBy == "updatedAt" {
			ta, tb = a.updatedAt, b.updatedAt
		}
		if c := tb.Compare(ta); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	start, end := 0, len(items)
	if after, ok := args["after"].(string); ok && after != "" {
		i := slices.IndexFunc(items, func(it item) bool { return it.id == after })
		if i < 0 {
			return nil, fmt.Errorf("invalid cursor: %q is not in this list", after)
		}
		start = i + 1
	}
	if before, ok := args["before"].(string); ok && before != "" {
		i := slices.IndexFunc(items, func(it item) bool { return it.id == before })
		if i < 0 {
			return nil, fmt.Errorf("invalid cursor: %q is not in this list", before)
		}
		end = max(i, start)
	}
	first, hasFirst, err := intArg(args, "first")
	if err != nil {
		return nil, err
	}
	last, hasLast, err := intArg(args, "last")
	if err != nil {
		return nil, err
	}
	if !hasFirst && !hasLast {
		first, hasFirst = 50, true
	}
	c := &connection{}
	c.info.hasPrev = start > 0
	c.info.hasNext = end < len(items)
	if hasFirst && end-start > first {
		end = start + first
		c.info.hasNext = true
	}
	if hasLast && end-start > last {
		start = end - last
		c.info.hasPrev = true
	}
	c.items = items[start:end]
	if len(c.items) > 0 {
		s, e := c.items[0].id, c.items[len(c.items)-1].id
		c.info.start, c.info.end = &s, &e
	}
	return c, nil
}

func intArg(args map[string]any, name string) (int, bool, error) {
	v, ok := args[name]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, err := toInt(v)
	if err != nil {
		return 0, false, err
	}
	if n < 0 {
		return 0, false, fmt.Errorf("%s must not be negative", name)
	}
	return n, true, nil
}

func toInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		return int(n), nil
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	}
	return 0, errors.New("not an integer")
}

var connectionResolvers = map[string]resolver{
	"nodes": func(_ *execution, obj any, _ map[string]any) (any, error) {
		c := obj.(*connection)
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = it.v
		}
		return out, nil
	},
	"edges": func(_ *execution, obj any, _ map[string]any) (any, error) {
		c := obj.(*connection)
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = &edge{node: it.v, cursor: it.id}
		}
		return out, nil
	},
	"pageInfo": func(_ *execution, obj any, _ map[string]any) (any, error) {
		return &obj.(*connection).info, nil
	},
}

var edgeResolvers = map[string]resolver{
	"node":   func(_ *execution, obj any, _ map[string]any) (any, error) { return obj.(*edge).node, nil },
	"cursor": func(_ *execution, obj any, _ map[string]any) (any, error) { return obj.(*edge).cursor, nil },
}

var pageInfoResolvers = map[string]resolver{
	"hasNextPage":     func(_ *execution, obj any, _ map[string]any) (any, error) { return obj.(*pageInfo).hasNext, nil },
	"hasPreviousPage": func(_ *execution, obj any, _ map[string]any) (any, error) { return obj.(*pageInfo).hasPrev, nil },
	"startCursor": func(_ *execution, obj any, _ map[string]any) (any, error) {
		return strOrNil(obj.(*pageInfo).start), nil
	},
	"endCursor": func(_ *execution, obj any, _ map[string]any) (any, error) { return strOrNil(obj.(*pageInfo).end), nil },
}

func strOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
