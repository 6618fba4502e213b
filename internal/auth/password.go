package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// argon2id parameters for new hashes: OWASP's recommended minimum (19 MiB,
// 2 passes, 1 thread), a sign-in cheap enough for a small server.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash of password in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash), for AUTH_PASSWORD_HASH.
func HashPassword(password string) string {
	return hashArgon2id(password, argonMemory, argonTime, argonThreads)
}

// hashArgon2id hashes with the given cost: memory in KiB, passes, threads.
func hashArgon2id(password string, memory, passes uint32, threads uint8) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, passes, memory, threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, threads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// CheckPassword reports whether password matches hash, a bcrypt or argon2id
// hash. The comparison takes the same time however much of it matches.
func CheckPassword(hash, password string) bool {
	if strings.HasPrefix(hash, "$argon2id$") {
		return checkArgon2id(hash, password)
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

func checkArgon2id(hash, password string) bool {
	parts := strings.Split(hash, "$") // "", argon2id, v=19, m=…,t=…,p=…, salt, key
	if len(parts) != 6 {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil || passes == 0 || threads == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// limiter counts failed sign-ins per client address in fixed windows.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	seen   map[string]*attempts
}

type attempts struct {
	start time.Time
	n     int
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, seen: map[string]*attempts{}}
}

// blocked reports whether addr has used up its failures at now, and when
// it may try again.
func (l *limiter) blocked(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.seen[addr]
	if a == nil || now.Sub(a.start) >= l.window {
		return false, 0
	}
	return a.n >= l.max, a.start.Add(l.window).Sub(now)
}

// fail records a failed attempt from addr at now.
func (l *limiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 10000 { // forget stale addresses
		for k, a := range l.seen {
			if now.Sub(a.start) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	a := l.seen[addr]
	if a == nil || now.Sub(a.start) >= l.window {
		a = &attempts{start: now}
		l.seen[addr] = a
	}
	a.n++
}
