package api

// recordRoutes lists the routes for deployments and incidents recorded by other systems (POST).
func (a *API) recordRoutes() []Route {
	return nil
}
