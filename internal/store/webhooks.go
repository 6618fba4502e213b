package store

import (
	"context"
	"time"
)

// WebhookDelivery is one webhook delivery received.
type WebhookDelivery struct {
	Source     string // github or linear
	DeliveryID string // the sender's id for the delivery
	Event      string
	Scope      string // the repository or team it is about; "" if none
	ReceivedAt time.Time
}

// RecordWebhookDelivery stores d unless a delivery with its source and id
// was stored before, and reports whether it is new. It is one short
// statement, so a webhook handler can call it without waiting on a sync.
func (s *Store) RecordWebhookDelivery(ctx context.Context, d WebhookDelivery) (bool, error) {
	res, err := s.write.ExecContext(ctx, `/* Store.RecordWebhookDelivery */
		INSERT INTO webhook_deliveries (source, delivery_id, event, scope, received_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (source, delivery_id) DO NOTHING`,
		d.Source, d.DeliveryID, d.Event, d.Scope, ms(d.ReceivedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PruneWebhookDeliveries deletes the deliveries received before cutoff and
// returns how many it deleted.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `/* Store.PruneWebhookDeliveries */
		DELETE FROM webhook_deliveries WHERE received_at < $1`, ms(cutoff))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
