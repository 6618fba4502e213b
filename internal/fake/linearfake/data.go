package linearfake

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Team is a Linear team in the fake.
type Team struct {
	ID        string
	Key       string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// State is a team's workflow state. Type is one of Linear's state types:
// triage, backlog, unstarted, started, completed, canceled, duplicate.
type State struct {
	ID       string
	TeamID   string
	Name     string
	Type     string
	Color    string
	Position float64
}

// User is a Linear user (an assignee, or the viewer who owns the API key).
type User struct {
	ID          string
	Name        string
	DisplayName string
	Email       string
}

// Label is an issue label.
type Label struct {
	ID    string
	Name  string
	Color string
}

// Attachment is an external link on an issue, such as a GitHub pull
// request. ID is assigned when empty; SourceType defaults to "github" for
// github.com URLs and "unknown" otherwise.
type Attachment struct {
	ID         string
	URL        string
	Title      string
	SourceType string
	CreatedAt  time.Time
}

// IssueInput describes an issue to add, or the editable view of one passed
// to UpdateIssue. Zero fields get defaults.
type IssueInput struct {
	// Team is the team's key (ENG); required.
	Team        string
	Title       string
	Description string
	// State is a workflow state of the team, by name ("In Progress") or
	// by type ("started"); the default is "Todo".
	State    string
	Priority int // 0 none, 1 urgent, 2 high, 3 medium, 4 low
	Estimate *float64
	// Assignee is a user's email; an unknown email adds the user.
	Assignee string
	// Labels are label names; unknown names add the label.
	Labels      []string
	Attachments []Attachment
	// BranchName defaults to Linear's suggestion: "user/eng-12-title".
	BranchName string
	// CreatedAt defaults to the fake's clock, UpdatedAt to CreatedAt.
	CreatedAt time.Time
	UpdatedAt time.Time
	// StartedAt, CompletedAt and CanceledAt default from the state's type
	// (to UpdatedAt) when nil.
	StartedAt   *time.Time
	CompletedAt *time.Time
	CanceledAt  *time.Time
	// ArchivedAt archives the issue: lists skip it unless includeArchived.
	ArchivedAt *time.Time
	// Trashed puts the issue in the trash bin (deleted, restorable), which
	// also archives it.
	Trashed bool
}

// Issue is a stored issue: its input, as normalized, plus what Linear
// assigns.
type Issue struct {
	IssueInput
	ID         string
	TeamID     string
	Number     int
	Identifier string
	URL        string
}

// issue is the fake's record of an issue.
type issue struct {
	Issue
	stateID    string
	assigneeID string
	labelIDs   []string
}

// newID returns a deterministic UUID-shaped id: the same calls in the same
// order give the same ids, so generated data is reproducible.
func (s *Server) newID(kind byte) string {
	s.seq++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(kind), s.seq)
}

// defaultStates are the workflow states Linear gives a new team.
var defaultStates = []struct{ name, typ, color string }{
	{"Backlog", "backlog", "#bec2c8"},
	{"Todo", "unstarted", "#e2e2e2"},
	{"In Progress", "started", "#f2c94c"},
	{"In Review", "started", "#0f783c"},
	{"Done", "completed", "#5e6ad2"},
	{"Canceled", "canceled", "#95a2b3"},
	{"Duplicate", "duplicate", "#95a2b3"},
}

// AddTeam adds a team with Linear's default workflow states and returns it.
// Adding a key that exists returns the existing team.
func (s *Server) AddTeam(key, name string) Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addTeam(key, name)
}

func (s *Server) addTeam(key, name string) *Team {
	key = strings.ToUpper(key)
	if t := s.teamByKey(key); t != nil {
		return t
	}
	now := s.clockNow()
	t := &Team{ID: s.newID('t'), Key: key, Name: name, CreatedAt: now, UpdatedAt: now}
	if t.Name == "" {
		t.Name = key
	}
	s.teams = append(s.teams, t)
	for i, st := range defaultStates {
		s.states = append(s.states, &State{ID: s.newID('s'), TeamID: t.ID, Name: st.name, Type: st.typ,
			Color: st.color, Position: float64(i)})
	}
	return t
}

