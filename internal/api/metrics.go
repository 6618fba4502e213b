package api

// metricsRoutes lists the routes for DORA and development metrics.
func (a *API) metricsRoutes() []Route {
	return nil
}
