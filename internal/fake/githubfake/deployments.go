package githubfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Deployment is a GitHub deployment (the REST Deployments API) with its
// statuses.
type Deployment struct {
	ID          int64 // filled in when 0
	SHA         string
	Ref         string
	Task        string // default "deploy"
	Environment string // default "production"
	Description string
	Creator     string // default "octocat"
	CreatedAt   time.Time
	UpdatedAt   time.Time // default: the latest of CreatedAt and its statuses' times
	Statuses    []*DeploymentStatus
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID          int64  // filled in when 0
	State       string // error, failure, inactive, in_progress, queued, pending, success
	Description string
	CreatedAt   time.Time
}

// AddDeployment adds a deployment (with its statuses) to repo.
func (s *Server) AddDeployment(repo *Repo, d *Deployment) *Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.ID == 0 {
		d.ID = s.nextID()
	}
	if d.Task == "" {
		d.Task = "deploy"
	}
	if d.Environment == "" {
		d.Environment = "production"
	}
	if d.Creator == "" {
		d.Creator = "octocat"
	}
	statuses := d.Statuses
	d.Statuses = nil
	repo.Deployments = append(repo.Deployments, d)
	for _, st := range statuses {
		s.addStatus(d, st)
	}
	if d.UpdatedAt.Before(d.CreatedAt) {
		d.UpdatedAt = d.CreatedAt
	}
	return d
}

// AddDeploymentStatus adds a status to a deployment, which GitHub marks as
// updated.
func (s *Server) AddDeploymentStatus(d *Deployment, st *DeploymentStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addStatus(d, st)
}

func (s *Server) addStatus(d *Deployment, st *DeploymentStatus) {
	if st.ID == 0 {
		st.ID = s.nextID()
	}
	d.Statuses = append(d.Statuses, st)
	if st.CreatedAt.After(d.UpdatedAt) {
		d.UpdatedAt = st.CreatedAt
	}
}

// fixtureItem returns a decoded copy of the first element of a testdata
// list example, rewritten like fixture's.
func (s *Server) fixtureItem(name string, repo *Repo) map[string]any {
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	text := strings.NewReplacer("https://api.github.com", s.URL(), "octocat/example", repo.FullName()).Replace(string(b))
	var items []map[string]any
	if err := json.Unmarshal([]byte(text), &items); err != nil {
		panic(err)
	}
	return items[0]
}

// listDeployments lists deployments newest first, as GitHub does. Of the
// filters only environment applies (sha, ref and task are ignored).
func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request, repo *Repo) any {
	deps := slices.Clone(repo.Deployments)
	if env := r.URL.Query().Get("environment"); env != "" {
		deps = slices.DeleteFunc(deps, func(d *Deployment) bool { return d.Environment != env })
	}
	slices.SortStableFunc(deps, func(a, b *Deployment) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	start, end := s.paginate(w, r, repo, len(deps))
	items := []any{}
	for _, d := range deps[start:end] {
		items = append(items, s.deploymentJSON(repo, d))
	}
	return items
}

func (s *Server) deploymentJSON(repo *Repo, d *Deployment) map[string]any {
	m := s.fixtureItem("deployments_list.json", repo)
	creator := maps.Clone(m["creator"].(map[string]any))
	creator["login"] = d.Creator
	api := fmt.Sprintf("%s/repos/%s/deployments/%d", s.URL(), repo.FullName(), d.ID)
	var desc any
	if d.Description != "" {
		desc = d.Description
	}
	set(m, "id", d.ID, "node_id", fmt.Sprintf("DE_kwDO%08d", d.ID), "url", api, "statuses_url", api+"/statuses",
		"sha", d.SHA, "ref", d.Ref, "task", d.Task, "environment", d.Environment, "original_environment", d.Environment,
		"description", desc, "creator", creator, "created_at", ts(d.CreatedAt), "updated_at", ts(d.UpdatedAt),
		"production_environment", d.Environment == "production")
	return m
}

// listDeploymentStatuses lists a deployment's statuses newest first.
func (s *Server) listDeploymentStatuses(w http.ResponseWriter, r *http.Request, repo *Repo) any {
	var dep *Deployment
	for _, d := range repo.Deployments {
		if strconv.FormatInt(d.ID, 10) == r.PathValue("deployment") {
			dep = d
		}
	}
	if dep == nil {
		return nil
	}
	sts := slices.Clone(dep.Statuses)
	slices.SortStableFunc(sts, func(a, b *DeploymentStatus) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	start, end := s.paginate(w, r, repo, len(sts))
	items := []any{}
	for _, st := range sts[start:end] {
		m := s.fixtureItem("deployment_statuses_list.json", repo)
		creator := maps.Clone(m["creator"].(map[string]any))
		creator["login"] = dep.Creator
		api := fmt.Sprintf("%s/repos/%s/deployments/%d", s.URL(), repo.FullName(), dep.ID)
		set(m, "id", st.ID, "node_id", fmt.Sprintf("DES_kwDO%08d", st.ID), "url", fmt.Sprintf("%s/statuses/%d", api, st.ID),
			"state", st.State, "description", st.Description, "environment", dep.Environment, "creator", creator,
			"created_at", ts(st.CreatedAt), "updated_at", ts(st.CreatedAt), "deployment_url", api)
		items = append(items, m)
	}
	return items
}
