// Package cli implements the veelocity command: its subcommands, their
// flags and help, and the wiring from configuration to running code.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad arguments or configuration; nothing was done
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	// usage is the argument synopsis after the command name.
	usage string
	// help is a paragraph on what the command does.
	help string
	// vars are the settings the command reads.
	vars  []string
	flags func(fs *flag.FlagSet, o *options)
	run   func(ctx context.Context, e *env, o *options, args []string) error
}

// options are the flags of all commands; each command declares those it
// takes.
type options struct {
	database string
	listen   string
	demo     demoFlag
	readOnly bool // token create --read-only
}

// env is what a running command needs from its surroundings.
type env struct {
	stdout, stderr io.Writer
	// stdin is read by auth hash-password; nil means os.Stdin.
	stdin io.Reader
	// dir holds the .env file; "" means the working directory.
	dir string
	log *slog.Logger
}

func commands() []*command {
	return []*command{serveCmd(), syncCmd(), migrateCmd(), demoCmd(), reportCmd(), healthcheckCmd(), authCmd(), tokenCmd(), versionCmd()}
}

// usageError is a mistake in the command line or configuration: it is
// reported in one line and exits with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Run runs the command line args (without the program name) and returns the
// process exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, &env{stdout: stdout, stderr: stderr}, args)
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c := find(args[1]); c != nil {
				printHelp(e.stdout, c, nil)
				return exitOK
			}
		}
		printOverview(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c := find(args[0])
	if c == nil {
		fmt.Fprintf(e.stderr, "veelocity: unknown command %q; run \"veelocity help\" for the list\n", args[0])
		return exitUsage
	}
	o := &options{}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if c.flags != nil {
		c.flags(fs, o)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(e.stdout, c, fs)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "veelocity %s: %v; run \"veelocity %s --help\"\n", c.name, err, c.name)
		return exitUsage
	}
	err := c.run(ctx, e, o, fs.Args())
	var ue usageError
	var ce *config.Error
	var de *config.DotEnvError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &ce), errors.As(err, &de):
		fmt.Fprintf(e.stderr, "veelocity %s: %v\n", c.name, err)
		return exitUsage
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintf(e.stderr, "veelocity %s: interrupted\n", c.name)
		return exitFailure
	default:
		fmt.Fprintf(e.stderr, "veelocity %s: %v\n", c.name, err)
		return exitFailure
	}
}

func find(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printOverview(w io.Writer) {
	fmt.Fprintln(w, "Veelocity: DORA and development metrics from GitHub, GitHub Actions and Linear.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: veelocity <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "veelocity <command> --help" for a command's flags and the variables it reads.`)
	fmt.Fprintln(w, "Settings come from the environment or a .env file in the working directory.")
}

func printHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: veelocity %s%s\n\n%s\n", c.name, c.usage, c.help)
	if fs == nil {
		fs = flag.NewFlagSet(c.name, flag.ContinueOnError)
		if c.flags != nil {
			c.flags(fs, &options{})
		}
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if len(c.vars) > 0 {
		fmt.Fprintln(w, "\nEnvironment (or .env in the working directory; the environment wins):")
		for _, name := range c.vars {
			o := config.OptionNamed(name)
			def := ""
			if o.Default != "" {
				def = " (default " + o.Default + ")"
			}
			fmt.Fprintf(w, "  %-20s %s%s\n", o.Name, o.Description, def)
		}
	}
}

// loadConfig reads the configuration and applies the command's flag
// overrides.
func loadConfig(e *env, o *options) (*config.Config, error) {
	cfg, err := config.Load(e.dir)
	if err != nil {
		return nil, err
	}
	if o.database != "" {
		over, err := config.Parse(func(name string) (string, bool) {
			if name == "DATABASE_URL" {
				return o.database, true
			}
			return "", false
		})
		if err != nil {
			var ce *config.Error
			if errors.As(err, &ce) {
				return nil, usageError{fmt.Errorf("invalid --database: %v", ce.Err)}
			}
			return nil, err
		}
		cfg.DatabaseURL = over.DatabaseURL
	}
	if o.listen != "" {
		addr, err := config.ValidateListenAddr(o.listen)
		if err != nil {
			return nil, usageError{fmt.Errorf("invalid --listen: %v", err)}
		}
		cfg.ListenAddr = addr
	}
	return cfg, nil
}

// newLogger returns the structured logger commands use: text on stderr, at
// debug level when DEBUG is set.
func newLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// openStore opens and migrates the database, logging what it applied.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	s, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("applied migrations", "versions", strings.Join(applied, ","))
	}
	return s, nil
}

func databaseFlag(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.database, "database", "", "database URL (overrides DATABASE_URL)")
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	}
	return nil
}
