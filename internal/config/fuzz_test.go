package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse gives one option (chosen by index) any value, the others their
// defaults. Parse must not panic; it either accepts the value or refuses it
// with an *Error naming that option, whose message never repeats the
// password a secret option's value holds (user:password@…). testdata/fuzz/FuzzParse holds the seed corpus the normal
// test run replays.
func FuzzParse(f *testing.F) {
	for i, o := range Options {
		f.Add(uint8(i), o.Default)
		f.Add(uint8(i), "")
		f.Add(uint8(i), "-1")
	}
	for _, s := range []string{"postgres://u:pw@/db", "sqlite://", "acme/web,!acme/*", "ENG,ops", "99999999999d",
		"1e9h", "PABC123=acme/web,PXYZ", "PABC123=acme/web,PABC123=acme/api", "=acme/web", "low,high", "urgent"} {
		f.Add(uint8(0), s)
	}
	f.Fuzz(func(t *testing.T, idx uint8, value string) {
		o := Options[int(idx)%len(Options)]
		c, err := Parse(func(name string) (string, bool) {
			if name == o.Name {
				return value, true
			}
			return "", false
		})
		if err == nil {
			if c == nil {
				t.Fatalf("%s=%q: no Config and no error", o.Name, value)
			}
			return
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Name != o.Name || !strings.Contains(err.Error(), o.Name) {
			t.Fatalf("%s=%q: error %q does not name the variable", o.Name, value, err)
		}
		if pw := password(value); o.Secret && len(pw) >= 4 && strings.Contains(err.Error(), pw) {
			t.Fatalf("%s: error %q repeats the password", o.Name, err)
		}
	})
}

// password returns the part of v between the first ':' after any "//" and
// the last '@': where a URL carries a password.
func password(v string) string {
	if _, rest, ok := strings.Cut(v, "//"); ok {
		v = rest
	}
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(v[:at], ":")
	if !ok {
		return ""
	}
	return pw
}
