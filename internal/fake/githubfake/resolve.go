package githubfake

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The resolvers below map the in-memory data onto GitHub's schema. They run
// with s.mu held. A field that is valid in the schema but missing here is
// answered with an error naming it, so a test notices.

func (s *Server) queryObject(cost, nodes int) *object {
	w := s.window("graphql")
	return &object{typ: "Query", fields: map[string]any{
		"repository": func(args map[string]any) (any, error) {
			owner, _ := args["owner"].(string)
			name, _ := args["name"].(string)
			r := s.repos[strings.ToLower(owner+"/"+name)]
			if r == nil {
				return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name)}
			}
			return s.repoObject(r), nil
		},
		"rateLimit": &object{typ: "RateLimit", fields: map[string]any{
			"cost": cost, "limit": s.limit, "nodeCount": nodes, "remaining": w.remaining,
			"used": s.limit - w.remaining, "resetAt": ts(w.reset),
		}},
		"viewer":       actorObject(User("octocat")),
		"organization": s.organizationField,
		"nodes": func(args map[string]any) (any, error) {
			ids, _ := args["ids"].([]any)
			if len(ids) > 100 {
				return nil, &gqlError{Type: "EXCESSIVE_PAGINATION", Message: "You may not ask for more than 100 node ids at once."}
			}
			out := make([]*object, len(ids))
			for i, id := range ids {
				str, _ := id.(string)
				out[i] = s.findNode(str)
			}
			return out, nil
		},
		"node": func(args map[string]any) (any, error) {
			id, _ := args["id"].(string)
			if o := s.findNode(id); o != nil {
				return o, nil
			}
			return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id)}
		},
	}}
}

// findNode finds a pull request or review by its node id.
func (s *Server) findNode(id string) *object {
	if s.nodeIndex == nil {
		s.nodeIndex = map[string]nodeRef{}
		for _, r := range s.repos {
			for _, pr := range r.PullRequests {
				s.nodeIndex[pr.NodeID] = nodeRef{repo: r, pr: pr}
				for _, rv := range pr.Reviews {
					s.nodeIndex[rv.NodeID] = nodeRef{repo: r, pr: pr, review: rv}
				}
			}
		}
	}
	ref, ok := s.nodeIndex[id]
	switch {
	case !ok:
		return nil
	case ref.review != nil:
		return reviewObject(ref.repo, ref.pr, ref.review)
	}
	return s.prObject(ref.repo, ref.pr)
}

// nodeRef is where a node id points; s.nodeIndex is rebuilt after every
// change.
type nodeRef struct {
	repo   *Repo
	pr     *PullRequest
	review *Review
}

func (s *Server) repoObject(r *Repo) *object {
	ownerType := "Organization"
	return &object{typ: "Repository", fields: map[string]any{
		"id": r.NodeID(), "databaseId": r.ID, "name": r.Name, "nameWithOwner": r.FullName(),
		"owner":       &object{typ: ownerType, fields: map[string]any{"login": r.Owner, "url": "https://github.com/" + r.Owner}},
		"description": nilIfEmpty(r.Description), "url": "https://github.com/" + r.FullName(),
		"isPrivate": r.Private, "isArchived": r.Archived, "isFork": r.Fork, "createdAt": ts(r.CreatedAt), "updatedAt": ts(r.UpdatedAt),
		"pushedAt":         ts(r.PushedAt),
		"defaultBranchRef": &object{typ: "Ref", fields: map[string]any{"name": r.DefaultBranch, "prefix": "refs/heads/"}},
		"pullRequests": func(args map[string]any) (any, error) {
			states := stringSet(args["states"], false)
			labels := stringSet(args["labels"], true)
			p := &page{typ: "PullRequestConnection"}
			for _, pr := range r.PullRequests {
				if (states != nil && !states[pr.State]) || (labels != nil && !anyLabel(pr.Labels, labels)) ||
					(args["baseRefName"] != nil && args["baseRefName"] != pr.BaseRef) ||
					(args["headRefName"] != nil && args["headRefName"] != pr.HeadRef) {
					continue
				}
				p.add(orderKey(args, pr.CreatedAt, pr.UpdatedAt, len(pr.Comments), int64(pr.Number)), s.prObject(r, pr))
			}
			return p.connection(args)
		},
		"pullRequest": func(args map[string]any) (any, error) {
			n, _ := intArg(args, "number")
			for _, pr := range r.PullRequests {
				if pr.Number == n {
					return s.prObject(r, pr), nil
				}
			}
			return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n)}
		},
		"issues": func(args map[string]any) (any, error) {
			filter, _ := args["filterBy"].(map[string]any)
			states := stringSet(args["states"], false)
			labels := stringSet(args["labels"], true)
			var since time.Time
			if filter != nil {
				if fs := stringSet(filter["states"], false); fs != nil {
					states = fs
				}
				if fl := stringSet(filter["labels"], true); fl != nil {
					labels = fl
				}
				if v, ok := filter["since"].(string); ok {
					t, err := time.Parse(time.RFC3339, v)
					if err != nil {
						return nil, &gqlError{Message: fmt.Sprintf("Argument 'since' on InputObject 'IssueFilters' has an invalid value (%q).", v)}
					}
					since = t
				}
			}
			p := &page{typ: "IssueConnection"}
			for _, is := range r.Issues {
				if (states != nil && !states[is.State]) || (labels != nil && !anyLabel(is.Labels, labels)) || is.UpdatedAt.Before(since) {
					continue
				}
				p.add(orderKey(args, is.CreatedAt, is.UpdatedAt, 0, is.ID), issueObject(r, is))
			}
			return p.connection(args)
		},
	}}
}

