package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Page is what a REST GET returned besides its body.
type Page struct {
	// NotModified is true when GitHub answered 304 to If-None-Match: the
	// stored data is current and the body was not decoded.
	NotModified bool
	// ETag is the response's validator, to send back next time.
	ETag string
	// Next is the rel="next" URL of a paginated list, "" on the last page.
	Next string
}

// Get fetches a REST resource into v. target is a path under the REST base
// URL ("/repos/o/r/actions/runs?per_page=100") or an absolute URL from a
// Link header, which is followed verbatim. etag, if not empty, is sent as
// If-None-Match.
func (c *Client) Get(ctx context.Context, target, etag string, v any) (*Page, error) {
	u, err := c.resolve(target)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u, etag: etag, bucket: bucketCore}, nil)
	if err != nil {
		return nil, err
	}
	p := &Page{ETag: resp.header.Get("ETag"), Next: nextLink(resp.header.Get("Link"))}
	if resp.status == http.StatusNotModified {
		p.NotModified = true
		if p.ETag == "" {
			p.ETag = etag
		}
		return p, nil
	}
	if v != nil {
		if err := json.Unmarshal(resp.body, v); err != nil {
			return nil, fmt.Errorf("github: decoding %s: %w", c.logPath(u), err)
		}
	}
	return p, nil
}

// resolve turns target into an absolute URL on the REST host. An absolute
// URL must be on that host, so the token is never sent elsewhere.
func (c *Client) resolve(target string) (string, error) {
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		return c.opts.RESTURL + target, nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != c.rest.Scheme || u.Host != c.rest.Host {
		return "", fmt.Errorf("github: refusing to follow a link off %s", c.rest.Host)
	}
	return target, nil
}

// nextLink returns the rel="next" URL of a Link header, or "".
//
//	<https://api.github.com/repositories/1/issues?page=2>; rel="next", <…>; rel="last"
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(part, ";")
		if !ok {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if strings.TrimSpace(p) == `rel="next"` {
				return strings.Trim(strings.TrimSpace(target), "<>")
			}
		}
	}
	return ""
}

// InstallationRepo is a repository an App installation can read, as GET
// /installation/repositories lists it.
type InstallationRepo struct {
	FullName string `json:"full_name"`
	Fork     bool   `json:"fork"`
	Archived bool   `json:"archived"`
	Owner    struct {
		Login string `json:"login"`
	} `json:"owner"`
}

// InstallationRepositories lists every repository the App installation on
// owner's account can read (GET /installation/repositories, 100 a page),
// for an `owner/*` entry of GITHUB_REPOS under an App; repositories of
// other accounts are left out. It needs a client made with App credentials.
func (c *Client) InstallationRepositories(ctx context.Context, owner string) ([]InstallationRepo, error) {
	if _, ok := c.auth.(*appAuth); !ok {
		return nil, errors.New("github: listing an installation's repositories needs GitHub App credentials (GITHUB_APP_ID)")
	}
	cc := c.ForOwner(owner)
	var all []InstallationRepo
	for target := "/installation/repositories?per_page=100"; target != ""; {
		var page struct {
			TotalCount   int                `json:"total_count"`
			Repositories []InstallationRepo `json:"repositories"`
		}
		p, err := cc.Get(ctx, target, "", &page)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Repositories {
			// An installation is on one account; GITHUB_APP_INSTALLATION_ID
			// may name another owner's.
			if strings.EqualFold(r.Owner.Login, owner) {
				all = append(all, r)
			}
		}
		target = p.Next
	}
	return all, nil
}
