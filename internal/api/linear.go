package api

// linearRoutes lists the routes for Linear teams and issues.
func (a *API) linearRoutes() []Route {
	return nil
}
