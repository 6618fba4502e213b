module github.com/veelocity/veelocity

go 1.26.8

require (
	// Tests only: the dashboard's end-to-end test drives headless Chromium.
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	// Tests only: checks that /openapi.json is valid OpenAPI 3.
	github.com/getkin/kin-openapi v0.153.0
	// Signs (and, in the fake GitHub, verifies) the RS256 JWT a GitHub App
	// exchanges for installation tokens.
	github.com/golang-jwt/jwt/v5 v5.3.1
	// The PostgreSQL driver, through database/sql (pgx/v5/stdlib).
	github.com/jackc/pgx/v5 v5.12.0
	// Reads the .env file.
	github.com/joho/godotenv v1.5.1
	// Parses and validates GraphQL documents against GitHub's and Linear's
	// official schemas, in the fake servers and the query tests.
	github.com/vektah/gqlparser/v2 v2.5.64
	// Hashes the shared sign-in password (AUTH_MODE=password): argon2id
	// and bcrypt.
	golang.org/x/crypto v0.59.0
	// Tests only: parses the dashboard's HTML.
	golang.org/x/net v0.62.0
	// Sign in with GitHub (AUTH_MODE=github): the OAuth web flow with
	// state and PKCE.
	golang.org/x/oauth2 v0.38.0
	// Live sync progress: is stderr a terminal, and how wide.
	golang.org/x/term v0.48.0
	// The embedded default database: SQLite in pure Go, no cgo, so the
	// binary builds static for any platform.
	modernc.org/sqlite v1.62.0
)

require (
	github.com/BurntSushi/toml v1.4.1-0.20240526193622-a339e1f7089c // indirect
	github.com/agnivade/levenshtein v1.2.2 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/go-openapi/jsonpointer v0.22.5 // indirect
	github.com/go-openapi/swag/jsonname v0.25.5 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/exp/typeparams v0.0.0-20231108232855-2478ac86f678 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
	honnef.co/go/tools v0.8.2 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)

tool honnef.co/go/tools/cmd/staticcheck
