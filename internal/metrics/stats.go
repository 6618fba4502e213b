package metrics

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Durations summarises a population of durations, reported in hours rounded
// to 2 decimals; every field is null when the population is empty.
type Durations struct {
	AverageHours *float64 `json:"average_hours"`
	MedianHours  *float64 `json:"median_hours"`
	P75Hours     *float64 `json:"p75_hours"`
	P90Hours     *float64 `json:"p90_hours"`
}

const msPerHour = 3_600_000.0

// population collects durations in milliseconds. Negative durations (clock
// skew, bad data) are excluded, never clamped.
type population []int64

func (p *population) add(ms int64) bool {
	if ms < 0 {
		return false
	}
	*p = append(*p, ms)
	return true
}

// summary sorts the population and reports it.
func (p population) summary() Durations {
	if len(p) == 0 {
		return Durations{}
	}
	slices.Sort(p)
	var sum float64
	for _, v := range p {
		sum += float64(v)
	}
	return Durations{
		AverageHours: hours(sum / float64(len(p))),
		MedianHours:  hours(percentileSorted(p, 0.5)),
		P75Hours:     hours(percentileSorted(p, 0.75)),
		P90Hours:     hours(percentileSorted(p, 0.90)),
	}
}

// median returns the median in hours, or nil for an empty population.
func (p population) median() *float64 {
	if len(p) == 0 {
		return nil
	}
	slices.Sort(p)
	return hours(percentileSorted(p, 0.5))
}

// percentileSorted is PostgreSQL's percentile_cont over sorted values:
// linear interpolation between the values at floor and ceil of p × (n − 1).
func percentileSorted(v []int64, p float64) float64 {
	rank := p * float64(len(v)-1)
	lo, hi := math.Floor(rank), math.Ceil(rank)
	a, b := float64(v[int(lo)]), float64(v[int(hi)])
	return a + (rank-lo)*(b-a)
}

// hours converts milliseconds to hours rounded to 2 decimals.
func hours(ms float64) *float64 {
	return round(ms/msPerHour, 2)
}

// round rounds half away from zero to the given decimals, on the value's
// decimal spelling: 522 s is 0.145 h, which rounds to 0.15, although the
// float nearest 0.145 is a little below it (math.Round(v*100) gives 0.14).
// It works on the digits of the shortest spelling that reads back as v,
// and parses the rounded spelling back to the nearest float.
func round(v float64, decimals int) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return &v // nothing to round
	}
	text := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	whole, frac, _ := strings.Cut(text, ".")
	if len(frac) <= decimals {
		return &v
	}
	digits := []byte(whole + frac[:decimals])
	if frac[decimals] >= '5' {
		// Add one unit of the last kept digit, carrying.
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		} else {
			digits[i]++
		}
	}
	cut := len(digits) - decimals
	out, err := strconv.ParseFloat(string(digits[:cut])+"."+string(digits[cut:])+"0", 64)
	if err != nil {
		return &v // cannot happen: the digits are a number
	}
	if v < 0 && out != 0 { // a value rounded to zero is 0, never -0
		out = -out
	}
	return &out
}

// ratio is num ÷ den rounded to 4 decimals, or nil when den is 0.
func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	return round(float64(num)/float64(den), 4)
}

// bounds are the smallest and largest of a population's values, when known
// (a rollup read knows them from its sorted arrays' ends), which spares
// binnedSelect a pass over the values.
type bounds struct {
	lo, hi int64
	known  bool
}

// widen makes b cover lo and hi too.
func (b *bounds) widen(lo, hi int64) {
	if !b.known {
		*b = bounds{lo, hi, true}
		return
	}
	b.lo, b.hi = min(b.lo, lo), max(b.hi, hi)
}

// percentiles returns percentile_cont of v for each fraction in ps
// (ascending), by selection: O(n) instead of a sort. It reorders v.
func percentiles(v []int64, ps ...float64) []float64 { return percentilesWithin(v, bounds{}, ps...) }

// percentilesWithin is percentiles of values that b bounds, when it is
// known.
func percentilesWithin(v []int64, b bounds, ps ...float64) []float64 {
	ranks := ranksOf(len(v), ps)
	at := map[int]int64{}
	if len(v) >= binnedFrom {
		binnedSelect([][]int64{v}, false, ranks, at, b)
	} else {
		// Each selection leaves smaller values before the rank and larger
		// ones after it, so the next one only looks after it.
		from := 0
		for _, r := range ranks {
			selectNth(v[from:], r-from)
			from = r
			at[r] = v[r]
		}
	}
	return interpolate(len(v), at, ps)
}

