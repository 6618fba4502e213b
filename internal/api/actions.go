package api

// actionsRoutes lists the routes for GitHub Actions workflows and deployments.
func (a *API) actionsRoutes() []Route {
	return nil
}
