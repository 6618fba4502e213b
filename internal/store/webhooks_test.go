package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func TestWebhookDeliveriesAreRecordedOnce(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	t0 := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    store.WebhookDelivery
		want bool
	}{
		{store.WebhookDelivery{Source: "github", DeliveryID: "a", Event: "pull_request", Scope: "acme/web", ReceivedAt: t0.AddDate(0, 0, -40)}, true},
		{store.WebhookDelivery{Source: "github", DeliveryID: "a", Event: "pull_request", Scope: "acme/web", ReceivedAt: t0}, false},
		{store.WebhookDelivery{Source: "linear", DeliveryID: "a", Event: "Issue", ReceivedAt: t0}, true},
		{store.WebhookDelivery{Source: "github", DeliveryID: "b", Event: "issues", Scope: "acme/web", ReceivedAt: t0}, true},
	} {
		got, err := st.RecordWebhookDelivery(ctx, tc.d)
		if err != nil || got != tc.want {
			t.Errorf("record %+v: new=%v %v, want %v", tc.d, got, err, tc.want)
		}
	}
	n, err := st.PruneWebhookDeliveries(ctx, t0.AddDate(0, 0, -30))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the 40-day-old one", n, err)
	}
	// Once pruned, an id counts as new again.
	if got, err := st.RecordWebhookDelivery(ctx, store.WebhookDelivery{Source: "github", DeliveryID: "a", Event: "ping", ReceivedAt: t0}); err != nil || !got {
		t.Errorf("after pruning: new=%v %v", got, err)
	}
}
