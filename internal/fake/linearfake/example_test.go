package linearfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/veelocity/veelocity/internal/fake/linearfake"
)

// A test starts a fake, fills it, and points LINEAR_API_URL and
// LINEAR_API_KEY at it.
func Example() {
	f := linearfake.New()
	defer f.Close()
	f.AddTeam("ENG", "Engineering")
	f.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Fix login", State: "Done", Labels: []string{"incident"},
		Attachments: []linearfake.Attachment{{URL: "https://github.com/acme/web/pull/7"}},
		CreatedAt:   time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)})

	body, _ := json.Marshal(map[string]any{"query": `{ issues(first: 10) { nodes { identifier state { type } } } }`})
	req, _ := http.NewRequest(http.MethodPost, f.URL(), bytes.NewReader(body))
	req.Header.Set("Authorization", f.Key())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	fmt.Print(resp.Status, " ", out.String())
	fmt.Println(f.RequestCount(), "request,", len(f.InvalidDocuments()), "invalid")
	// Output:
	// 200 OK {"data":{"issues":{"nodes":[{"identifier":"ENG-1","state":{"type":"completed"}}]}}}
	// 1 request, 0 invalid
}
