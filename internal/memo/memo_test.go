package memo

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestDo(t *testing.T) {
	var calls atomic.Int32
	read := func() (string, error) { calls.Add(1); return "v1", nil }

	// Without a memo every call reads.
	bare := context.Background()
	for range 3 {
		if v, err := Do(bare, "version", read); v != "v1" || err != nil {
			t.Fatalf("Do = %q, %v", v, err)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("without a memo: %d reads, want 3", n)
	}

	// With one, a name is read once, even by simultaneous callers; another
	// name is read on its own; another request has its own memo.
	calls.Store(0)
	ctx := With(bare)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if v, err := Do(ctx, "version", read); v != "v1" || err != nil {
				t.Errorf("Do = %q, %v", v, err)
			}
		})
	}
	wg.Wait()
	Do(ctx, "other", read)
	Do(With(bare), "version", read)
	if n := calls.Load(); n != 3 {
		t.Errorf("with memos: %d reads, want 3 (one per name and memo)", n)
	}

	// An error is returned, not kept.
	fails := errors.New("down")
	if _, err := Do(ctx, "flaky", func() (int, error) { return 0, fails }); !errors.Is(err, fails) {
		t.Errorf("error = %v, want %v", err, fails)
	}
	if v, err := Do(ctx, "flaky", func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Errorf("after an error: %d, %v; want a new read", v, err)
	}
}
