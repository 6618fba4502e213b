package derive

import (
	"regexp"
	"strings"
	"testing"
)

var fuzzIdentifierRE = regexp.MustCompile(`^([A-Z][A-Z0-9]*)-([1-9][0-9]*|0)$`)

// FuzzIdentifiers feeds the Linear-identifier matcher any team keys and
// text. It must not panic, and every identifier it returns must be
// KEY-NUMBER for one of the keys, without a leading zero, mentioned in the
// text (case-insensitively), and returned once. testdata/fuzz/FuzzIdentifiers
// holds the seed corpus the normal test run replays.
func FuzzIdentifiers(f *testing.F) {
	for _, s := range [][2]string{
		{"ENG", "Fixes ENG-12"}, {"ENG,OPS", "eng-12-login and OPS-7, ENG-12 again"}, {"UTF", "UTF-8"},
		{"ENG", "ENG-0012 ENG-0"}, {"ENG", "éENG-9 ENG-9é _ENG-3"}, {"ENG", "ENG-99999999999999999999999"},
		{"A1", "a1-1/a1-2#a1-3"}, {"ENG", "ENG-١٢"}, {"", "ENG-1"}, {"ENG", "\xffENG-5\xfe"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, keyList, text string) {
		keys := map[string]bool{}
		for _, k := range strings.Split(keyList, ",") {
			if k = strings.ToUpper(strings.TrimSpace(k)); k != "" {
				keys[k] = true
			}
		}
		got := Identifiers(keys, text, text)
		seen := map[string]bool{}
		upper := strings.ToUpper(text)
		for _, id := range got {
			m := fuzzIdentifierRE.FindStringSubmatch(id)
			if m == nil || !keys[m[1]] {
				t.Fatalf("Identifiers(%q, %q) returned %q, not KEY-N of a given key", keyList, text, id)
			}
			if seen[id] {
				t.Fatalf("Identifiers(%q, %q) returned %q twice", keyList, text, id)
			}
			seen[id] = true
			if !strings.Contains(upper, id) {
				t.Fatalf("Identifiers(%q, %q) returned %q, which the text does not mention", keyList, text, id)
			}
		}
	})
}