// ranksOf returns the ranks, ascending, that percentile_cont of n values
// interpolates between for each fraction in ps (ascending): floor and ceil
// of each p × (n − 1).
func ranksOf(n int, ps []float64) []int {
	var ranks []int
	for _, p := range ps {
		rank := p * float64(n-1)
		for _, r := range []int{int(math.Floor(rank)), int(math.Ceil(rank))} {
			if len(ranks) == 0 || ranks[len(ranks)-1] < r {
				ranks = append(ranks, r)
			}
		}
	}
	return ranks
}

// interpolate returns percentile_cont of n values for each fraction in ps,
// from the values at the ranks ranksOf returns.
func interpolate(n int, at map[int]int64, ps []float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		rank := p * float64(n-1)
		lo, hi := math.Floor(rank), math.Ceil(rank)
		a, b := float64(at[int(lo)]), float64(at[int(hi)])
		out[i] = a + (rank-lo)*(b-a)
	}
	return out
}

// valueSet is a population held as parts that are not to be modified (a
// rollup's arrays, as the mirror holds them): its percentiles are selected
// across the parts, without copying them into one slice, except when the
// population is small.
type valueSet struct {
	parts [][]int64
	n     int
	sum   int64
	b     bounds // the values' bounds, when known
	// anyOrder is set when a part's values may be in any order;
	// otherwise each part is sorted.
	anyOrder bool
}

// add adds part, ascending values with their sum: its ends bound it.
func (v *valueSet) add(part []int64, sum int64) {
	if len(part) == 0 {
		return
	}
	v.parts = append(v.parts, part)
	v.n += len(part)
	v.sum += sum
	v.b.widen(part[0], part[len(part)-1])
}

// percentiles is percentiles of the set's values.
func (v valueSet) percentiles(ps ...float64) []float64 {
	if v.n < binnedFrom {
		buf := smallValues.Get().(*[]int64)
		defer smallValues.Put(buf)
		flat := (*buf)[:0]
		for _, p := range v.parts {
			flat = append(flat, p...)
		}
		*buf = flat[:0]
		return percentilesWithin(flat, v.b, ps...)
	}
	at := map[int]int64{}
	binnedSelect(v.parts, !v.anyOrder, ranksOf(v.n, ps), at, v.b)
	return interpolate(v.n, at, ps)
}

// smallValues holds the slices a small valueSet is copied into to select
// in place.
var smallValues = sync.Pool{New: func() any { v := make([]int64, 0, 4096); return &v }}

// summary reports the set as population.summary reports the same values.
func (v valueSet) summary() Durations {
	if v.n == 0 {
		return Durations{}
	}
	ps := v.percentiles(0.5, 0.75, 0.90)
	return Durations{
		AverageHours: hours(float64(v.sum) / float64(v.n)),
		MedianHours:  hours(ps[0]),
		P75Hours:     hours(ps[1]),
		P90Hours:     hours(ps[2]),
	}
}

// medianHours is the set's median in hours, or nil when it is empty.
func (v valueSet) medianHours() *float64 {
	if v.n == 0 {
		return nil
	}
	return hours(v.percentiles(0.5)[0])
}

// binnedFrom is the population size from which percentiles selects through
// bins: below it, selection in place is as fast. (A variable for the
// tests, which lower it to select every population through bins.)
var binnedFrom = 4096

// binBits sets the number of bins binnedSelect counts values into.
const binBits = 11

// binWidth is the number of bins.
const binWidth = 1 << binBits

// binner maps the values of a span to bins, equal slices of it.
type binner struct {
	lo    uint64
	shift uint
}

// newBinner returns the binner of the values lo to hi, or false when they
// are one value (lo = hi), which needs no bins.
func newBinner(lo, hi int64) (binner, bool) {
	span := uint64(hi) - uint64(lo) // the exact difference, even past int64's range
	if span == 0 {
		return binner{}, false
	}
	return binner{uint64(lo), uint(max(0, bits.Len64(span)-binBits))}, true
}

// bin returns x's bin. (x − lo) >> shift < binWidth: the mask keeps
// indexing by it free of bounds checks.
func (b binner) bin(x int64) int { return int(((uint64(x) - b.lo) >> b.shift) & (binWidth - 1)) }

// count counts v's values into their bins, alternately in c and odd: a
// part's values are sorted, so that neighbours often fall in one bin, and
// counting each into the bin its neighbour has just counted into waits
// for that count (one counter for both took a fifth longer, on the
// benchmark of percentilesAll). The caller adds odd into c.
func (b binner) count(c, odd *[binWidth]int32, v []int64) {
	j := 0
	for ; j+1 < len(v); j += 2 {
		c[b.bin(v[j])]++
		odd[b.bin(v[j+1])]++
	}
	if j < len(v) {
		c[b.bin(v[j])]++
	}
}

