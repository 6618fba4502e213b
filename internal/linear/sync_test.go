package linear

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veelocity/veelocity/internal/fake/linearfake"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// generate fills the fake with perTeam issues in each team, all updated
// before the test clock's start.
func (e *syncEnv) generate(t *testing.T, perTeam int, teams ...string) {
	t.Helper()
	if _, err := e.fake.Generate(linearfake.GenerateOptions{Teams: teams, IssuesPerTeam: perTeam, Seed: 42,
		To: at(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
}

// reference syncs the fake's current data, uninterrupted, into a fresh
// database and returns its dump.
func (e *syncEnv) reference(t *testing.T) string {
	t.Helper()
	ref := &syncEnv{fake: e.fake, clock: e.clock, cfg: e.cfg, st: storetest.New(t)}
	log, _ := debugLogger(t)
	ref.conn = ref.newConnector(e.conn.pageSize, log)
	ref.mustSync(t, syncer.Full)
	return dump(t, ref.st, false)
}

func TestSyncPaginates(t *testing.T) {
	e := newSyncEnv(t, 3)
	e.generate(t, 10, "ENG")
	rep := e.mustSync(t, syncer.Recent)
	if n := e.count(t, `SELECT COUNT(*) FROM linear_issues`); n != 10 {
		t.Errorf("%d issues stored, want 10", n)
	}
	if got := e.fake.RequestCount("Issues"); got != 4 {
		t.Errorf("%d issue pages fetched, want 4 (3+3+3+1)", got)
	}
	if rep.issues() != 10 || rep.requests != e.fake.RequestCount() || rep.requests != 5 {
		t.Errorf("reported %d issues and %d requests; the fake saw %d requests; want 10 and 5",
			rep.issues(), rep.requests, e.fake.RequestCount())
	}
}

// TestFirstSyncReachesBackSyncSince: the first sync takes the issues
// updated within SYNC_SINCE, and leaves older ones out.
func TestFirstSyncReachesBackSyncSince(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.cfg.SyncSince = 30 * 24 * time.Hour
	e.fake.AddTeam("ENG", "")
	for _, days := range []int{400, 45, 29, 1} {
		when := at(-time.Duration(days) * 24 * time.Hour)
		e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: fmt.Sprintf("%d days old", days), CreatedAt: when, UpdatedAt: when})
	}
	e.mustSync(t, syncer.Recent)
	titles := storetest.Strings(t, e.st, `SELECT title FROM linear_issues ORDER BY created_at`)
	if want := []string{"29 days old", "1 days old"}; !slices.Equal(titles, want) {
		t.Errorf("SYNC_SINCE=30d synced %q, want %q", titles, want)
	}
}

func TestSyncFetchesLabelsAndAttachmentsBeyondAPage(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.fake.AddTeam("ENG", "")
	var labels []string
	var atts []linearfake.Attachment
	for i := range 12 {
		labels = append(labels, "label-"+string(rune('a'+i)))
	}
	for i := range 11 {
		atts = append(atts, linearfake.Attachment{URL: "https://github.com/acme/web/pull/" + string(rune('1'+i))})
	}
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Big", Labels: labels, Attachments: atts, CreatedAt: at(-time.Hour)})
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Small", Labels: []string{"bug"}, CreatedAt: at(-time.Hour)})
	e.mustSync(t, syncer.Recent)

	var stored string
	if err := e.st.DB().QueryRow(`SELECT labels FROM linear_issues WHERE identifier = 'ENG-1'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stored, `"label-a"`) || !strings.Contains(stored, `"label-l"`) || strings.Count(stored, ",") != 11 {
		t.Errorf("labels %s, want all 12", stored)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM linear_attachments`); n != 11 {
		t.Errorf("%d attachments stored, want 11", n)
	}
	if e.fake.RequestCount("IssueLabels") != 1 || e.fake.RequestCount("IssueAttachments") != 1 {
		t.Errorf("%d label and %d attachment follow-ups, want 1 each (for ENG-1 only)",
			e.fake.RequestCount("IssueLabels"), e.fake.RequestCount("IssueAttachments"))
	}
}

func TestSyncKeepsToLinearTeams(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.generate(t, 4, "ENG", "OPS", "WEB")
	e.cfg.LinearTeams = []string{"OPS", "NOPE"}
	rep, err := e.sync(t, syncer.Recent)
	want := "LINEAR_TEAMS names NOPE, but the API key sees no team with that key (it sees ENG, OPS, WEB)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if got := dump(t, e.st, false); !strings.Contains(got, " OPS OPS\n") || strings.Contains(got, "ENG") || strings.Contains(got, "WEB") {
		t.Errorf("stored other teams than OPS:\n%s", got)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM linear_issues`); n != 4 {
		t.Errorf("%d issues stored, want OPS's 4", n)
	}
	if st := e.state(t, "NOPE"); st.LastError != want {
		t.Errorf("NOPE's state says %q", st.LastError)
	}
	if st := e.state(t, "OPS"); st.LastSuccessAt == nil || st.LastError != "" {
		t.Errorf("OPS's state %+v", st)
	}
	if !slices.Equal(rep.scopes, []string{"NOPE", "OPS"}) {
		t.Errorf("scopes %v", rep.scopes)
	}
}

func TestSyncIsIncremental(t *testing.T) {
	e := newSyncEnv(t, 10)
	e.generate(t, 30, "ENG", "OPS")
	first := e.mustSync(t, syncer.Recent)
	firstReqs := e.fake.RequestCount()
	if first.issues() != 60 || e.fake.RequestCount("Issues") != 6 {
		t.Fatalf("first sync: %d issues in %d pages, want 60 in 6", first.issues(), e.fake.RequestCount("Issues"))
	}

	e.clock.Sleep(context.Background(), time.Minute)
	if _, err := e.fake.UpdateIssue("ENG-5", time.Time{}, func(in *linearfake.IssueInput) {
		in.Title = "Renamed"
		in.Labels = append(in.Labels, "incident")
	}); err != nil {
		t.Fatal(err)
	}
	e.fake.ResetRequests()
	second := e.mustSync(t, syncer.Recent)
	t.Logf("first sync: %d issues, %d requests; after one change: %d issue, %d requests (%d issue pages)",
		first.issues(), firstReqs, second.issues(), e.fake.RequestCount(), e.fake.RequestCount("Issues"))
	if second.issues() != 1 || second.records["ENG"]["issues"] != 1 || e.fake.RequestCount("Issues") != 2 {
		t.Errorf("second sync stored %v in %d issue pages; want ENG-5 alone, one page per team", second.records,
			e.fake.RequestCount("Issues"))
	}
	var title, labels string
	if err := e.st.DB().QueryRow(`SELECT title, labels FROM linear_issues WHERE identifier = 'ENG-5'`).Scan(&title, &labels); err != nil {
		t.Fatal(err)
	}
	if title != "Renamed" || !strings.Contains(labels, "incident") {
		t.Errorf("ENG-5 is %q %s", title, labels)
	}

	third := e.mustSync(t, syncer.Recent)
	if third.issues() != 0 {
		t.Errorf("a sync with nothing new stored %d issues", third.issues())
	}

	e.fake.ResetRequests()
	full := e.mustSync(t, syncer.Full)
	if full.issues() != 60 || e.fake.RequestCount("Issues") != 6 {
		t.Errorf("a full sync stored %d issues in %d pages, want 60 in 6", full.issues(), e.fake.RequestCount("Issues"))
	}
}

func TestSyncIsIdempotent(t *testing.T) {
	e := newSyncEnv(t, 7)
	e.generate(t, 25, "ENG", "OPS")
	e.mustSync(t, syncer.Recent)
	before := dump(t, e.st, true)
	e.mustSync(t, syncer.Recent)
	if after := dump(t, e.st, true); after != before {
		t.Errorf("a second sync changed the tables:\n%s\nvs\n%s", before, after)
	}
	e.mustSync(t, syncer.Full)
	if after := dump(t, e.st, true); after != before {
		t.Errorf("a full sync changed the tables:\n%s\nvs\n%s", before, after)
	}
	if want := e.reference(t); dump(t, e.st, false) != want {
		t.Errorf("the tables differ from a single sync's")
	}
}

func TestSyncRemovesAttachmentsRemovedInLinear(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.fake.AddTeam("ENG", "")
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "x", CreatedAt: at(-time.Hour), Attachments: []linearfake.Attachment{
		{URL: "https://github.com/acme/web/pull/1"}, {URL: "https://github.com/acme/web/pull/2"}}})
	e.mustSync(t, syncer.Recent)
	e.clock.Sleep(context.Background(), time.Minute)
	e.fake.UpdateIssue("ENG-1", time.Time{}, func(in *linearfake.IssueInput) { in.Attachments = in.Attachments[1:] })
	e.mustSync(t, syncer.Recent)
	var urls []string
	rows, _ := e.st.DB().Query(`SELECT url FROM linear_attachments`)
	for rows.Next() {
		var u string
		rows.Scan(&u)
		urls = append(urls, u)
	}
	rows.Close()
	if !slices.Equal(urls, []string{"https://github.com/acme/web/pull/2"}) {
		t.Errorf("attachments %v, want pull/2 only", urls)
	}
}

func TestSyncResumesAfterTheServerGoesDown(t *testing.T) {
	e := newSyncEnv(t, 10)
	e.generate(t, 30, "ENG", "OPS")
	// The teams list and two pages of ENG, then nothing.
	e.fake.FailAfter(3)
	rep, err := e.sync(t, syncer.Recent)
	if err == nil || !strings.Contains(err.Error(), "team ENG: Linear API unavailable: HTTP 500") {
		t.Fatalf("got %v", err)
	}
	if got := rep.records["ENG"]["issues"]; got != 20 {
		t.Fatalf("stored %d ENG issues before the failure, want 20", got)
	}
	if st := e.state(t, "ENG"); !strings.Contains(st.LastError, "HTTP 500") || !strings.Contains(st.Cursor, "up_to") {
		t.Errorf("ENG's state after the failure: %+v", st)
	}

	e.fake.FailAfter(-1)
	e.fake.ResetRequests()
	again := e.mustSync(t, syncer.Recent)
	// ENG resumes below the last stored issue (which it fetches again);
	// OPS, never synced, runs whole.
	if got := again.records["ENG"]["issues"]; got != 11 {
		t.Errorf("the resumed ENG pass stored %d issues, want the 10 left and the one at the boundary", got)
	}
	if got, want := dump(t, e.st, false), e.reference(t); got != want {
		t.Errorf("after resuming:\n%s\nan uninterrupted sync:\n%s", got, want)
	}
	if st := e.state(t, "ENG"); st.LastError != "" || strings.Contains(st.Cursor, "up_to") {
		t.Errorf("ENG's state after resuming: %+v", st)
	}
}

func TestSyncResumesAfterCancelLosingNothing(t *testing.T) {
	e := newSyncEnv(t, 10)
	e.generate(t, 30, "ENG", "OPS")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep := newReporter()
	rep.onRecords = func(scope, kind string, total int) {
		if scope == "ENG" && kind == "issues" && total == 20 {
			cancel()
		}
	}
	err := e.conn.Sync(ctx, syncer.Recent, rep)
	e.errs = append(e.errs, err.Error())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if slices.Contains(rep.scopes, "OPS") {
		t.Errorf("the canceled sync went on to OPS")
	}
	if st := e.state(t, "ENG"); !strings.HasPrefix(st.LastError, "sync interrupted") {
		t.Errorf("ENG's state says %q", st.LastError)
	}

	// Linear changes while the sync is down: a stored issue, one not yet
	// stored, and a new one.
	e.clock.Sleep(context.Background(), time.Minute)
	for _, id := range []string{"ENG-3", "ENG-29"} {
		if _, err := e.fake.UpdateIssue(id, time.Time{}, func(in *linearfake.IssueInput) { in.Title += " (edited)" }); err != nil {
			t.Fatal(err)
		}
	}
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "New"})

	e.mustSync(t, syncer.Recent) // resumes the pass
	e.mustSync(t, syncer.Recent) // the changes since
	if got, want := dump(t, e.st, false), e.reference(t); got != want {
		t.Errorf("after resuming:\n%s\nan uninterrupted sync:\n%s", got, want)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM linear_issues`); n != 61 {
		t.Errorf("%d issues stored, want 61", n)
	}
}

