package githubfake

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed testdata/repo_get.json testdata/workflows_list.json testdata/workflow_runs_list.json testdata/rate_limit.json
//go:embed testdata/deployments_list.json testdata/deployment_statuses_list.json
var fixtures embed.FS

// restMux routes the REST endpoints the fake serves. Every repository
// endpoint answers under /repos/{owner}/{repo}/… and, as Link headers
// point, /repositories/{id}/….
func (s *Server) restMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rate_limit", s.getRateLimit)
	mux.HandleFunc("GET /orgs/{owner}/repos", s.listOwnerRepos(false))
	mux.HandleFunc("GET /users/{owner}/repos", s.listOwnerRepos(true))
	for _, prefix := range []string{"/repos/{owner}/{repo}", "/repositories/{id}"} {
		mux.HandleFunc("GET "+prefix, s.withRepo(func(w http.ResponseWriter, r *http.Request, repo *Repo) any { return s.getRepo(w, r, repo) }))
		mux.HandleFunc("GET "+prefix+"/actions/workflows", s.withRepo(s.listWorkflows))
		mux.HandleFunc("GET "+prefix+"/actions/runs", s.withRepo(s.listRuns))
		mux.HandleFunc("GET "+prefix+"/actions/runs/{run}", s.withRepo(s.getRun))
		mux.HandleFunc("GET "+prefix+"/deployments", s.withRepo(s.listDeployments))
		mux.HandleFunc("GET "+prefix+"/deployments/{deployment}/statuses", s.withRepo(s.listDeploymentStatuses))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, "core", http.StatusNotFound, notFoundBody)
	})
	return mux
}

var notFoundBody = map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	s.muxOnce.Do(func() { s.mux = s.restMux() })
	s.mux.ServeHTTP(w, r)
}

// withRepo resolves the repository a request names, answering 404 for an
// unknown one. The handler runs with the data locked.
func (s *Server) withRepo(h func(w http.ResponseWriter, r *http.Request, repo *Repo) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		var repo *Repo
		if id, err := strconv.ParseInt(r.PathValue("id"), 10, 64); err == nil {
			repo = s.reposByID[id]
		} else {
			repo = s.repos[strings.ToLower(r.PathValue("owner")+"/"+r.PathValue("repo"))]
		}
		var body any
		if repo != nil {
			body = h(w, r, repo)
		}
		s.mu.Unlock()
		if body == nil {
			s.writeJSON(w, "core", http.StatusNotFound, notFoundBody)
			return
		}
		s.writeCached(w, r, body, w.Header().Get("Link"))
	}
}

// listOwnerRepos lists an organisation's (or a user's) repositories, by
// name, 100 a page at most, with Link pagination. /orgs/{login}/repos
// answers 404 for a user, as GitHub does, and /users/{login}/repos serves
// both.
func (s *Server) listOwnerRepos(users bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		owner := strings.ToLower(r.PathValue("owner"))
		s.mu.Lock()
		var repos []*Repo
		for _, repo := range s.repos {
			if strings.ToLower(repo.Owner) == owner {
				repos = append(repos, repo)
			}
		}
		isUser := s.users[owner]
		s.mu.Unlock()
		if len(repos) == 0 || (isUser && !users) {
			s.writeJSON(w, "core", http.StatusNotFound, notFoundBody)
			return
		}
		slices.SortFunc(repos, func(a, b *Repo) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
		start, end := s.paginateList(w, r, len(repos))
		items := []any{}
		for _, repo := range repos[start:end] {
			s.mu.Lock()
			m := s.getRepo(w, r, repo)
			s.mu.Unlock()
			m["fork"] = repo.Fork
			items = append(items, m)
		}
		s.writeCached(w, r, items, w.Header().Get("Link"))
	}
}

// SetUser makes login a user rather than an organisation: its
// repositories are listed under /users/{login}/repos only.
func (s *Server) SetUser(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(login)] = true
}

