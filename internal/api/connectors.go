package api

// syncRoutes lists the routes for sync control and status (POST /connectors/sync, /sync/recent, GET /connectors/status).
func (a *API) syncRoutes() []Route {
	return nil
}
