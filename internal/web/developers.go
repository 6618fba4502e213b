package web

import (
	"net/http"

	"github.com/veelocity/veelocity/internal/metrics"
)

// developersPanel is the per-developer table. It returns nil until the
// metrics package offers per-developer figures.
func (p *Pages) developersPanel(r *http.Request, q metrics.Query) (*Panel, error) {
	return nil, nil
}