// AddUser adds a user and returns it. Adding an email that exists returns
// the existing user.
func (s *Server) AddUser(name, email string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addUser(name, email)
}

func (s *Server) addUser(name, email string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	local, _, _ := strings.Cut(email, "@")
	if name == "" {
		words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
		for i, w := range words {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
		name = strings.Join(words, " ")
	}
	u := &User{ID: s.newID('u'), Name: name, DisplayName: strings.ToLower(strings.ReplaceAll(local, ".", "")), Email: email}
	s.users = append(s.users, u)
	return u
}

func (s *Server) labelNamed(name string) *Label {
	for _, l := range s.labels {
		if strings.EqualFold(l.Name, name) {
			return l
		}
	}
	l := &Label{ID: s.newID('l'), Name: name, Color: "#eb5757"}
	s.labels = append(s.labels, l)
	return l
}

func (s *Server) teamByKey(key string) *Team {
	for _, t := range s.teams {
		if t.Key == key {
			return t
		}
	}
	return nil
}

func (s *Server) stateFor(teamID, nameOrType string) (*State, error) {
	if nameOrType == "" {
		nameOrType = "Todo"
	}
	for _, st := range s.states {
		if st.TeamID == teamID && strings.EqualFold(st.Name, nameOrType) {
			return st, nil
		}
	}
	for _, st := range s.states {
		if st.TeamID == teamID && st.Type == nameOrType {
			return st, nil
		}
	}
	return nil, fmt.Errorf("linearfake: no workflow state %q", nameOrType)
}

// AddIssue adds an issue to a team and returns it as stored.
func (s *Server) AddIssue(in IssueInput) (Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, err := s.addIssue(in)
	if err != nil {
		return Issue{}, err
	}
	return is.snapshot(), nil
}

// MustAddIssue is AddIssue for fixed test data: it panics on error.
func (s *Server) MustAddIssue(in IssueInput) Issue {
	is, err := s.AddIssue(in)
	if err != nil {
		panic(err)
	}
	return is
}

func (s *Server) addIssue(in IssueInput) (*issue, error) {
	t := s.teamByKey(strings.ToUpper(in.Team))
	if t == nil {
		return nil, fmt.Errorf("linearfake: no team %q", in.Team)
	}
	s.numbers[t.ID]++
	is := &issue{Issue: Issue{ID: s.newID('i'), TeamID: t.ID, Number: s.numbers[t.ID]}}
	is.Identifier = fmt.Sprintf("%s-%d", t.Key, is.Number)
	if err := s.apply(is, in); err != nil {
		s.numbers[t.ID]--
		return nil, err
	}
	s.issues = append(s.issues, is)
	return is, nil
}

// apply sets an issue's fields from in, filling defaults.
func (s *Server) apply(is *issue, in IssueInput) error {
	t := s.teamByKey(strings.ToUpper(in.Team))
	if t == nil {
		return fmt.Errorf("linearfake: no team %q", in.Team)
	}
	st, err := s.stateFor(t.ID, in.State)
	if err != nil {
		return err
	}
	if t.ID != is.TeamID {
		// Moving an issue to another team gives it a new identifier, as in Linear.
		s.numbers[t.ID]++
		is.TeamID, is.Number = t.ID, s.numbers[t.ID]
		is.Identifier = fmt.Sprintf("%s-%d", t.Key, is.Number)
		in.BranchName = ""
	}
	in.Team, in.State = t.Key, st.Name
	if in.CreatedAt.IsZero() {
		in.CreatedAt = s.clockNow()
	}
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = in.CreatedAt
	}
	in.CreatedAt, in.UpdatedAt = msUTC(in.CreatedAt), msUTC(in.UpdatedAt)
	at := in.UpdatedAt
	switch st.Type {
	case "started":
		in.StartedAt = orTime(in.StartedAt, at)
	case "completed":
		in.StartedAt = orTime(in.StartedAt, at)
		in.CompletedAt = orTime(in.CompletedAt, at)
	case "canceled":
		in.CanceledAt = orTime(in.CanceledAt, at)
	}
	if in.Trashed && in.ArchivedAt == nil {
		in.ArchivedAt = &at
	}
	in.StartedAt, in.CompletedAt, in.CanceledAt, in.ArchivedAt = msPtr(in.StartedAt), msPtr(in.CompletedAt),
		msPtr(in.CanceledAt), msPtr(in.ArchivedAt)
	is.assigneeID = ""
	if in.Assignee != "" {
		is.assigneeID = s.addUser("", in.Assignee).ID
	}
	is.labelIDs = is.labelIDs[:0]
	for _, name := range in.Labels {
		is.labelIDs = append(is.labelIDs, s.labelNamed(name).ID)
	}
	in.Labels = append([]string(nil), in.Labels...)
	atts := make([]Attachment, len(in.Attachments))
	for i, a := range in.Attachments {
		if a.ID == "" {
			a.ID = s.newID('a')
		}
		if a.SourceType == "" {
			a.SourceType = "unknown"
			if strings.Contains(a.URL, "github.com/") {
				a.SourceType = "github"
			}
		}
		if a.Title == "" {
			a.Title = a.URL
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = at
		}
		a.CreatedAt = msUTC(a.CreatedAt)
		atts[i] = a
	}
	in.Attachments = atts
	if in.BranchName == "" {
		in.BranchName = branchName(s.userByID(is.assigneeID), is.Identifier, in.Title)
	}
	is.stateID = st.ID
	is.URL = fmt.Sprintf("https://linear.app/%s/issue/%s/%s", s.org, is.Identifier, slug(in.Title, 60))
	is.IssueInput = in
	return nil
}