// firstIn returns the index of v's first value in bin first or a later
// one (len(v) when there is none): v is sorted, and its values are within
// the binner's span, where bins never decrease as values grow. It walks
// from the start comparing values, which reads the part in order: a
// bisection read a few scattered cache lines of each part, and a loaded
// serve spent more on them than the values it skipped had cost.
func (b binner) firstIn(v []int64, first int) int {
	// The smallest value of bin first: within the span, so an int64.
	from := int64(b.lo + uint64(first)<<b.shift)
	i := 0
	for i < len(v) && v[i] < from {
		i++
	}
	return i
}

// constantAt returns n times the value v: the percentiles of a population
// of one value.
func constantAt(n int, v int64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(v)
	}
	return out
}

// binnedSelect finds the values at ranks (ascending) of the population
// held in parts, too large to select in place cheaply, into at: one pass
// finds the smallest and largest values, one counts the values per bin
// (equal slices of that span), one gathers the few bins that hold the
// ranks, and selection runs within those alone. It leaves the parts as they
// were. The first pass is skipped when vb is known: vb must then bound
// every value. When each part is sorted, the gathering reads only the run
// of each part between the first and the last bin wanted.
func binnedSelect(parts [][]int64, sorted bool, ranks []int, at map[int]int64, vb bounds) {
	lo, hi := boundsOver(parts, vb)
	bn, ok := newBinner(lo, hi)
	if !ok {
		for _, r := range ranks {
			at[r] = lo
		}
		return
	}
	var counts, odd [binWidth]int32
	for _, v := range parts {
		bn.count(&counts, &odd, v)
	}
	for b, n := range odd {
		counts[b] += n
	}
	sel := newBinSelection(ranks, func(b int) int { return int(counts[b&(binWidth-1)]) })
	var index [binWidth]uint8 // bin → 1 + its place in sel.gathered, 0 when not wanted
	first, last := binWidth, -1
	for b, i := range sel.slot {
		index[b] = uint8(i + 1)
		first, last = min(first, b), max(last, b)
	}
	if !sorted {
		first, last = 0, binWidth-1
	}
	for _, v := range parts {
		for _, x := range v[bn.firstIn(v, first):] {
			bin := bn.bin(x)
			if bin > last {
				break
			}
			if i := index[bin]; i != 0 {
				sel.gathered[i-1] = append(sel.gathered[i-1], x)
			}
		}
	}
	sel.pick(ranks, at)
}

