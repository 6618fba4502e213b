package auth

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Passwords check against argon2id (as hash-password makes them) and
// bcrypt hashes, and nothing else does.
func TestCheckPassword(t *testing.T) {
	// A cheap argon2id hash keeps the test fast; HashPassword's own cost
	// is checked once.
	argon := hashArgon2id("s3cret pass", 1024, 1, 1)
	if h := HashPassword("s3cret pass"); !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || !CheckPassword(h, "s3cret pass") {
		t.Errorf("HashPassword = %s", h)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("s3cret pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if argon == hashArgon2id("s3cret pass", 1024, 1, 1) {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		hash, password string
		want           bool
	}{
		{argon, "s3cret pass", true},
		{argon, "s3cret pasS", false},
		{argon, "", false},
		{string(bc), "s3cret pass", true},
		{string(bc), "s3cret pas", false},
		{strings.Replace(argon, "t=1", "t=2", 1), "s3cret pass", false}, // other parameters, other key
		{"$argon2id$v=19$m=1024,t=1,p=1$bad", "s3cret pass", false},
		{"", "", false},
	} {
		if got := CheckPassword(tc.hash, tc.password); got != tc.want {
			t.Errorf("CheckPassword(%.30s…, %q) = %v", tc.hash, tc.password, got)
		}
	}
}

// Only paths on this site are followed after sign-in.
func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/dora?repo=acme%2Fweb": "/dora?repo=acme%2Fweb",
		"/":                     "/",
		"":                      "/",
		"dora":                  "/",
		"https://evil.example/": "/",
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"/%0d%0aSet-Cookie:x":   "/%0d%0aSet-Cookie:x", // stays encoded, on this site
		"/x\r\nLocation: //e":   "/",
		"javascript:alert(1)":   "/",
		"/auth/sign-out":        "/",
	} {
		if got := SafeNext(next); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// Ten failures a minute per address, then a wait; other addresses are not
// affected.
func TestLimiter(t *testing.T) {
	l := newLimiter(10, time.Minute)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		if b, _ := l.blocked("10.0.0.1", t0); b {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("10.0.0.1", t0.Add(time.Duration(i)*time.Second))
	}
	if b, wait := l.blocked("10.0.0.1", t0.Add(30*time.Second)); !b || wait != 30*time.Second {
		t.Errorf("after 10 failures: blocked %v, wait %v", b, wait)
	}
	if b, _ := l.blocked("10.0.0.2", t0.Add(30*time.Second)); b {
		t.Error("another address is blocked")
	}
	if b, _ := l.blocked("10.0.0.1", t0.Add(time.Minute)); b {
		t.Error("still blocked a minute later")
	}
}
