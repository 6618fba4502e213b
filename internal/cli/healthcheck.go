package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

func healthcheckCmd() *command {
	return &command{
		name:    "healthcheck",
		summary: "check that a running server answers (for container health checks)",
		help: `Asks the server at LISTEN_ADDR for /api/v1/health and exits 0 if it answers
healthy, 1 otherwise. Container images have no curl; this stands in for it.`,
		vars: []string{"LISTEN_ADDR"},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			cfg, err := loadConfig(e, o)
			if err != nil {
				return err
			}
			host, port, _ := net.SplitHostPort(cfg.ListenAddr)
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			url := "http://" + net.JoinHostPort(host, port) + "/api/v1/health"
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("%s: %w", url, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s answered %s", url, resp.Status)
			}
			fmt.Fprintln(e.stdout, "healthy")
			return nil
		},
	}
}
