package demo

import (
	"math"
	"math/rand/v2"
	"time"
)

// rng is the generator's single source of randomness: a PCG seeded from the
// user's seed, drawn from in one fixed order, so the same seed and the same
// day give the same data.
type rng struct{ *rand.Rand }

func newRNG(seed uint64) *rng {
	return &rng{rand.New(rand.NewPCG(seed, 0x7665656c6f63))} // "veeloc"
}

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.Float64() < p }

// between returns a duration uniformly in [lo, hi).
func (r *rng) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// logNormal returns a duration whose median is median, spread by sigma (1
// means a typical value is within a factor e of the median), capped at
// limit.
func (r *rng) logNormal(median time.Duration, sigma float64, limit time.Duration) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
	return min(max(d, time.Second), limit)
}

// sizeLike returns a positive count with a long tail around median.
func (r *rng) sizeLike(median float64, sigma float64, limit int) int {
	return min(max(int(median*math.Exp(sigma*r.NormFloat64())), 1), limit)
}

// geometric returns how many trials before the first failure, for a success
// chance p, capped at limit: 0 is most likely, each next count rarer.
func (r *rng) geometric(p float64, limit int) int {
	n := 0
	for n < limit && r.chance(p) {
		n++
	}
	return n
}

// poisson returns a Poisson-distributed count with mean lambda.
func (r *rng) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

const hexDigits = "0123456789abcdef"

// sha returns a random 40-digit hex commit SHA.
func (r *rng) sha() string {
	var b [40]byte
	for i := 0; i < 40; i += 16 {
		v := r.Uint64()
		for j := i; j < min(i+16, 40); j++ {
			b[j] = hexDigits[v&15]
			v >>= 4
		}
	}
	return string(b[:])
}

// pick returns a random element of xs.
func pick[T any](r *rng, xs []T) T { return xs[r.IntN(len(xs))] }

// weighted returns an index into weights, chosen in proportion to them.
func (r *rng) weighted(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// mix scrambles a counter into a well-spread 64-bit value (splitmix64), for
// ids that should look random but depend only on the counter.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