// paginateList is paginate for a list that is not under a repository: its
// Link URLs keep the request's own path.
func (s *Server) paginateList(w http.ResponseWriter, r *http.Request, n int) (start, end int) {
	q := r.URL.Query()
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((n+perPage-1)/perPage, 1)
	start = min((page-1)*perPage, n)
	end = min(start+perPage, n)
	q.Del("page")
	q.Set("per_page", strconv.Itoa(perPage))
	base := fmt.Sprintf("%s%s?%s&page=", s.URL(), r.URL.Path, q.Encode())
	var links []string
	if page < last {
		links = append(links, fmt.Sprintf(`<%s%d>; rel="next"`, base, page+1), fmt.Sprintf(`<%s%d>; rel="last"`, base, last))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return start, end
}

func (s *Server) getRateLimit(w http.ResponseWriter, r *http.Request) {
	m := s.fixture("rate_limit.json", nil)
	res := maps.Clone(m["resources"].(map[string]any))
	for _, bucket := range []string{"core", "graphql"} {
		remaining, reset := s.RateLimit(bucket)
		res[bucket] = map[string]any{"limit": s.limit, "remaining": remaining, "reset": reset.Unix(), "used": s.limit - remaining}
	}
	m["resources"], m["rate"] = res, res["core"]
	s.writeJSON(w, "core", http.StatusOK, m) // /rate_limit costs nothing
}

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request, repo *Repo) map[string]any {
	m := s.fixture("repo_get.json", repo)
	owner := maps.Clone(m["owner"].(map[string]any))
	owner["login"] = repo.Owner
	set(m, "id", repo.ID, "node_id", repo.NodeID(), "name", repo.Name, "full_name", repo.FullName(),
		"owner", owner, "private", repo.Private, "html_url", "https://github.com/"+repo.FullName(),
		"description", nilIfEmpty(repo.Description), "default_branch", repo.DefaultBranch, "archived", repo.Archived,
		"url", s.URL()+"/repos/"+repo.FullName(), "created_at", ts(repo.CreatedAt), "updated_at", ts(repo.UpdatedAt),
		"pushed_at", ts(repo.PushedAt), "fork", repo.Fork)
	return m
}

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request, repo *Repo) any {
	tmpl := s.fixture("workflows_list.json", repo)["workflows"].([]any)[0].(map[string]any)
	start, end := s.paginate(w, r, repo, len(repo.Workflows))
	items := []any{}
	for _, wf := range repo.Workflows[start:end] {
		m := maps.Clone(tmpl)
		set(m, "id", wf.ID, "node_id", fmt.Sprintf("W_kwDO%08d", wf.ID), "name", wf.Name, "path", wf.Path,
			"state", wf.State, "created_at", ts(wf.CreatedAt), "updated_at", ts(wf.UpdatedAt),
			"url", fmt.Sprintf("%s/repos/%s/actions/workflows/%d", s.URL(), repo.FullName(), wf.ID),
			"html_url", fmt.Sprintf("https://github.com/%s/blob/%s/%s", repo.FullName(), repo.DefaultBranch, wf.Path),
			"badge_url", fmt.Sprintf("https://github.com/%s/workflows/%s/badge.svg", repo.FullName(), url.PathEscape(wf.Name)))
		items = append(items, m)
	}
	return map[string]any{"total_count": len(repo.Workflows), "workflows": items}
}

// listRuns lists runs newest first, as GitHub does. Of the query
// parameters only per_page and page apply; filters such as status or
// created are ignored.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, repo *Repo) any {
	runs := slices.Clone(repo.Runs)
	slices.SortStableFunc(runs, func(a, b *Run) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	start, end := s.paginate(w, r, repo, len(runs))
	items := []any{}
	for _, run := range runs[start:end] {
		items = append(items, s.runJSON(repo, run))
	}
	return map[string]any{"total_count": len(runs), "workflow_runs": items}
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request, repo *Repo) any {
	for _, run := range repo.Runs {
		if strconv.FormatInt(run.ID, 10) == r.PathValue("run") {
			return s.runJSON(repo, run)
		}
	}
	return nil
}

