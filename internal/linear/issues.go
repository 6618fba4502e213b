package linear

import (
	"context"
	"fmt"
	"time"

	"github.com/veelocity/veelocity/internal/model"
	"github.com/veelocity/veelocity/internal/store"
	"github.com/veelocity/veelocity/internal/syncer"
)

// syncTeam stores a team and the issues updated since its cursor (in Full
// mode, or on the first sync, since SYNC_SINCE), one transaction per page.
func (c *Connector) syncTeam(ctx context.Context, mode syncer.Mode, rep syncer.Reporter, t teamNode) error {
	if err := c.st.MarkSyncStarted(ctx, Source, t.Key); err != nil {
		return err
	}
	if err := c.st.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.UpsertLinearTeam(ctx, &model.LinearTeam{LinearID: t.ID, Key: t.Key, Name: t.Name})
		return err
	}); err != nil {
		return err
	}
	rep.Records("teams", 1)

	start := cursor{Since: c.now().UTC().Add(-c.cfg.SyncSince).Truncate(time.Millisecond)}
	if mode != syncer.Full {
		state, err := c.st.SyncState(ctx, Source, t.Key)
		if err != nil {
			return err
		}
		if cur, ok := parseCursor(state.Cursor); ok {
			start = cur
		} else if state.Cursor != "" {
			c.log.Warn("linear: unreadable sync cursor; syncing from SYNC_SINCE", "team", t.Key)
		}
	}
	p := newPass(start)
	resumed := start.UpTo != nil
	var after any
	pages, total := 0, 0
	for {
		var page issuesData
		vars := map[string]any{"first": c.pageSize, "after": after, "filter": p.filter(t.ID)}
		if err := c.do(ctx, rep, issuesQuery, vars, &page); err != nil {
			return err
		}
		nodes := page.Issues.Nodes
		for i := range nodes {
			if nodes[i].trashed() {
				continue
			}
			if err := c.completeNested(ctx, rep, &nodes[i]); err != nil {
				return err
			}
		}
		pi := page.Issues.PageInfo
		done := !pi.HasNextPage || pi.EndCursor == nil
		next := p.advance(nodes, done)
		if err := c.storePage(ctx, t, nodes, next); err != nil {
			return err
		}
		stored := 0
		for i := range nodes {
			if !nodes[i].trashed() {
				stored++
			}
		}
		pages++
		total += stored
		rep.Records("issues", stored)
		c.log.Debug("linear: stored a page of issues", "team", t.Key, "issues", stored, "page", pages)
		if done {
			break
		}
		after = *pi.EndCursor
	}
	c.log.Info("linear: team synced", "team", t.Key, "issues", total, "pages", pages, "mode", mode.String(),
		"resumed", resumed)
	return nil
}

// storePage upserts a page of issues, except trashed ones, and the cursor
// that follows it in one transaction.
func (c *Connector) storePage(ctx context.Context, t teamNode, nodes []issueNode, next cursor) error {
	return c.st.Tx(ctx, func(tx *store.Tx) error {
		for i := range nodes {
			if nodes[i].trashed() {
				continue
			}
			is := nodes[i].record(t.ID, t.Key)
			id, err := tx.UpsertLinearIssue(ctx, is)
			if err != nil {
				return err
			}
			keep := make([]string, len(is.Attachments))
			for j, a := range is.Attachments {
				keep[j] = a.LinearID
			}
			if err := tx.PruneLinearAttachments(ctx, id, keep); err != nil {
				return err
			}
		}
		return tx.SetSyncCursor(ctx, Source, t.Key, next.String())
	})
}

// completeNested fetches the labels and attachments of an issue that has
// more than an issue page carries.
func (c *Connector) completeNested(ctx context.Context, rep syncer.Reporter, n *issueNode) error {
	if n.Labels.PageInfo.HasNextPage {
		var all []labelNode
		var after any
		for {
			var out issueLabelsData
			vars := map[string]any{"id": n.ID, "first": overflowPageSize, "after": after}
			if err := c.do(ctx, rep, issueLabelsQuery, vars, &out); err != nil {
				return fmt.Errorf("labels of %s: %w", n.Identifier, err)
			}
			all = append(all, out.Issue.Labels.Nodes...)
			pi := out.Issue.Labels.PageInfo
			if !pi.HasNextPage || pi.EndCursor == nil {
				break
			}
			after = *pi.EndCursor
		}
		n.Labels = labelConn{Nodes: all}
	}
	if n.Attachments.PageInfo.HasNextPage {
		var all []attachmentNode
		var after any
		for {
			var out issueAttachmentsData
			vars := map[string]any{"id": n.ID, "first": overflowPageSize, "after": after}
			if err := c.do(ctx, rep, issueAttachmentsQuery, vars, &out); err != nil {
				return fmt.Errorf("attachments of %s: %w", n.Identifier, err)
			}
			all = append(all, out.Issue.Attachments.Nodes...)
			pi := out.Issue.Attachments.PageInfo
			if !pi.HasNextPage || pi.EndCursor == nil {
				break
			}
			after = *pi.EndCursor
		}
		n.Attachments = attachmentConn{Nodes: all}
	}
	return nil
}