func (s *Server) prObject(r *Repo, pr *PullRequest) *object {
	url := fmt.Sprintf("https://github.com/%s/pull/%d", r.FullName(), pr.Number)
	var mergeCommit any
	if pr.MergeCommitSHA != "" {
		mergeCommit = &object{typ: "Commit", fields: map[string]any{"oid": pr.MergeCommitSHA, "abbreviatedOid": pr.MergeCommitSHA[:min(7, len(pr.MergeCommitSHA))]}}
	}
	return &object{typ: "PullRequest", fields: map[string]any{
		"id": pr.NodeID, "number": pr.Number, "title": pr.Title, "body": pr.Body, "url": url,
		"state": pr.State, "isDraft": pr.Draft, "merged": pr.State == Merged, "closed": pr.State != Open,
		"createdAt": ts(pr.CreatedAt), "updatedAt": ts(pr.UpdatedAt), "publishedAt": ts(pr.CreatedAt),
		"mergedAt": tsPtr(pr.MergedAt), "closedAt": tsPtr(pr.ClosedAt),
		"additions": pr.Additions, "deletions": pr.Deletions, "changedFiles": pr.ChangedFiles,
		"headRefName": pr.HeadRef, "baseRefName": pr.BaseRef, "headRefOid": pr.HeadSHA,
		"author": actorObject(pr.Author), "mergeCommit": mergeCommit,
		"commits": func(args map[string]any) (any, error) {
			p := &page{typ: "PullRequestCommitConnection"}
			for i, c := range pr.Commits {
				p.add(seqKey(i), &object{typ: "PullRequestCommit", fields: map[string]any{
					"id": "PURC_" + c.SHA, "url": url + "/commits/" + c.SHA, "commit": commitObject(r, c)}})
			}
			return p.connection(args)
		},
		"reviews": func(args map[string]any) (any, error) {
			states := stringSet(args["states"], false)
			p := &page{typ: "PullRequestReviewConnection"}
			for i, rv := range pr.Reviews {
				if states == nil || states[rv.State] {
					p.add(seqKey(i), reviewObject(r, pr, rv))
				}
			}
			return p.connection(args)
		},
		"comments": func(args map[string]any) (any, error) {
			p := &page{typ: "IssueCommentConnection"}
			for i, c := range pr.Comments {
				p.add(seqKey(i), commentObject("IssueComment", fmt.Sprintf("%s#issuecomment-%d", url, i+1), c))
			}
			return p.connection(args)
		},
		"labels": func(args map[string]any) (any, error) {
			return labelConnection(pr.Labels, args)
		},
		"timelineItems": func(args map[string]any) (any, error) {
			// In time order; ties keep the kinds in the order below.
			types := stringSet(args["itemTypes"], false)
			for t := range types {
				if t != "READY_FOR_REVIEW_EVENT" && t != "PULL_REQUEST_REVIEW" && t != "ISSUE_COMMENT" {
					return nil, &gqlError{Message: "githubfake: timelineItems is implemented for READY_FOR_REVIEW_EVENT, PULL_REQUEST_REVIEW and ISSUE_COMMENT only, not " + t}
				}
			}
			if types == nil {
				return nil, &gqlError{Message: "githubfake: timelineItems needs itemTypes"}
			}
			p := &page{typ: "PullRequestTimelineItemsConnection"}
			key := func(t time.Time, kind, i int) string { return fmt.Sprintf("%020d|%d|%08d", t.UnixNano(), kind, i) }
			if types["READY_FOR_REVIEW_EVENT"] {
				for i, t := range pr.ReadyForReview {
					p.add(key(t, 0, i), &object{typ: "ReadyForReviewEvent", fields: map[string]any{
						"id": fmt.Sprintf("RFRE_%s_%d", pr.NodeID, i), "createdAt": ts(t), "actor": actorObject(pr.Author),
						"url": url, "resourcePath": strings.TrimPrefix(url, "https://github.com")}})
				}
			}
			if types["PULL_REQUEST_REVIEW"] {
				for i, rv := range pr.Reviews {
					p.add(key(rv.CreatedAt, 1, i), reviewObject(r, pr, rv))
				}
			}
			if types["ISSUE_COMMENT"] {
				for i, c := range pr.Comments {
					p.add(key(c.CreatedAt, 2, i), commentObject("IssueComment", fmt.Sprintf("%s#issuecomment-%d", url, i+1), c))
				}
			}
			return p.connection(args)
		},
	}}
}

