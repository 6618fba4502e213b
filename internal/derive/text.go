package derive

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// IsDeploymentWorkflow reports whether a workflow is a deployment workflow:
// its name, or the file name of its path, contains one of patterns
// (lower-case), case-insensitively.
func IsDeploymentWorkflow(name, filePath string, patterns []string) bool {
	name = strings.ToLower(name)
	file := ""
	if filePath != "" {
		file = strings.ToLower(path.Base(filePath))
	}
	for _, p := range patterns {
		if p == "" {
			continue
		}
		if strings.Contains(name, p) || strings.Contains(file, p) {
			return true
		}
	}
	return false
}

// IsRework reports whether a PR is a rework PR: its title starts with
// `Revert "`, its head branch starts with "revert-" or "hotfix" (in any
// case), or it carries a "hotfix" label (in any case).
func IsRework(title, headBranch string, labels []string) bool {
	if strings.HasPrefix(title, `Revert "`) {
		return true
	}
	branch := strings.ToLower(headBranch)
	if strings.HasPrefix(branch, "revert-") || strings.HasPrefix(branch, "hotfix") {
		return true
	}
	for _, l := range labels {
		if strings.EqualFold(strings.TrimSpace(l), "hotfix") {
			return true
		}
	}
	return false
}

// HasLabel reports whether labels holds one of want (lower-case),
// case-insensitively and exactly.
func HasLabel(labels, want []string) bool {
	for _, l := range labels {
		l = strings.ToLower(strings.TrimSpace(l))
		for _, w := range want {
			if l == w {
				return true
			}
		}
	}
	return false
}

// identifierRE finds candidate issue identifiers (KEY-123) on word
// boundaries. Keys are then checked against the synced teams' keys.
var identifierRE = regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9]*)-([0-9]+)\b`)

// Identifiers returns the Linear identifiers (upper case, deduplicated, in
// order of appearance) that the texts mention, for the given team keys
// (upper case). Matching is case-insensitive and on word boundaries, so
// "eng-12-login" mentions ENG-12, but "UTF-8" mentions nothing unless UTF is
// a team key, and "ENG-123" does not mention ENG-12.
func Identifiers(keys map[string]bool, texts ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range texts {
		for _, m := range identifierRE.FindAllStringSubmatch(t, -1) {
			key := strings.ToUpper(m[1])
			if !keys[key] {
				continue
			}
			n, err := strconv.Atoi(m[2])
			if err != nil {
				continue
			}
			id := key + "-" + strconv.Itoa(n)
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// PRKey returns the key "owner/repo#number" (lower case) that identifies a
// pull request across GitHub URLs.
func PRKey(fullName string, number int) string {
	return strings.ToLower(fullName) + "#" + strconv.Itoa(number)
}

// PRKeyFromURL parses a pull request URL such as
// https://github.com/acme/web/pull/12 (any host, for GitHub Enterprise; a
// trailing slash, query, fragment or /files-style suffix is allowed) into
// its PRKey. ok is false for any other URL.
func PRKeyFromURL(raw string) (key string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 4 || parts[2] != "pull" {
		return "", false
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil || n < 1 {
		return "", false
	}
	return PRKey(parts[0]+"/"+parts[1], n), true
}