func TestAFailingTeamDoesNotStopTheOthers(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.generate(t, 5, "AAA", "BBB")
	rep := newReporter()
	rep.onScope = func(scope string) {
		if scope == "AAA" {
			e.fake.FailNext(100, http.StatusInternalServerError)
		} else {
			e.fake.FailNext(0, 0)
		}
	}
	err := e.conn.Sync(context.Background(), syncer.Recent, rep)
	e.errs = append(e.errs, fmt.Sprint(err))
	if err == nil || err.Error() != "team AAA: Linear API unavailable: HTTP 500 Internal Server Error after 5 attempts" {
		t.Fatalf("got %v", err)
	}
	if got := rep.records["BBB"]["issues"]; got != 5 {
		t.Errorf("BBB stored %d issues, want 5", got)
	}
	if st := e.state(t, "AAA"); !strings.Contains(st.LastError, "HTTP 500") || st.LastSuccessAt != nil {
		t.Errorf("AAA's state %+v", st)
	}
	if st := e.state(t, "BBB"); st.LastSuccessAt == nil {
		t.Errorf("BBB's state %+v", st)
	}
	e.mustSync(t, syncer.Recent)
	if st := e.state(t, "AAA"); st.LastError != "" || st.LastSuccessAt == nil {
		t.Errorf("AAA's state after a good sync %+v", st)
	}
}

