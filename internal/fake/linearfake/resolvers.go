package linearfake

import (
	"fmt"
	"time"
)

// field makes a resolver from a function of the typed object.
func field[T any](f func(o T) any) resolver {
	return func(_ *execution, obj any, _ map[string]any) (any, error) { return f(obj.(T)), nil }
}

// withArgs makes a resolver from a function of the typed object and its
// arguments.
func withArgs[T any](f func(x *execution, o T, args map[string]any) (any, error)) resolver {
	return func(x *execution, obj any, args map[string]any) (any, error) { return f(x, obj.(T), args) }
}

// root is the Query object.
type root = struct{}

// rateLimitResult is one entry of rateLimitStatus.limits.
type rateLimitResult struct {
	typ               string
	allowed, remained int
	requested         int
	period            time.Duration
	reset             time.Time
}

// resolvers are the fields the fake serves, by type. A field that is in
// the schema but not here answers "not implemented", so a query never gets
// made-up data.
var resolvers = map[string]map[string]resolver{
	"Query": {
		"viewer": func(x *execution, _ any, _ map[string]any) (any, error) { return x.s.viewer, nil },
		"teams": withArgs(func(x *execution, _ root, args map[string]any) (any, error) {
			return x.teams(args)
		}),
		"team": withArgs(func(x *execution, _ root, args map[string]any) (any, error) {
			id, _ := args["id"].(string)
			for _, t := range x.s.teams {
				if t.ID == id || t.Key == id {
					return t, nil
				}
			}
			return nil, userError("Entity not found: Team")
		}),
		"issues": withArgs(func(x *execution, _ root, args map[string]any) (any, error) {
			return x.issueList(args, nil)
		}),
		"issue": withArgs(func(x *execution, _ root, args map[string]any) (any, error) {
			id, _ := args["id"].(string)
			if is := x.s.issueByRef(id); is != nil {
				return is, nil
			}
			return nil, userError("Entity not found: Issue")
		}),
		"users": withArgs(func(x *execution, _ root, args map[string]any) (any, error) {
			if err := noFilter(args); err != nil {
				return nil, err
			}
			items := make([]item, len(x.s.users))
			for i, u := range x.s.users {
				items[i] = item{v: u, id: u.ID}
			}
			return page(items, args)
		}),
		"issueLabels": withArgs(func(x *execution, _ root, args map[string]any) (any, error) {
			if err := noFilter(args); err != nil {
				return nil, err
			}
			items := make([]item, len(x.s.labels))
			for i, l := range x.s.labels {
				items[i] = item{v: l, id: l.ID}
			}
			return page(items, args)
		}),
		"workflowStates": withArgs(func(x *execution, _ root, args map[string]any) (any, error) {
			return x.stateList(args, "")
		}),
		"rateLimitStatus": func(x *execution, _ any, _ map[string]any) (any, error) { return x.s.limits, nil },
	},
	"RateLimitPayload": {
		"identifier": field(func(RateLimit) any { return nil }),
		"kind":       field(func(RateLimit) any { return "api" }),
		"limits": field(func(l RateLimit) any {
			return []any{
				&rateLimitResult{"requestCount", l.RequestsLimit, l.RequestsRemaining, 1, l.Period, l.RequestsReset},
				&rateLimitResult{"queryComplexity", l.ComplexityLimit, l.ComplexityRemaining, 0, l.Period, l.ComplexityReset},
			}
		}),
	},
	"RateLimitResultPayload": {
		"type":            field(func(r *rateLimitResult) any { return r.typ }),
		"allowedAmount":   field(func(r *rateLimitResult) any { return float64(r.allowed) }),
		"remainingAmount": field(func(r *rateLimitResult) any { return float64(r.remained) }),
		"requestedAmount": field(func(r *rateLimitResult) any { return float64(r.requested) }),
		"period":          field(func(r *rateLimitResult) any { return float64(r.period.Milliseconds()) }),
		"reset":           field(func(r *rateLimitResult) any { return float64(r.reset.UnixMilli()) }),
	},
	"Team": {
		"id":            field(func(t *Team) any { return t.ID }),
		"key":           field(func(t *Team) any { return t.Key }),
		"name":          field(func(t *Team) any { return t.Name }),
		"displayName":   field(func(t *Team) any { return t.Name }),
		"description":   field(func(t *Team) any { return nil }),
		"createdAt":     field(func(t *Team) any { return t.CreatedAt }),
		"updatedAt":     field(func(t *Team) any { return t.UpdatedAt }),
		"archivedAt":    field(func(t *Team) any { return nil }),
		"private":       field(func(t *Team) any { return false }),
		"cyclesEnabled": field(func(t *Team) any { return false }),
		"issues": withArgs(func(x *execution, t *Team, args map[string]any) (any, error) {
			return x.issueList(args, t)
		}),
		"states": withArgs(func(x *execution, t *Team, args map[string]any) (any, error) {
			return x.stateList(args, t.ID)
		}),
	},
	"WorkflowState": {
		"id":       field(func(s *State) any { return s.ID }),
		"name":     field(func(s *State) any { return s.Name }),
		"type":     field(func(s *State) any { return s.Type }),
		"color":    field(func(s *State) any { return s.Color }),
		"position": field(func(s *State) any { return s.Position }),
		"team": withArgs(func(x *execution, s *State, _ map[string]any) (any, error) {
			return x.s.teamByID(s.TeamID), nil
		}),
	},
	"User": {
		"id":          field(func(u *User) any { return u.ID }),
		"name":        field(func(u *User) any { return u.Name }),
		"displayName": field(func(u *User) any { return u.DisplayName }),
		"email":       field(func(u *User) any { return u.Email }),
		"active":      field(func(u *User) any { return true }),
	},
	"IssueLabel": {
		"id":    field(func(l *Label) any { return l.ID }),
		"name":  field(func(l *Label) any { return l.Name }),
		"color": field(func(l *Label) any { return l.Color }),
	},
	"Attachment": {
		"id":         field(func(a *Attachment) any { return a.ID }),
		"url":        field(func(a *Attachment) any { return a.URL }),
		"title":      field(func(a *Attachment) any { return a.Title }),
		"subtitle":   field(func(a *Attachment) any { return nil }),
		"sourceType": field(func(a *Attachment) any { return a.SourceType }),
		"metadata":   field(func(a *Attachment) any { return map[string]any{} }),
		"createdAt":  field(func(a *Attachment) any { return a.CreatedAt }),
		"updatedAt":  field(func(a *Attachment) any { return a.CreatedAt }),
	},
	"Issue": {
		"id":            field(func(is *issue) any { return is.ID }),
		"identifier":    field(func(is *issue) any { return is.Identifier }),
		"number":        field(func(is *issue) any { return float64(is.Number) }),
		"title":         field(func(is *issue) any { return is.Title }),
		"description":   field(func(is *issue) any { return optString(is.Description) }),
		"url":           field(func(is *issue) any { return is.URL }),
		"branchName":    field(func(is *issue) any { return is.BranchName }),
		"priority":      field(func(is *issue) any { return float64(is.Priority) }),
		"priorityLabel": field(func(is *issue) any { return priorityLabel(is.Priority) }),
		"estimate":      field(func(is *issue) any { return is.Estimate }),
		"createdAt":     field(func(is *issue) any { return is.CreatedAt }),
		"updatedAt":     field(func(is *issue) any { return is.UpdatedAt }),
		"startedAt":     field(func(is *issue) any { return is.StartedAt }),
		"completedAt":   field(func(is *issue) any { return is.CompletedAt }),
		"canceledAt":    field(func(is *issue) any { return is.CanceledAt }),
		"archivedAt":    field(func(is *issue) any { return is.ArchivedAt }),
		"trashed": field(func(is *issue) any {
			if is.Trashed {
				return true
			}
			return nil
		}),
		"labelIds": field(func(is *issue) any { return append([]string{}, is.labelIDs...) }),
		"state": withArgs(func(x *execution, is *issue, _ map[string]any) (any, error) {
			return x.s.stateByID(is.stateID), nil
		}),
		"assignee": withArgs(func(x *execution, is *issue, _ map[string]any) (any, error) {
			if u := x.s.userByID(is.assigneeID); u != nil {
				return u, nil
			}
			return nil, nil
		}),
		"creator": withArgs(func(x *execution, _ *issue, _ map[string]any) (any, error) {
			return x.s.viewer, nil
		}),
		"team": withArgs(func(x *execution, is *issue, _ map[string]any) (any, error) {
			return x.s.teamByID(is.TeamID), nil
		}),
		"labels": withArgs(func(x *execution, is *issue, args map[string]any) (any, error) {
			if err := noFilter(args); err != nil {
				return nil, err
			}
			items := make([]item, 0, len(is.labelIDs))
			for _, id := range is.labelIDs {
				if l := x.s.labelByID(id); l != nil {
					items = append(items, item{v: l, id: l.ID})
				}
			}
			return page(items, args)
		}),
		"attachments": withArgs(func(x *execution, is *issue, args map[string]any) (any, error) {
			if err := noFilter(args); err != nil {
				return nil, err
			}
			items := make([]item, len(is.Attachments))
			for i := range is.Attachments {
				a := &is.Attachments[i]
				items[i] = item{v: a, id: a.ID, createdAt: a.CreatedAt, updatedAt: a.CreatedAt}
			}
			return page(items, args)
		}),
	},
}

