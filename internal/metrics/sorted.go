package metrics

import (
	"math"
	"slices"
)

// sortedSet is a population held as several sorted slices, for example one
// per author: the Teams page asks the percentiles of many unions of them
// (one per team), which it finds without merging them.
type sortedSet struct {
	parts [][]int64
	n     int
	sum   int64
}

func (s *sortedSet) add(part []int64, sum int64) {
	if len(part) > 0 {
		s.parts = append(s.parts, part)
		s.n += len(part)
		s.sum += sum
	}
}

// kth returns the k-th smallest value (from 0) of the set: the smallest
// value v with more than k values ≤ v, found by bisecting the values'
// span, each step counting the values ≤ the middle by binary search in
// each part. Each part keeps a window of the values still in question:
// the values above a middle found too high, and those at or below one
// found too low, never change a later step's count, so each step searches
// only the windows, which narrow quickly (about four times fewer
// comparisons for a Teams page's team than searching whole parts).
func (s *sortedSet) kth(k int) int64 {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, p := range s.parts {
		lo = min(lo, p[0])
		hi = max(hi, p[len(p)-1])
	}
	m := len(s.parts)
	var buf [3 * 64]int
	win := buf[:0]
	if 3*m > len(buf) {
		win = make([]int, 0, 3*m)
	}
	// from[i], to[i]: part i's window; at[i]: its count at the middle.
	from, to, at := win[:m], win[m:2*m], win[2*m:3*m]
	for i, p := range s.parts {
		from[i], to[i] = 0, len(p)
	}
	below := 0 // the values ≤ a middle found too low, left of the windows
	for lo < hi {
		mid := lo + int64((uint64(hi)-uint64(lo))/2) // no overflow, whatever the signs
		n := below
		for i, p := range s.parts {
			// The first index of the window whose value is > mid.
			a, b := from[i], to[i]
			for a < b {
				h := int(uint(a+b) >> 1)
				if p[h] > mid {
					b = h
				} else {
					a = h + 1
				}
			}
			at[i] = a
			n += a - from[i]
		}
		if n > k {
			hi = mid
			copy(to, at)
		} else {
			lo = mid + 1
			below = n
			copy(from, at)
		}
	}
	return lo
}

// summary reports the set as population.summary reports the same values.
func (s *sortedSet) summary() Durations {
	if s.n == 0 {
		return Durations{}
	}
	ps := [3]float64{0.5, 0.75, 0.90}
	var out [3]float64
	at := map[int]int64{}
	for i, p := range ps {
		// percentile_cont, as percentiles computes it.
		rank := p * float64(s.n-1)
		lo, hi := math.Floor(rank), math.Ceil(rank)
		for _, r := range []int{int(lo), int(hi)} {
			if _, ok := at[r]; !ok {
				at[r] = s.kth(r)
			}
		}
		a, b := float64(at[int(lo)]), float64(at[int(hi)])
		out[i] = a + (rank-lo)*(b-a)
	}
	return Durations{
		AverageHours: hours(float64(s.sum) / float64(s.n)),
		MedianHours:  hours(out[0]),
		P75Hours:     hours(out[1]),
		P90Hours:     hours(out[2]),
	}
}

// sortValues sorts v: by radix, least significant 11 bits first, when its
// values are all non-negative (durations are) and there are enough of them
// for it to pay; by comparison otherwise. The Teams page sorts each author's
// values of a range, hundreds of thousands at a million PRs, and a radix
// sort takes a fixed few passes over them where a comparison sort takes
// about log n.
func sortValues(v []int64) {
	if len(v) < 1024 {
		slices.Sort(v)
		return
	}
	var top int64
	for _, x := range v {
		if x < 0 {
			slices.Sort(v)
			return
		}
		top = max(top, x)
	}
	const bits = 11
	src, dst := v, getValues(len(v))[:len(v)]
	defer putValues(dst[:0])
	for shift := uint(0); shift < 63 && top>>shift > 0; shift += bits {
		var count [1 << bits]int
		for _, x := range src {
			count[(x>>shift)&(1<<bits-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, x := range src {
			d := (x >> shift) & (1<<bits - 1)
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &v[0] {
		copy(v, src)
	}
}
