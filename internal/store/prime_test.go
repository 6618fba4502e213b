package store_test

import (
	"context"
	"testing"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

// TestPrime: serve opens the reading connections before its first request.
func TestPrime(t *testing.T) {
	st := storetest.New(t)
	if err := st.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := 4
	if st.Dialect() == store.Postgres {
		want = 16
	}
	if idle := st.DB().Stats().Idle; idle < want {
		t.Errorf("%d idle connections after Prime, want %d", idle, want)
	}
}
