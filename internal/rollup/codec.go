// Package rollup keeps the PR rollup, table pr_rollup: per UTC day,
// repository and person, the counts and the sorted durations that the PR
// metrics read (METRICS.md: lead time and its phases by deployment day,
// review time by first-review day, merge time, sizes and throughput by merge
// day, PRs opened, reviews given). A metric over a range then reads one row
// per day and person instead of one per PR, and its percentiles stay exact:
// the arrays hold every value.
//
// The derive step keeps it current (internal/derive/rollup.go): a full derive
// rebuilds it, and an incremental one rebuilds the days that the PRs it
// recomputed touch, recorded in pr_rollup_dirty in the same transaction as
// the facts.
package rollup

import (
	"encoding/binary"
	"errors"
	"slices"
)

// MsPerDay is the length of a UTC day in milliseconds.
const MsPerDay = 86_400_000

// Day is the UTC day of an instant in Unix milliseconds, as the SQL
// expression `ms / 86400000` computes it on both engines.
func Day(ms int64) int64 { return ms / MsPerDay }

// Encode sorts values in place and encodes them compactly: the first as a
// signed varint, then each difference from the one before as an unsigned
// varint. An empty slice encodes as nil.
func Encode(values []int64) []byte {
	if len(values) == 0 {
		return nil
	}
	slices.Sort(values)
	out := make([]byte, 0, len(values)*4)
	out = binary.AppendVarint(out, values[0])
	for i := 1; i < len(values); i++ {
		out = binary.AppendUvarint(out, uint64(values[i]-values[i-1]))
	}
	return out
}

// ErrCorrupt is returned for bytes that Encode did not make.
var ErrCorrupt = errors.New("rollup: corrupt value array")

// DecodeAppend appends the values encoded in b to dst, in ascending order,
// and returns it with the values' sum. (It decodes the varints inline: the
// metrics decode millions of values a request.)
func DecodeAppend(dst []int64, b []byte) ([]int64, int64, error) {
	if len(b) == 0 {
		return dst, 0, nil
	}
	v, n := binary.Varint(b)
	if n <= 0 {
		return dst, 0, ErrCorrupt
	}
	dst = append(dst, v)
	sum := v
	for i := n; i < len(b); {
		c := b[i]
		i++
		d := uint64(c)
		if c >= 0x80 {
			if d, i = uvarintRest(b, i, d); i < 0 {
				return dst, 0, ErrCorrupt
			}
		}
		v += int64(d)
		sum += v
		dst = append(dst, v)
	}
	return dst, sum, nil
}

// uvarintRest finishes decoding an unsigned varint whose first byte, c
// (0x80 or more: more follow), came before b[i]: it returns the value and
// the index after it, or a negative index for bytes that are no varint.
func uvarintRest(b []byte, i int, c uint64) (uint64, int) {
	d := c & 0x7f
	for shift := uint(7); ; shift += 7 {
		if i == len(b) || shift > 63 {
			return 0, -1
		}
		c := b[i]
		i++
		if c < 0x80 {
			if shift == 63 && c > 1 {
				return 0, -1 // past 64 bits
			}
			return d | uint64(c)<<shift, i
		}
		d |= uint64(c&0x7f) << shift
	}
}

// EncodeIDs encodes ascending ids: the first as an unsigned varint, then
// each difference from the one before. An empty slice encodes as nil.
func EncodeIDs(ids []int64) []byte {
	if len(ids) == 0 {
		return nil
	}
	out := make([]byte, 0, len(ids)*2)
	prev := int64(0)
	for _, id := range ids {
		out = binary.AppendUvarint(out, uint64(id-prev))
		prev = id
	}
	return out
}

// DecodeIDs appends the ids EncodeIDs encoded in b to dst.
func DecodeIDs(dst []int64, b []byte) ([]int64, error) {
	prev := int64(0)
	for i := 0; i < len(b); {
		d := uint64(b[i])
		i++
		if d >= 0x80 {
			if d, i = uvarintRest(b, i, d); i < 0 {
				return dst, ErrCorrupt
			}
		}
		prev += int64(d)
		dst = append(dst, prev)
	}
	return dst, nil
}

// EncodeList encodes values in their order, each as a signed varint (the
// values that go with ids, in the ids' order). An empty slice encodes as
// nil.
func EncodeList(values []int64) []byte {
	if len(values) == 0 {
		return nil
	}
	out := make([]byte, 0, len(values)*4)
	for _, v := range values {
		out = binary.AppendVarint(out, v)
	}
	return out
}

// DecodeList appends the values EncodeList encoded in b to dst, and
// returns it with their sum.
func DecodeList(dst []int64, b []byte) ([]int64, int64, error) {
	var sum int64
	for i := 0; i < len(b); {
		u := uint64(b[i])
		i++
		if u >= 0x80 {
			if u, i = uvarintRest(b, i, u); i < 0 {
				return dst, 0, ErrCorrupt
			}
		}
		v := int64(u >> 1) // zigzag, as binary.Varint
		if u&1 != 0 {
			v = ^v
		}
		sum += v
		dst = append(dst, v)
	}
	return dst, sum, nil
}

// Count returns how many varints b holds (the bytes that end one), so that
// a decoder can size its slice: the values of any of the encodings above.
func Count(b []byte) int {
	n := 0
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	return n
}
