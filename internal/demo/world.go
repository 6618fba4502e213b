package demo

// The demo's cast: one organisation's repositories, people, bots and Linear
// teams. Everything here is fixed; only the activity is random.

// org is the GitHub organisation and Linear workspace of the demo.
const org = "acme"

// person is a developer. Login is their GitHub login; name and email are
// what Linear and commits show.
type person struct {
	login, name string
}

func (p person) email() string { return p.login + "@acme.example" }

var people = []person{
	{"alice", "Alice Martin"}, {"bob", "Bob Okafor"}, {"chen", "Chen Wei"}, {"dana", "Dana Levi"},
	{"emre", "Emre Yilmaz"}, {"farah", "Farah Haddad"}, {"gus", "Gus Andersen"}, {"hiro", "Hiro Tanaka"},
	{"ines", "Inês Costa"}, {"jules", "Jules Moreau"}, {"kofi", "Kofi Mensah"}, {"lena", "Lena Vogel"},
	{"marco", "Marco Rossi"},
}

// Bots, spelled as GitHub's REST API spells them.
const (
	dependabot    = "dependabot[bot]"
	renovate      = "renovate[bot]"
	githubActions = "github-actions[bot]"
)

// trend is how a repository's delivery changes over the year.
type trend int

const (
	steady trend = iota
	improving
	worsening
)

// workflowSpec is a GitHub Actions workflow of a repository.
type workflowSpec struct {
	name, file string
	deploy     bool // its name or file matches the default DEPLOYMENT_PATTERNS
}

// repoSpec is one repository and how its team works.
type repoSpec struct {
	name, description string
	share             float64 // of all PRs
	team              []int   // indexes into people
	linearTeam        int     // index into linearTeams
	trend             trend
	firstNumber       int // PR numbers continue an older history
	// deploysPerDay is the weekday deployment rate at the start and the end
	// of the year, for the default size.
	deploysFrom, deploysTo float64
	// pickupFrom/To are the median hours to a first review at the start and
	// the end of the year.
	pickupFrom, pickupTo float64
	// incidentFrom/To are the chances that a deployment causes an incident.
	incidentFrom, incidentTo float64
	workflows                []workflowSpec
	tagReleases              bool   // deployments run on version tags
	previewBot               string // a bot that comments on every PR
	nouns                    []string
	packages                 []string // dependencies the bots bump
	ecosystem                string   // dependabot's branch folder
}

var repos = []repoSpec{
	{
		name: "web", description: "Storefront and customer dashboard (Next.js)", share: 0.30,
		team: []int{0, 1, 2, 3, 4}, linearTeam: 0, trend: improving, firstNumber: 1840,
		deploysFrom: 0.4, deploysTo: 2.6, pickupFrom: 20, pickupTo: 2.5, incidentFrom: 0.3, incidentTo: 0.005,
		workflows: []workflowSpec{
			{"CI", "ci.yml", false}, {"Lint", "lint.yml", false}, {"Deploy production", "deploy-production.yml", true},
		},
		previewBot: "vercel[bot]",
		nouns: []string{"checkout page", "login form", "search results", "dashboard charts", "navigation bar",
			"settings page", "cart drawer", "product gallery", "onboarding flow", "dark mode", "date picker",
			"error boundary", "image lazy loading", "billing page", "notifications panel"},
		packages:  []string{"react", "next", "eslint", "typescript", "vite", "@testing-library/react"},
		ecosystem: "npm_and_yarn",
	},
	{
		name: "api", description: "Public and internal HTTP API (Go)", share: 0.30,
		team: []int{5, 6, 7, 8, 1}, linearTeam: 0, trend: worsening, firstNumber: 3120,
		deploysFrom: 2.2, deploysTo: 0.35, pickupFrom: 3, pickupTo: 26, incidentFrom: 0.02, incidentTo: 0.25,
		workflows: []workflowSpec{
			{"CI", "ci.yml", false}, {"CodeQL", "codeql.yml", false}, {"Deploy production", "deploy.yml", true},
		},
		previewBot: "codecov[bot]",
		nouns: []string{"orders endpoint", "rate limiter", "auth middleware", "webhook delivery", "invoice export",
			"search index", "pagination", "connection pool", "audit log", "refund flow", "session store",
			"GraphQL resolvers", "job queue", "price calculation"},
		packages:  []string{"golang.org/x/net", "github.com/jackc/pgx/v5", "google.golang.org/grpc", "github.com/stretchr/testify"},
		ecosystem: "go_modules",
	},
	{
		name: "mobile", description: "iOS and Android app (React Native)", share: 0.17,
		team: []int{9, 10, 11, 2}, linearTeam: 1, trend: steady, firstNumber: 950,
		deploysFrom: 0.3, deploysTo: 0.35, pickupFrom: 8, pickupTo: 7, incidentFrom: 0.06, incidentTo: 0.06,
		workflows: []workflowSpec{
			{"CI", "ci.yml", false}, {"Release", "release.yml", true},
		},
		tagReleases: true,
		nouns: []string{"push notifications", "offline sync", "camera upload", "biometric login", "deep links",
			"onboarding screens", "app start time", "order tracking", "settings screen", "crash reporting"},
		packages:  []string{"react-native", "expo", "@sentry/react-native", "react-navigation"},
		ecosystem: "npm_and_yarn",
	},
	{
		name: "infra", description: "Terraform for every environment", share: 0.10,
		team: []int{12, 5, 6}, linearTeam: 2, trend: steady, firstNumber: 410,
		deploysFrom: 0.7, deploysTo: 0.8, pickupFrom: 5, pickupTo: 5, incidentFrom: 0.05, incidentTo: 0.05,
		workflows: []workflowSpec{
			// Only the file name says "deploy": DEPLOYMENT_PATTERNS also match paths.
			{"Validate", "validate.yml", false}, {"Terraform apply", "deploy-infra.yml", true},
		},
		nouns: []string{"Terraform modules", "staging cluster", "RDS backups", "CDN cache rules", "alerting rules",
			"VPC peering", "IAM roles", "log retention", "autoscaling policy", "DNS records"},
		packages:  []string{"hashicorp/aws", "terraform-aws-modules/vpc/aws", "hashicorp/random"},
		ecosystem: "terraform",
	},
	{
		name: "design-system", description: "Shared React components and tokens", share: 0.13,
		team: []int{2, 3, 11, 4}, linearTeam: 0, trend: steady, firstNumber: 620,
		deploysFrom: 0.45, deploysTo: 0.5, pickupFrom: 6, pickupTo: 6, incidentFrom: 0.04, incidentTo: 0.04,
		workflows: []workflowSpec{
			{"CI", "ci.yml", false}, {"Lint", "lint.yml", false}, {"Publish to npm", "publish.yml", true},
		},
		nouns: []string{"Button component", "Modal component", "color tokens", "Table component", "typography scale",
			"Tooltip", "form inputs", "icon set", "Storybook docs", "focus styles"},
		packages:  []string{"storybook", "@radix-ui/react-dialog", "typescript", "postcss"},
		ecosystem: "npm_and_yarn",
	},
}

