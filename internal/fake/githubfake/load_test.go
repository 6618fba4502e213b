package githubfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// outcomes sends the same 60 requests (some repeated, as retries are) to a
// server under load and describes each answer: status, and whether the
// body was whole JSON.
func outcomes(t *testing.T, l Load) (string, Injected) {
	s, _ := newTestServer(t)
	s.SetLoad(l)
	var b strings.Builder
	for i := range 60 {
		resp, body := get(t, s, fmt.Sprintf("/repos/acme/web/actions/runs?per_page=%d", 1+i%20), nil)
		fmt.Fprintf(&b, "%d:%v ", resp.StatusCode, json.Valid(body))
	}
	return b.String(), s.Injected()
}

func TestLoadIsDeterministicGivenASeed(t *testing.T) {
	l := Load{Truncate: 0.2, ServerErrors: 0.2, Seed: 5}
	a, ia := outcomes(t, l)
	b, ib := outcomes(t, l)
	if a != b || ia != ib {
		t.Errorf("the same seed gave different failures:\n%s %+v\n%s %+v", a, ia, b, ib)
	}
	if ia.Truncated == 0 || ia.ServerErrors == 0 {
		t.Errorf("injected %+v over 60 requests at 20%% each; want some of both", ia)
	}
	if !strings.Contains(a, "200:false") || !strings.Contains(a, "502:true") || !strings.Contains(a, "200:true") {
		t.Errorf("want truncated 200s, 502s and whole 200s: %s", a)
	}
	l.Seed = 6
	if c, _ := outcomes(t, l); c == a {
		t.Error("another seed gave the same failures")
	}
}

// A query over MaxNodes gets GitHub's 502 timeout answer and costs no
// points; a smaller one runs.
func TestLoadTimesOutHeavyQueries(t *testing.T) {
	s, _ := newTestServer(t)
	s.SetLoad(Load{MaxNodes: 20_000})
	const q = `query($n: Int!) { repository(owner: "acme", name: "web") {
	  pullRequests(first: $n) { nodes { number commits(first: 100) { nodes { commit { oid } } } reviews(first: 100) { nodes { id } } } }
	} }`
	post := func(n int) (int, string) {
		body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"n": n}})
		req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), bytes.NewReader(body))
		req.Header.Set("Authorization", "bearer "+s.Token())
		req.Header.Set("User-Agent", "test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	before, _ := s.RateLimit("graphql")
	// 100 PRs × (1 + 100 commits + 100 reviews) = 20,100 nodes.
	if status, body := post(100); status != http.StatusBadGateway || !strings.Contains(body, "We couldn't respond to your request in time") {
		t.Errorf("100 PRs: %d %s", status, body)
	}
	if after, _ := s.RateLimit("graphql"); after != before {
		t.Errorf("the timed-out query cost %d points", before-after)
	}
	if status, body := post(99); status != http.StatusOK {
		t.Errorf("99 PRs (19,899 nodes): %d %s", status, body)
	}
	if got := s.Injected(); got.TooManyNodes != 1 {
		t.Errorf("injected %+v, want one query over the limit", got)
	}
}
