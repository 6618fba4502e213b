package linearfake

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The filters the fake understands. A filter field outside these answers
// "not implemented" rather than being ignored, so a test never passes by
// accident.

// matchIssue reports whether is matches an IssueFilter.
func (x *execution) matchIssue(is *issue, filter any) (bool, error) {
	f, _ := filter.(map[string]any)
	for k, c := range f {
		if c == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, c, func(sub any) (bool, error) { return x.matchIssue(is, sub) })
		case "id":
			ok, err = compareString(is.ID, c)
		case "number":
			ok, err = compareNumber(float64(is.Number), c)
		case "title":
			ok, err = compareString(is.Title, c)
		case "createdAt":
			ok, err = x.compareDate(&is.CreatedAt, c)
		case "updatedAt":
			ok, err = x.compareDate(&is.UpdatedAt, c)
		case "startedAt":
			ok, err = x.compareDate(is.StartedAt, c)
		case "completedAt":
			ok, err = x.compareDate(is.CompletedAt, c)
		case "canceledAt":
			ok, err = x.compareDate(is.CanceledAt, c)
		case "archivedAt":
			ok, err = x.compareDate(is.ArchivedAt, c)
		case "team":
			ok, err = x.matchTeam(x.s.teamByID(is.TeamID), c)
		case "state":
			ok, err = x.matchState(x.s.stateByID(is.stateID), c)
		default:
			return false, fmt.Errorf("linearfake: IssueFilter.%s is not implemented", k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// matchTeam reports whether t matches a TeamFilter.
func (x *execution) matchTeam(t *Team, filter any) (bool, error) {
	f, _ := filter.(map[string]any)
	for k, c := range f {
		if c == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, c, func(sub any) (bool, error) { return x.matchTeam(t, sub) })
		case "id":
			ok, err = compareString(t.ID, c)
		case "key":
			ok, err = compareString(t.Key, c)
		case "name":
			ok, err = compareString(t.Name, c)
		case "createdAt":
			ok, err = x.compareDate(&t.CreatedAt, c)
		case "updatedAt":
			ok, err = x.compareDate(&t.UpdatedAt, c)
		default:
			return false, fmt.Errorf("linearfake: TeamFilter.%s is not implemented", k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// matchState reports whether st matches a WorkflowStateFilter.
func (x *execution) matchState(st *State, filter any) (bool, error) {
	f, _ := filter.(map[string]any)
	for k, c := range f {
		if c == nil {
			continue
		}
		var ok bool
		var err error
		switch k {
		case "and", "or":
			ok, err = combine(k, c, func(sub any) (bool, error) { return x.matchState(st, sub) })
		case "id":
			ok, err = compareString(st.ID, c)
		case "name":
			ok, err = compareString(st.Name, c)
		case "type":
			ok, err = compareString(st.Type, c)
		case "team":
			ok, err = x.matchTeam(x.s.teamByID(st.TeamID), c)
		default:
			return false, fmt.Errorf("linearfake: WorkflowStateFilter.%s is not implemented", k)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// combine evaluates an and/or list of sub-filters.
func combine(op string, list any, match func(any) (bool, error)) (bool, error) {
	subs, _ := list.([]any)
	for _, sub := range subs {
		ok, err := match(sub)
		if err != nil {
			return false, err
		}
		if op == "or" && ok {
			return true, nil
		}
		if op == "and" && !ok {
			return false, nil
		}
	}
	return op == "and", nil
}

// compareString applies a StringComparator or IDComparator.
func compareString(v string, comparator any) (bool, error) {
	c, _ := comparator.(map[string]any)
	for op, arg := range c {
		if arg == nil {
			continue
		}
		var ok bool
		switch op {
		case "eq":
			ok = v == arg
		case "neq":
			ok = v != arg
		case "in":
			ok = slices.Contains(stringList(arg), v)
		case "nin":
			ok = !slices.Contains(stringList(arg), v)
		case "eqIgnoreCase":
			ok = strings.EqualFold(v, arg.(string))
		case "neqIgnoreCase":
			ok = !strings.EqualFold(v, arg.(string))
		case "contains":
			ok = strings.Contains(v, arg.(string))
		case "containsIgnoreCase":
			ok = strings.Contains(strings.ToLower(v), strings.ToLower(arg.(string)))
		case "notContains":
			ok = !strings.Contains(v, arg.(string))
		case "startsWith":
			ok = strings.HasPrefix(v, arg.(string))
		case "endsWith":
			ok = strings.HasSuffix(v, arg.(string))
		default:
			return false, fmt.Errorf("linearfake: string comparator %q is not implemented", op)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// compareNumber applies a NumberComparator.
func compareNumber(v float64, comparator any) (bool, error) {
	c, _ := comparator.(map[string]any)
	for op, arg := range c {
		if arg == nil {
			continue
		}
		var ok bool
		switch op {
		case "in", "nin":
			found := false
			for _, e := range arg.([]any) {
				if n, err := toFloat(e); err == nil && n == v {
					found = true
				}
			}
			ok = found == (op == "in")
		default:
			n, err := toFloat(arg)
			if err != nil {
				return false, err
			}
			switch op {
			case "eq":
				ok = v == n
			case "neq":
				ok = v != n
			case "gt":
				ok = v > n
			case "gte":
				ok = v >= n
			case "lt":
				ok = v < n
			case "lte":
				ok = v <= n
			default:
				return false, fmt.Errorf("linearfake: number comparator %q is not implemented", op)
			}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func toFloat(v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case int64:
		return float64(n), nil
	case int:
		return float64(n), nil
	case interface{ Float64() (float64, error) }:
		return n.Float64()
	}
	return 0, fmt.Errorf("linearfake: %v is not a number", v)
}

// compareDate applies a DateComparator or NullableDateComparator to a
// timestamp (nil when unset). Comparisons are at Linear's millisecond
// precision.
func (x *execution) compareDate(v *time.Time, comparator any) (bool, error) {
	c, _ := comparator.(map[string]any)
	for op, arg := range c {
		if arg == nil {
			continue
		}
		if op == "null" {
			if want, _ := arg.(bool); want != (v == nil) {
				return false, nil
			}
			continue
		}
		if v == nil {
			return false, nil
		}
		var ok bool
		switch op {
		case "in", "nin":
			found := false
			for _, e := range arg.([]any) {
				t, err := x.parseDate(e)
				if err != nil {
					return false, err
				}
				found = found || t.Equal(*v)
			}
			ok = found == (op == "in")
		default:
			t, err := x.parseDate(arg)
			if err != nil {
				return false, err
			}
			switch op {
			case "eq":
				ok = v.Equal(t)
			case "neq":
				ok = !v.Equal(t)
			case "gt":
				ok = v.After(t)
			case "gte":
				ok = !v.Before(t)
			case "lt":
				ok = v.Before(t)
			case "lte":
				ok = !v.After(t)
			default:
				return false, fmt.Errorf("linearfake: date comparator %q is not implemented", op)
			}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

var isoDuration = regexp.MustCompile(`^(-?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseDate reads a DateTimeOrDuration: an ISO-8601 date-time or date, a
// year, or an ISO-8601 duration relative to now ("-P2W1D" is two weeks and
// a day ago).
func (x *execution) parseDate(v any) (time.Time, error) {
	s, _ := v.(string)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return msUTC(t), nil
		}
	}
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "-P" {
		return time.Time{}, fmt.Errorf("linearfake: %q is not a DateTimeOrDuration", s)
	}
	n := func(i int) int {
		v, _ := strconv.Atoi(m[i])
		return v
	}
	sign := 1
	if m[1] == "-" {
		sign = -1
	}
	t := x.now.AddDate(sign*n(2), sign*n(3), sign*(7*n(4)+n(5)))
	d := time.Duration(n(6))*time.Hour + time.Duration(n(7))*time.Minute + time.Duration(n(8))*time.Second
	return msUTC(t.Add(time.Duration(sign) * d)), nil
}