// UpdateIssue edits the issue with the given identifier (or id) through
// its input view and sets its updatedAt to at (the fake's clock when zero),
// as an edit in Linear would. Changing the state fills the matching
// startedAt/completedAt/canceledAt when they are unset.
func (s *Server) UpdateIssue(identifier string, at time.Time, edit func(in *IssueInput)) (Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueByRef(identifier)
	if is == nil {
		return Issue{}, fmt.Errorf("linearfake: no issue %q", identifier)
	}
	in := is.IssueInput
	in.Labels = append([]string(nil), in.Labels...)
	in.Attachments = append([]Attachment(nil), in.Attachments...)
	edit(&in)
	if at.IsZero() {
		at = s.clockNow()
	}
	in.UpdatedAt = at
	if err := s.apply(is, in); err != nil {
		return Issue{}, err
	}
	return is.snapshot(), nil
}

// Issue returns the issue with the given identifier (ENG-12) or id.
func (s *Server) Issue(ref string) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueByRef(ref)
	if is == nil {
		return Issue{}, false
	}
	return is.snapshot(), true
}

// Issues returns every issue, archived ones included, in the order added.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Issue, len(s.issues))
	for i, is := range s.issues {
		out[i] = is.snapshot()
	}
	return out
}

// Teams returns every team, in the order added.
func (s *Server) Teams() []Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Team, len(s.teams))
	for i, t := range s.teams {
		out[i] = *t
	}
	return out
}

func (is *issue) snapshot() Issue {
	out := is.Issue
	out.Labels = append([]string(nil), is.Labels...)
	out.Attachments = append([]Attachment(nil), is.Attachments...)
	return out
}

func (s *Server) issueByRef(ref string) *issue {
	for _, is := range s.issues {
		if is.ID == ref || strings.EqualFold(is.Identifier, ref) {
			return is
		}
	}
	return nil
}

func (s *Server) userByID(id string) *User {
	for _, u := range s.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a title into Linear's URL and branch-name form.
func slug(title string, max int) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(s) > max {
		s = strings.TrimRight(s[:max], "-")
	}
	return s
}

func branchName(assignee *User, identifier, title string) string {
	b := strings.ToLower(identifier)
	if t := slug(title, 40); t != "" {
		b += "-" + t
	}
	if assignee != nil {
		b = assignee.DisplayName + "/" + b
	}
	return b
}

func msUTC(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func msPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := msUTC(*t)
	return &v
}

func orTime(t *time.Time, def time.Time) *time.Time {
	if t != nil {
		return t
	}
	return &def
}
