package githubfake

import (
	"testing"
	"time"
)

func TestSchemaLoads(t *testing.T) {
	start := time.Now()
	s, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("schema: %d types, parsed in %v", len(s.Types), time.Since(start))
	if err := Validate(`query { viewer { login } }`, nil); err != nil {
		t.Fatal(err)
	}
	if err := Validate(`query { viewer { nope } }`, nil); err == nil {
		t.Fatal("an unknown field passed validation")
	}
}
