package syncer

import (
	"context"
	"time"

	"github.com/veelocity/veelocity/internal/store"
)

// EndScope records in sync_state how a connector's sync of one scope ended:
// succeeded when err is nil, else failed with err's public message (said to
// be interrupted when ctx ended). The failure is recorded even after ctx
// ends. It returns the error of recording, if any.
func EndScope(ctx context.Context, st *store.Store, source, scope string, err error) error {
	if err == nil {
		return st.MarkSyncSucceeded(ctx, source, scope)
	}
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	msg := store.PublicMessage(err)
	if ctx.Err() != nil {
		msg = "sync interrupted: " + msg
	}
	return st.MarkSyncFailed(markCtx, source, scope, msg)
}