func TestARejectedKeyStopsTheSync(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.generate(t, 5, "ENG")
	key := e.fake.Key()
	e.fake.SetKey("lin_api_anotherKeyAltogether0000")
	_, err := e.sync(t, syncer.Recent)
	if err == nil || err.Error() != "listing Linear teams: Linear rejected the API key" {
		t.Fatalf("got %v", err)
	}
	if err := e.conn.TestConnection(context.Background()); err == nil || err.Error() != "Linear rejected the API key" {
		t.Errorf("TestConnection: %v", err)
	}
	if n := e.fake.RequestCount(); n != 2 {
		t.Errorf("%d requests, want 2: one each, no retries", n)
	}
	assertNoKey(t, key, err.Error())
	e.fake.SetKey(key)
	if err := e.conn.TestConnection(context.Background()); err != nil {
		t.Errorf("TestConnection with the right key: %v", err)
	}
}

func TestConfigured(t *testing.T) {
	e := newSyncEnv(t, 0)
	if ok, why := e.conn.Configured(); !ok || why != "" || e.conn.Name() != "linear" {
		t.Errorf("configured: %v %q", ok, why)
	}
	e.cfg.LinearAPIKey = ""
	if ok, why := e.conn.Configured(); ok || why != "LINEAR_API_KEY is not set" {
		t.Errorf("without a key: %v %q", ok, why)
	}
}

