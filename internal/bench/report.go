package bench

import (
	"fmt"
	"io"
	"time"
)

// Print writes the report as one Markdown table: per database, the cold
// request times with the bare COUNT(*) over the same rows and their ratio,
// then derive, memory and load.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintln(w, "| database | measure | p50 | p95 | COUNT(*) p50 | ratio | note |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|---|")
	for _, row := range r.Rows {
		ratio := ""
		if row.Floor > 0 && row.P50 > 0 {
			ratio = fmt.Sprintf("%.0f×", float64(row.P50)/float64(row.Floor))
			if row.P50 < 10*row.Floor {
				ratio = fmt.Sprintf("%.1f×", float64(row.P50)/float64(row.Floor))
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", row.Database, row.What, ms(row.P50), ms(row.P95),
			ms(row.Floor), ratio, row.Note)
	}
}

// ms formats a duration in milliseconds, or in seconds past ten of them.
func ms(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
}