// linearTeamSpec is a Linear team.
type linearTeamSpec struct {
	key, name   string
	firstNumber int
	members     []int // who gets assigned its standalone issues
}

var linearTeams = []linearTeamSpec{
	{"ENG", "Engineering", 1, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
	{"MOB", "Mobile", 1, []int{9, 10, 11}},
	{"OPS", "Operations", 1, []int{12, 5, 6}},
}

// opsTeam is the Linear team that tracks incidents.
const opsTeam = 2

// Words for titles.
var (
	featureVerbs = []string{"Add", "Support", "Introduce", "Implement", "Build"}
	fixVerbs     = []string{"Fix", "Handle errors in", "Fix flaky tests for", "Repair", "Fix race in"}
	choreVerbs   = []string{"Refactor", "Clean up", "Simplify", "Migrate", "Remove dead code from", "Rename fields in"}
	perfVerbs    = []string{"Speed up", "Cache", "Reduce allocations in", "Batch queries in"}
	docsVerbs    = []string{"Document", "Update docs for", "Add examples for"}
	extraWords   = []string{"", "", "", " for guests", " behind a feature flag", " on small screens", " for EU customers", " (part 2)"}
	// falseFriends look like Linear identifiers but name no team.
	falseFriends = []string{"Handle UTF-8 BOM in the %s", "Parse ISO-8601 dates in the %s",
		"Verify SHA-256 checksums in the %s", "Return RFC-7807 errors from the %s", "Support HTTP-2 in the %s"}
	commitVerbs   = []string{"wip", "address review comments", "add tests", "fix lint", "tidy up", "handle edge case", "update snapshot", "rename variable", "fix typo"}
	reviewBodies  = []string{"", "LGTM", "Looks good, one nit inline.", "Nice cleanup!", "Ship it", "Thanks, this reads much better."}
	changeBodies  = []string{"This breaks the empty state, see inline.", "Needs a test for the error path.", "Can we avoid the extra query here?"}
	commentBodies = []string{"Could you add a screenshot?", "Rebased on main.", "Is this safe to roll out without a flag?", "Good catch.",
		"Addressed, PTAL.", "I'll follow up with the migration in a separate PR.", "Does this need a changelog entry?"}
	inlineBodies = []string{"nit: naming", "This could be a constant.", "Can this be nil here?", "Why the extra copy?",
		"Consider moving this to a helper.", "Missing error check."}
	incidentWhat = []string{"errors on the %s", "elevated latency on the %s", "%s unavailable", "data mismatch in the %s",
		"memory leak in the %s", "timeouts in the %s"}
	severities = []string{"sev1", "sev2", "sev2", "sev3", "sev3", "sev3"}
)