// boundsOver returns the smallest and largest value of parts: b's, when
// known.
func boundsOver(parts [][]int64, b bounds) (lo, hi int64) {
	if b.known {
		return b.lo, b.hi
	}
	lo, hi = math.MaxInt64, math.MinInt64
	for _, v := range parts {
		for _, x := range v {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	return lo, hi
}

// selectNth reorders v so that v[k] is the value a sort would put there,
// with no larger value before it and no smaller one after it (introselect:
// quickselect on a median-of-three pivot, falling back to a sort when the
// partitions stop shrinking).
func selectNth(v []int64, k int) {
	lo, hi := 0, len(v)-1
	budget := 2*bits.Len(uint(len(v))) + 8
	for hi-lo > 16 {
		if budget--; budget < 0 {
			slices.Sort(v[lo : hi+1])
			return
		}
		mid := lo + (hi-lo)/2
		// Median of three to v[mid].
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		// Three-way partition: < pivot, == pivot, > pivot.
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch {
			case v[i] < pivot:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case v[i] > pivot:
				v[i], v[gt] = v[gt], v[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return // v[k] equals the pivot, in its place
		}
	}
	slices.Sort(v[lo : hi+1])
}

// maxFusedBuckets bounds the buckets whose bins percentilesAll counts at
// once (binWidth counters each): past it, each bucket is selected on its
// own.
const maxFusedBuckets = 128

// fusedCounts holds percentilesAll's counters between calls.
var fusedCounts = sync.Pool{New: func() any { return new([]int32) }}

// percentilesAll returns percentile_cont of the whole population for each
// fraction in ps, and of each bucket for each fraction in bucketPs (nil
// for an empty bucket): what a metric and its series ask. It counts every
// value once into its bucket's bins, all buckets' bins over the whole
// span, so that the whole's counts are the sum of the buckets' and one
// gathering pass serves both: half the passes of selecting each on its
// own. Small populations, series of many buckets, and more fractions than
// a bin's mark holds (below) are selected on their own.
func (p *rolledPop) percentilesAll(ps, bucketPs []float64) (whole []float64, buckets [][]float64) {
	nb := len(p.counts)
	buckets = make([][]float64, nb)
	// Each fraction asks at most two ranks, each in one bin: a bin's
	// mark in wanted (below) holds the places of 15 bins a side.
	if p.n < binnedFrom || nb > maxFusedBuckets || 2*max(len(ps), len(bucketPs)) > 15 {
		for i := range nb {
			if b := p.bucket(i); b.n > 0 {
				buckets[i] = b.percentiles(bucketPs...)
			}
		}
		if p.n > 0 {
			whole = p.whole().percentiles(ps...)
		}
		return whole, buckets
	}
	all := p.whole()
	lo, hi := boundsOver(all.parts, all.b)
	bn, ok := newBinner(lo, hi)
	if !ok { // every value is lo
		for i := range nb {
			if p.counts[i] > 0 {
				buckets[i] = constantAt(len(bucketPs), lo)
			}
		}
		return constantAt(len(ps), lo), buckets
	}
	buf := fusedCounts.Get().(*[]int32)
	defer fusedCounts.Put(buf)
	if cap(*buf) < nb*binWidth {
		*buf = make([]int32, nb*binWidth)
	}
	counts := (*buf)[:nb*binWidth]
	clear(counts)
	var wholeCounts [binWidth]int
	var odd [binWidth]int32
	for i := range nb {
		c := (*[binWidth]int32)(counts[i*binWidth:])
		for _, v := range p.bucket(i).parts {
			bn.count(c, &odd, v)
		}
		for b, n := range c {
			c[b] = n + odd[b]
			wholeCounts[b] += int(c[b])
		}
		clear(odd[:])
	}
	// The bins that hold the whole's ranks, gathered from every bucket,
	// as each bucket's own are: wanted[bin] is 1 + the bin's place among
	// the whole's, plus 16 × (1 + its place among the bucket's).
	wholeRanks := ranksOf(p.n, ps)
	wholeSel := newBinSelection(wholeRanks, func(b int) int { return wholeCounts[b&(binWidth-1)] })
	var wanted [binWidth]uint8
	wholeFirst, wholeLast := binWidth, -1
	for b, j := range wholeSel.slot {
		wanted[b] = uint8(j + 1)
		wholeFirst, wholeLast = min(wholeFirst, b), max(wholeLast, b)
	}
	for i := range nb {
		b := p.bucket(i)
		if b.n == 0 {
			continue
		}
		c := (*[binWidth]int32)(counts[i*binWidth:])
		ranks := ranksOf(b.n, bucketPs)
		sel := newBinSelection(ranks, func(b int) int { return int(c[b&(binWidth-1)]) })
		first, last := wholeFirst, wholeLast
		for b, j := range sel.slot {
			wanted[b] |= uint8(j+1) << 4
			first, last = min(first, b), max(last, b)
		}
		// Only the values of the bins first to last can be wanted: in
		// each sorted part, they are one run (binner.firstIn finds its start).
		if p.anyOrder {
			first, last = 0, binWidth-1
		}
		for _, v := range b.parts {
			for _, x := range v[bn.firstIn(v, first):] {
				bin := bn.bin(x)
				if bin > last {
					break
				}
				if k := wanted[bin]; k != 0 {
					if k&15 != 0 {
						wholeSel.gathered[k&15-1] = append(wholeSel.gathered[k&15-1], x)
					}
					if k>>4 != 0 {
						sel.gathered[k>>4-1] = append(sel.gathered[k>>4-1], x)
					}
				}
			}
		}
		for b := range sel.slot {
			wanted[b] &= 15
		}
		at := map[int]int64{}
		sel.pick(ranks, at)
		buckets[i] = interpolate(b.n, at, bucketPs)
	}
	wholeAt := map[int]int64{}
	wholeSel.pick(wholeRanks, wholeAt)
	return interpolate(p.n, wholeAt, ps), buckets
}

// binSelection is the bins that hold a population's ranks, and the values
// gathered from them.
type binSelection struct {
	wants    []struct{ bin, local int }
	slot     map[int]int // bin → index in gathered
	gathered [][]int64
}

// newBinSelection finds the bins of ranks (ascending) from the bins'
// counts.
func newBinSelection(ranks []int, count func(bin int) int) binSelection {
	s := binSelection{slot: map[int]int{}}
	var sizes []int
	b, below := 0, 0
	for _, r := range ranks {
		for below+count(b) <= r {
			below += count(b)
			b++
		}
		s.wants = append(s.wants, struct{ bin, local int }{b, r - below})
		if _, ok := s.slot[b]; !ok {
			s.slot[b] = len(sizes)
			sizes = append(sizes, count(b))
		}
	}
	s.gathered = make([][]int64, len(sizes))
	for i, n := range sizes {
		s.gathered[i] = getValues(n)
	}
	return s
}

// pick selects the ranks' values from the gathered bins into at, then
// gives the gathered values back to their pool: s is done with.
func (s *binSelection) pick(ranks []int, at map[int]int64) {
	for i, r := range ranks {
		g := s.gathered[s.slot[s.wants[i].bin]]
		selectNth(g, s.wants[i].local)
		at[r] = g[s.wants[i].local]
	}
	for i, g := range s.gathered {
		putValues(g)
		s.gathered[i] = nil
	}
}
