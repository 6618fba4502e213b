package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/veelocity/veelocity/internal/auth"
	"github.com/veelocity/veelocity/internal/store"
)

func authCmd() *command {
	return &command{
		name:    "auth",
		summary: "sign-in helpers: hash-password makes AUTH_PASSWORD_HASH",
		usage:   " hash-password",
		help: `hash-password reads a password from standard input (its first line) and
prints its argon2id hash, the value for AUTH_PASSWORD_HASH with
AUTH_MODE=password. It reads no settings and writes nothing else:

  printf '%s' 'correct horse battery staple' | veelocity auth hash-password`,
		run: runAuth,
	}
}

func runAuth(ctx context.Context, e *env, o *options, args []string) error {
	if len(args) != 1 || args[0] != "hash-password" {
		return usageError{errors.New(`want "veelocity auth hash-password" (the password on standard input)`)}
	}
	in := e.stdin
	if in == nil {
		in = os.Stdin
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return usageError{errors.New("no password on standard input; pipe it in, as in: printf '%s' \"$PASSWORD\" | veelocity auth hash-password")}
	}
	if len(pw) < 8 {
		return usageError{errors.New("the password is shorter than 8 characters; pick a longer one")}
	}
	fmt.Fprintln(e.stdout, auth.HashPassword(pw))
	return nil
}

func tokenCmd() *command {
	return &command{
		name:    "token",
		summary: "API tokens for machines: create, list, revoke",
		usage:   " create NAME [--read-only] | list | revoke NAME",
		help: `Manages the API tokens machines (CI, scripts) send as
"Authorization: Bearer TOKEN". Tokens work in every AUTH_MODE except none.
Only a SHA-256 hash of each token is stored in the database.

  create NAME [--read-only]  makes a token and prints it, once; a read-only
                             token gets 403 on anything that changes data
  list                       name, scope, created and last used (never the token)
  revoke NAME                deletes the token; requests with it get 401`,
		vars: []string{"DATABASE_URL"},
		flags: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.readOnly, "read-only", false, "create: a token that can only read")
			databaseFlag(fs, o)
		},
		run: runToken,
	}
}

func runToken(ctx context.Context, e *env, o *options, args []string) error {
	// Go's flag package stops at the first argument: parse the flags that
	// follow the verb too ("token create ci --read-only").
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	parsed := *o // registering the flags resets them to their defaults
	tokenCmd().flags(fs, o)
	o.database, o.readOnly = parsed.database, parsed.readOnly
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return usageError{err}
		}
		args = fs.Args()
		if len(args) > 0 {
			rest = append(rest, args[0])
			args = args[1:]
		}
	}
	if len(rest) == 0 {
		return usageError{errors.New(`want "token create NAME [--read-only]", "token list" or "token revoke NAME"`)}
	}
	verb, rest := rest[0], rest[1:]
	wantArgs := map[string]int{"create": 1, "list": 0, "revoke": 1}
	n, ok := wantArgs[verb]
	if !ok {
		return usageError{fmt.Errorf("unknown token command %q; want create, list or revoke", verb)}
	}
	if len(rest) != n {
		if n == 0 {
			return usageError{fmt.Errorf("token %s takes no arguments", verb)}
		}
		return usageError{fmt.Errorf("token %s takes one NAME", verb)}
	}
	cfg, err := loadConfig(e, o)
	if err != nil {
		return err
	}
	log := e.log
	if log == nil {
		log = newLogger(e.stderr, cfg.Debug)
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	switch verb {
	case "create":
		tok, err := auth.CreateToken(ctx, st, rest[0], o.readOnly, "cli", time.Now())
		if errors.Is(err, auth.ErrTokenName) {
			return usageError{err}
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, "Token "+rest[0]+" created; it is shown only this once:")
		fmt.Fprintln(e.stdout, tok)
	case "list":
		tokens, err := st.APITokens(ctx)
		if err != nil {
			return err
		}
		if len(tokens) == 0 {
			fmt.Fprintln(e.stdout, "No API tokens. Create one with: veelocity token create NAME [--read-only]")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSCOPE\tCREATED\tLAST USED")
		for _, t := range tokens {
			last := "never"
			if t.LastUsedAt != nil {
				last = t.LastUsedAt.UTC().Format("2006-01-02 15:04 UTC")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, auth.TokenScope(t), t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), last)
		}
		return tw.Flush()
	case "revoke":
		err := st.RevokeAPIToken(ctx, rest[0])
		if errors.Is(err, store.ErrNotFound) {
			return usageError{fmt.Errorf("no token is called %q; veelocity token list shows them", rest[0])}
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "Token "+rest[0]+" revoked.")
	}
	return nil
}
