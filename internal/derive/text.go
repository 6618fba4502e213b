package derive

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veelocity/veelocity/internal/model"
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
		if !hyphenDigit(t) {
			continue // no match is possible: skip the regular expression
		}
		for _, m := range identifierRE.FindAllStringSubmatchIndex(t, -1) {
			// \b knows only ASCII: "éENG-9" and "ENG-9é" are no mentions.
			before, _ := utf8.DecodeLastRuneInString(t[:m[0]])
			after, _ := utf8.DecodeRuneInString(t[m[1]:])
			if wordRune(before) || wordRune(after) {
				continue
			}
			key, digits := strings.ToUpper(t[m[2]:m[3]]), t[m[4]:m[5]]
			if !keys[key] || (len(digits) > 1 && digits[0] == '0') { // Linear numbers have no leading zeros
				continue
			}
			n, err := strconv.Atoi(digits)
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

// hyphenDigit reports whether t holds a hyphen followed by an ASCII digit,
// which every identifier has.
func hyphenDigit(t string) bool {
	for {
		i := strings.IndexByte(t, '-')
		if i < 0 || i+1 >= len(t) {
			return false
		}
		if c := t[i+1]; c >= '0' && c <= '9' {
			return true
		}
		t = t[i+1:]
	}
}

// wordRune reports whether r is part of a word, in any script.
func wordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// PRKey returns the key "owner/repo#number" (lower case) that identifies a
// pull request across GitHub URLs (model.PRKey).
func PRKey(fullName string, number int) string { return model.PRKey(fullName, number) }

// PRKeyFromURL parses a pull request URL into its PRKey (model.PRKeyFromURL).
func PRKeyFromURL(raw string) (key string, ok bool) { return model.PRKeyFromURL(raw) }