func TestSyncKeepsArchivedIssuesAndSkipsDeletedOnes(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.fake.AddTeam("ENG", "")
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Old and done", State: "Done",
		CreatedAt: at(-90 * 24 * time.Hour), ArchivedAt: ptr(at(-time.Hour))})
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Deleted", CreatedAt: at(-time.Hour), Trashed: true})
	e.fake.MustAddIssue(linearfake.IssueInput{Team: "ENG", Title: "Live", CreatedAt: at(-time.Hour)})
	rep := e.mustSync(t, syncer.Recent)
	var titles []string
	rows, err := e.st.DB().Query(`SELECT title FROM linear_issues ORDER BY number`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		titles = append(titles, s)
	}
	rows.Close()
	if !slices.Equal(titles, []string{"Old and done", "Live"}) || rep.issues() != 2 {
		t.Errorf("stored %v (reported %d), want the archived and the live issue", titles, rep.issues())
	}
}

// TestTargetedSyncKeepsToRequestedTeams runs a sync restricted to one team,
// as a webhook delivery asks for, through the engine: only that team syncs.
func TestTargetedSyncKeepsToRequestedTeams(t *testing.T) {
	e := newSyncEnv(t, 0)
	e.generate(t, 3, "ENG", "OPS", "WEB")
	eng := syncer.New(syncer.Options{Store: e.st, Connectors: []syncer.Connector{e.conn}, Now: e.clock.Now})
	t.Cleanup(eng.Close)
	p, err := eng.Run(context.Background(), syncer.Request{Mode: syncer.Recent, Trigger: syncer.TriggerWebhook,
		Sources: []string{"linear"}, Scopes: map[string][]string{"linear": {"ops"}}})
	if err != nil || !p.OK() {
		t.Fatalf("targeted sync: %+v %v", p, err)
	}
	if got := dump(t, e.st, false); !strings.Contains(got, " OPS OPS\n") || strings.Contains(got, "ENG") || strings.Contains(got, "WEB") {
		t.Errorf("a sync of OPS stored other teams:\n%s", got)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM linear_issues`); n != 3 {
		t.Errorf("%d issues stored, want OPS's 3", n)
	}
}
