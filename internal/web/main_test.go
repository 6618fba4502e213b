package web

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain fails the package when a whole run leaves a template never
// rendered: every template must be reached by some test (a run narrowed
// with -run cannot tell, so it does not check).
func TestMain(m *testing.M) {
	code := m.Run()
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		if unused := parsed.unused(); len(unused) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: templates never rendered by any test: %s\n", strings.Join(unused, ", "))
			code = 1
		}
	}
	os.Exit(code)
}