func commitObject(r *Repo, c *Commit) *object {
	var user any
	if c.AuthorLogin != "" {
		user = actorObject(User(c.AuthorLogin))
	}
	headline, _, _ := strings.Cut(c.Message, "\n")
	return &object{typ: "Commit", fields: map[string]any{
		"oid": c.SHA, "abbreviatedOid": c.SHA[:min(7, len(c.SHA))], "message": c.Message, "messageHeadline": headline,
		"authoredDate": ts(c.AuthoredAt), "committedDate": ts(c.CommittedAt),
		"url": fmt.Sprintf("https://github.com/%s/commit/%s", r.FullName(), c.SHA),
		"author": &object{typ: "GitActor", fields: map[string]any{
			"name": c.AuthorName, "email": c.AuthorEmail, "date": ts(c.AuthoredAt), "user": user}},
	}}
}

func reviewObject(r *Repo, pr *PullRequest, rv *Review) *object {
	url := fmt.Sprintf("https://github.com/%s/pull/%d#pullrequestreview-%s", r.FullName(), pr.Number, rv.NodeID)
	return &object{typ: "PullRequestReview", fields: map[string]any{
		"id": rv.NodeID, "state": rv.State, "body": rv.Body, "url": url, "author": actorObject(rv.Author),
		"createdAt": ts(rv.CreatedAt), "submittedAt": tsPtr(rv.SubmittedAt), "publishedAt": tsPtr(rv.SubmittedAt),
		"comments": func(args map[string]any) (any, error) {
			p := &page{typ: "PullRequestReviewCommentConnection"}
			for i, c := range rv.Comments {
				p.add(seqKey(i), commentObject("PullRequestReviewComment", fmt.Sprintf("%s#discussion_r%s", url, c.NodeID), c))
			}
			return p.connection(args)
		},
	}}
}

func commentObject(typ, url string, c *Comment) *object {
	return &object{typ: typ, fields: map[string]any{
		"id": c.NodeID, "body": c.Body, "url": url, "author": actorObject(c.Author),
		"createdAt": ts(c.CreatedAt), "updatedAt": ts(c.UpdatedAt), "publishedAt": ts(c.CreatedAt),
	}}
}

func issueObject(r *Repo, is *Issue) *object {
	return &object{typ: "Issue", fields: map[string]any{
		"id": is.NodeID(), "databaseId": is.ID, "fullDatabaseId": strconv.FormatInt(is.ID, 10),
		"number": is.Number, "title": is.Title, "state": is.State, "closed": is.State == Closed,
		"url":       fmt.Sprintf("https://github.com/%s/issues/%d", r.FullName(), is.Number),
		"createdAt": ts(is.CreatedAt), "updatedAt": ts(is.UpdatedAt), "closedAt": tsPtr(is.ClosedAt),
		"labels": func(args map[string]any) (any, error) { return labelConnection(is.Labels, args) },
	}}
}

func labelConnection(labels []string, args map[string]any) (any, error) {
	p := &page{typ: "LabelConnection"}
	for i, l := range labels {
		p.add(seqKey(i), &object{typ: "Label", fields: map[string]any{"name": l}})
	}
	return p.connection(args)
}

// actorObject is a User or Bot; GraphQL gives a bot's bare login.
func actorObject(a *Actor) any {
	if a == nil {
		return nil
	}
	typ := "User"
	if a.Bot {
		typ = "Bot"
	}
	return &object{typ: typ, fields: map[string]any{
		"login": a.Login, "url": "https://github.com/" + a.Login,
		"avatarUrl":    "https://avatars.githubusercontent.com/" + a.Login,
		"resourcePath": "/" + a.Login,
	}}
}

// orderKey is the sort key of an issue or pull request under an IssueOrder
// argument (default: creation, oldest first); ties go by id.
func orderKey(args map[string]any, created, updated time.Time, comments int, id int64) string {
	order, _ := args["orderBy"].(map[string]any)
	v := created.UnixNano()
	switch order["field"] {
	case "UPDATED_AT":
		v = updated.UnixNano()
	case "COMMENTS":
		v = int64(comments)
	}
	if order["direction"] == "DESC" {
		return fmt.Sprintf("%020d|%020d", math.MaxInt64-v, math.MaxInt64-id)
	}
	return fmt.Sprintf("%020d|%020d", v, id)
}

func seqKey(i int) string { return fmt.Sprintf("%08d", i) }

// stringSet turns a list argument into a set (nil when absent), lower-cased
// when fold is set.
func stringSet(v any, fold bool) map[string]bool {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, x := range list {
		if s, ok := x.(string); ok {
			if fold {
				s = strings.ToLower(s)
			}
			set[s] = true
		}
	}
	return set
}

// anyLabel reports whether one of labels is in set (lower-cased), as
// GraphQL's labels filter matches any of the names given.
func anyLabel(labels []string, set map[string]bool) bool {
	return slices.ContainsFunc(labels, func(l string) bool { return set[strings.ToLower(l)] })
}

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}
