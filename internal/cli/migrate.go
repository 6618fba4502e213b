package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/version"
)

func migrateCmd() *command {
	return &command{
		name:    "migrate",
		summary: "apply pending database migrations",
		usage:   " [--database URL]",
		help: `Applies the pending database migrations, each in its own transaction, and
records them in the database. Running it again does nothing. serve and sync
migrate automatically, so this is only needed to migrate ahead of a start.`,
		vars:  []string{"DATABASE_URL", "DEBUG"},
		flags: databaseFlag,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			cfg, err := loadConfig(e, o)
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer st.Close()
			applied, err := st.Migrate(ctx)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(e.stdout, "The %s database is up to date.\n", st.Dialect())
				return nil
			}
			fmt.Fprintf(e.stdout, "Applied %d migration(s) to the %s database: %s\n", len(applied), st.Dialect(), strings.Join(applied, ", "))
			return nil
		},
	}
}

func versionCmd() *command {
	return &command{
		name:    "version",
		summary: "print the version",
		help:    "Prints the version of this build.",
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if err := noArgs(args); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "veelocity", version.String())
			return nil
		},
	}
}