// userError is an error whose message is Linear's, word for word.
type userError string

func (e userError) Error() string { return string(e) }

func noFilter(args map[string]any) error {
	if f, ok := args["filter"]; ok && f != nil {
		return fmt.Errorf("linearfake: filter is not implemented on this list")
	}
	return nil
}

func optString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func priorityLabel(p int) string {
	switch p {
	case 1:
		return "Urgent"
	case 2:
		return "High"
	case 3:
		return "Medium"
	case 4:
		return "Low"
	}
	return "No priority"
}

// teams lists the teams that match args' filter.
func (x *execution) teams(args map[string]any) (any, error) {
	var items []item
	for _, t := range x.s.teams {
		ok, err := x.matchTeam(t, args["filter"])
		if err != nil {
			return nil, err
		}
		if ok {
			items = append(items, item{v: t, id: t.ID, createdAt: t.CreatedAt, updatedAt: t.UpdatedAt})
		}
	}
	return page(items, args)
}

// issueList lists the issues that match args' filter and includeArchived,
// of team t when it is not nil.
func (x *execution) issueList(args map[string]any, t *Team) (any, error) {
	archived, _ := args["includeArchived"].(bool)
	var items []item
	for _, is := range x.s.issues {
		if (t != nil && is.TeamID != t.ID) || (is.ArchivedAt != nil && !archived) {
			continue
		}
		ok, err := x.matchIssue(is, args["filter"])
		if err != nil {
			return nil, err
		}
		if ok {
			items = append(items, item{v: is, id: is.ID, createdAt: is.CreatedAt, updatedAt: is.UpdatedAt})
		}
	}
	return page(items, args)
}

// stateList lists the workflow states that match args' filter, of one
// team when teamID is set.
func (x *execution) stateList(args map[string]any, teamID string) (any, error) {
	var items []item
	for _, st := range x.s.states {
		if teamID != "" && st.TeamID != teamID {
			continue
		}
		ok, err := x.matchState(st, args["filter"])
		if err != nil {
			return nil, err
		}
		if ok {
			items = append(items, item{v: st, id: st.ID})
		}
	}
	return page(items, args)
}

func (s *Server) teamByID(id string) *Team {
	for _, t := range s.teams {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (s *Server) stateByID(id string) *State {
	for _, st := range s.states {
		if st.ID == id {
			return st
		}
	}
	return nil
}

func (s *Server) labelByID(id string) *Label {
	for _, l := range s.labels {
		if l.ID == id {
			return l
		}
	}
	return nil
}