func (s *Server) runJSON(repo *Repo, run *Run) map[string]any {
	m := maps.Clone(s.fixture("workflow_runs_list.json", repo)["workflow_runs"].([]any)[0].(map[string]any))
	api := fmt.Sprintf("%s/repos/%s/actions/runs/%d", s.URL(), repo.FullName(), run.ID)
	var conclusion any
	if run.Conclusion != "" {
		conclusion = run.Conclusion
	}
	startedAt := run.RunStartedAt
	if startedAt.IsZero() {
		startedAt = run.CreatedAt
	}
	set(m, "id", run.ID, "name", run.Name, "node_id", fmt.Sprintf("WFR_kwLO%08d", run.ID),
		"head_branch", run.HeadBranch, "head_sha", run.HeadSHA, "path", run.Path, "run_number", run.RunNumber,
		"run_attempt", run.RunAttempt, "event", run.Event, "status", run.Status, "conclusion", conclusion,
		"workflow_id", run.WorkflowID, "url", api,
		"html_url", fmt.Sprintf("https://github.com/%s/actions/runs/%d", repo.FullName(), run.ID),
		"created_at", ts(run.CreatedAt), "updated_at", ts(run.UpdatedAt), "run_started_at", ts(startedAt),
		"jobs_url", api+"/jobs", "logs_url", api+"/logs", "artifacts_url", api+"/artifacts",
		"cancel_url", api+"/cancel", "rerun_url", api+"/rerun",
		"workflow_url", fmt.Sprintf("%s/repos/%s/actions/workflows/%d", s.URL(), repo.FullName(), run.WorkflowID))
	return m
}

// paginate picks the slice of n items that the request's page and
// per_page select, and sets the Link header GitHub would send: absolute
// /repositories/{id}/… URLs that keep the other query parameters.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, repo *Repo, n int) (start, end int) {
	q := r.URL.Query()
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((n+perPage-1)/perPage, 1)
	start = min((page-1)*perPage, n)
	end = min(start+perPage, n)

	q.Del("page")
	q.Set("per_page", strconv.Itoa(perPage))
	// The part after the repository: /actions/runs, /deployments, ….
	sub := r.URL.Path
	if r.PathValue("id") != "" {
		sub = strings.TrimPrefix(sub, "/repositories/"+r.PathValue("id"))
	} else {
		sub = sub[min(len(sub), len("/repos/"+r.PathValue("owner")+"/"+r.PathValue("repo"))):]
	}
	base := fmt.Sprintf("%s/repositories/%d%s?%s&page=", s.URL(), repo.ID, sub, q.Encode())
	var links []string
	add := func(p int, rel string) { links = append(links, fmt.Sprintf(`<%s%d>; rel="%s"`, base, p, rel)) }
	if page > 1 {
		add(page-1, "prev")
	}
	if page < last {
		add(page+1, "next")
		add(last, "last")
	}
	if page > 1 {
		add(1, "first")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return start, end
}

var (
	fixtureMu    sync.Mutex
	fixtureCache = map[string]map[string]any{}
)

// fixture returns a decoded copy of a testdata example, with its example
// repository's names and api.github.com URLs rewritten to repo and this
// server. Nested values are shared: clone before changing them.
func (s *Server) fixture(name string, repo *Repo) map[string]any {
	key := name + "|" + s.URL()
	if repo != nil {
		key += "|" + repo.FullName()
	}
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if m, ok := fixtureCache[key]; ok {
		return maps.Clone(m)
	}
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	text := strings.ReplaceAll(string(b), "https://api.github.com", s.URL())
	if repo != nil {
		text = strings.NewReplacer("octo-org/octo-repo", repo.FullName(), "octocat/Hello-World", repo.FullName()).Replace(text)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		panic(err)
	}
	fixtureCache[key] = m
	return maps.Clone(m)
}

// set assigns key/value pairs to m.
func set(m map[string]any, kv ...any) {
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ts formats a time as GitHub does: ISO-8601 in UTC, to the second.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
