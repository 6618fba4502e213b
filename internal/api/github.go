package api

// githubRoutes lists the routes for GitHub data (repos, PRs).
func (a *API) githubRoutes() []Route {
	return nil
}
