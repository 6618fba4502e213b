package web

import (
	"html/template"
	"strings"

	"github.com/veelocity/veelocity/internal/web/chart"
)

// HTML writes the table as the "table" template does, byte for byte
// (TestTableHTMLEqualsTemplate): a list page's table has hundreds of cells,
// and html/template reached each cell's fields and escaped each value
// through reflective calls, which made rendering 14–17% of a loaded
// serve's CPU (BENCHMARKS.md).
func (t *Table) HTML() template.HTML {
	n := 256 + len(t.Caption)
	for _, row := range t.Rows {
		for _, c := range row {
			n += 48 + len(c.Text) + len(c.URL)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, `<div class="table-wrap"><table id="table-`...)
	b = chart.AppendEscaped(b, t.ID)
	b = append(b, "\">\n  <caption>"...)
	b = chart.AppendEscaped(b, t.Caption)
	b = append(b, "</caption>\n  <thead><tr>"...)
	for _, c := range t.Columns {
		b = append(b, `<th scope="col"`...)
		if c.Num {
			b = append(b, ` class="num"`...)
		}
		if c.Sorted != "" {
			b = append(b, ` aria-sort="`...)
			b = chart.AppendEscaped(b, c.Sorted)
			b = append(b, '"')
		}
		b = append(b, '>')
		if c.SortURL != "" {
			b = append(b, `<a href="`...)
			b = appendURL(b, c.SortURL)
			b = append(b, `">`...)
			b = chart.AppendEscaped(b, c.Name)
			b = append(b, "</a>"...)
		} else {
			b = chart.AppendEscaped(b, c.Name)
		}
		b = append(b, "</th>"...)
	}
	b = append(b, "</tr></thead>\n  <tbody>"...)
	for _, row := range t.Rows {
		b = append(b, "\n  <tr>"...)
		for j, c := range row {
			head := j == 0
			switch {
			case head:
				b = append(b, `<th scope="row">`...)
			case j < len(t.Columns) && t.Columns[j].Num:
				b = append(b, `<td class="num">`...)
			default:
				b = append(b, "<td>"...)
			}
			if c.URL != "" {
				b = appendLinkStart(b, c.URL)
				b = chart.AppendEscaped(b, c.Text)
				b = append(b, "</a>"...)
			} else {
				b = chart.AppendEscaped(b, c.Text)
			}
			if head {
				b = append(b, "</th>"...)
			} else {
				b = append(b, "</td>"...)
			}
		}
		b = append(b, "</tr>"...)
	}
	b = append(b, "\n  </tbody>\n</table></div>"...)
	return template.HTML(b)
}

// appendLinkStart appends the opening tag of a link to u, elsewhere than
// Veelocity: <a href="u" rel="noopener noreferrer">.
func appendLinkStart(b []byte, u string) []byte {
	b = append(b, `<a href="`...)
	b = appendURL(b, u)
	return append(b, `" rel="noopener noreferrer">`...)
}

// appendURL appends u as html/template writes a value that is a whole
// quoted URL attribute: a URL whose scheme is not http, https or mailto
// becomes "#ZgotmplZ"; every byte but the letters, digits, RFC 3986's
// unreserved and reserved characters and a valid percent escape is
// percent-encoded (in lower-case hex); the result is then escaped as an
// attribute value.
func appendURL(b []byte, u string) []byte {
	if scheme, _, ok := strings.Cut(u, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		return append(b, "#ZgotmplZ"...)
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!#$*,/:;=?@[]", c) >= 0:
			b = append(b, c)
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '+':
			b = append(b, "&#43;"...)
		case c == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
