package web

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/veelocity/veelocity/internal/derive"
	"github.com/veelocity/veelocity/internal/fake/githubfake"
	"github.com/veelocity/veelocity/internal/github"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// screenshotPath is where the browser test saves the dashboard's picture:
// the path in VEELOCITY_SCREENSHOT (make screenshot sets it to
// docs/screenshot.png, the README's picture), else a temporary file, so a
// test run never changes the tree.
func screenshotPath(t *testing.T) string {
	if p := os.Getenv("VEELOCITY_SCREENSHOT"); p != "" {
		return p
	}
	return filepath.Join(t.TempDir(), "screenshot.png")
}

// chromium finds the browser. A missing browser fails the test: it is part
// of the test suite (.ci/run installs Debian's chromium), not optional.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found on PATH: the dashboard's browser test needs it; install it with " +
		"`apt-get update && apt-get install -y chromium` (.ci/run does this)")
	return ""
}

// browser starts a headless Chromium with a fresh profile and collects
// everything the page writes to the console.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning {
				mu.Lock()
				problems = append(problems, m.String()+" ("+m.URL+")")
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), problems...)
	}
}

// The dashboard works in a real browser: filters change the URL and the
// numbers, a chart's data table opens, the theme toggle sticks, "Sync now"
// syncs from a fake GitHub and shows it without a reload, and nothing is
// written to the console.
func TestDashboardInABrowser(t *testing.T) {
	ctx, consoleProblems := browser(t)
	st := storetest.New(t)
	cfg := testConfig(t)
	loadDemo(t, st, cfg, demoPRs)

	gh := githubfake.New(githubfake.Options{})
	t.Cleanup(gh.Close)
	repo := gh.AddRepo(&githubfake.Repo{Owner: "octo", Name: "synced"})
	merged := testNow.Add(-48 * time.Hour)
	gh.AddPullRequest(repo, &githubfake.PullRequest{Title: "Synced from the fake GitHub", State: githubfake.Merged,
		Author: githubfake.User("mona"), HeadRef: "feature", CreatedAt: merged.Add(-5 * time.Hour), UpdatedAt: merged,
		MergedAt: &merged, MergeCommitSHA: "abc123"})
	gh.Configure(cfg)
	deps := github.Deps{Config: cfg, Store: st, Log: quietLog(), Now: fixedNow}
	deps.Client = github.NewFromConfig(cfg, quietLog())
	eng := syncer.New(syncer.Options{Store: st, Log: quietLog(), Secrets: []string{gh.Token()},
		Connectors: []syncer.Connector{github.NewConnector(deps), github.NewActionsConnector(deps)},
		AfterSync: func(ctx context.Context) error {
			_, err := derive.New(st, derive.OptionsFrom(cfg), quietLog()).Run(ctx, derive.Incremental)
			return err
		}})
	t.Cleanup(eng.Close)
	s := newSite(t, st, cfg, eng)

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserDo(t, ctx, what, actions...)
	}
	str := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		return browserRead(t, ctx, what, a)
	}
	const deployCard = `a.kpi[data-kpi="Deployment frequency"] .kpi-value`
	const leadCard = `a.kpi[data-kpi="Lead time for changes"] .kpi-value`
	// waitFor evaluates a JavaScript expression until it is true; a
	// navigation in between destroys the page's context, so errors are
	// retried too.
	waitFor := func(what, expr string, timeout time.Duration) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+expr+`)`))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: %v", what, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitURL := func(part string) string {
		t.Helper()
		waitFor("the URL to contain "+part, `location.href.includes(`+jsString(part)+`)`, 20*time.Second)
		return str("read the URL", chromedp.Location())
	}

	// The dashboard, then the 90-day preset.
	do("open the dashboard", chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS(deployCard)))
	first := str("read deployment frequency", chromedp.Text(chromedp.CSS(deployCard)))
	do("choose the last 90 days", chromedp.Click(chromedp.CSS(`.presets a[href*="start_date=2025-12-21"]`)))
	u := waitURL("start_date=2025-12-21")
	do("wait for the 90-day page", chromedp.WaitVisible(chromedp.CSS(`.presets a.current[href*="start_date=2025-12-21"]`)))
	if !strings.Contains(u, "end_date=2026-03-20") {
		t.Errorf("the 90-day URL %s lacks the end date", u)
	}
	ninety := str("read deployment frequency", chromedp.Text(chromedp.CSS(deployCard)))
	ninetyLead := str("read lead time", chromedp.Text(chromedp.CSS(leadCard)))

	// A custom range typed into the date inputs.
	do("type a custom range",
		chromedp.SetValue(chromedp.CSS(`input[name=start_date]`), "2025-11-01"),
		chromedp.SetValue(chromedp.CSS(`input[name=end_date]`), "2025-12-31"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
	waitURL("start_date=2025-11-01")
	do("wait for the custom range", chromedp.WaitVisible(chromedp.CSS(`input[name=start_date][value="2025-11-01"]`)))
	custom := str("read deployment frequency", chromedp.Text(chromedp.CSS(deployCard)))

	// One repository: picking it in the list applies it (the list submits
	// the form on change, and SetValue fires the change event). Clicking
	// the submit button as well sent a second navigation, which could
	// replace the page after it was read and fail the next click.
	do("pick acme/web", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(deployCard)),
		chromedp.SetValue(chromedp.CSS(`select[name=repo]`), "acme/web"))
	waitURL("repo=acme%2Fweb")
	do("wait for acme/web", chromedp.WaitReady(chromedp.CSS(`select[name=repo] option[selected]`)))
	web := str("read deployment frequency", chromedp.Text(chromedp.CSS(deployCard)))
	webLead := str("read lead time", chromedp.Text(chromedp.CSS(leadCard)))
	t.Logf("deployment frequency: 30 days %s, 90 days %s, Nov–Dec %s, acme/web 90 days %s", first, ninety, custom, web)
	if first == ninety && ninety == custom {
		t.Errorf("changing the range did not change the deployment frequency (%s)", first)
	}
	if web == ninety && webLead == ninetyLead {
		t.Errorf("picking acme/web did not change the numbers (%s, %s)", web, webLead)
	}

	// A chart's data table, on the DORA page the navigation links to with
	// the same filters.
	do("go to DORA", chromedp.Click(chromedp.CSS(`nav[aria-label=Main] a[href^="/dora"]`)))
	u = waitURL("/dora")
	if !strings.Contains(u, "repo=acme%2Fweb") || !strings.Contains(u, "start_date=2025-12-21") {
		t.Errorf("the navigation dropped the filters: %s", u)
	}
	do("open the lead time table", chromedp.WaitVisible(chromedp.CSS(`#lead-time svg.chart`)),
		chromedp.Click(chromedp.CSS(`#lead-time details.data summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#table-lead-time tbody tr`)))
	caption := str("read the caption", chromedp.Text(chromedp.CSS(`#table-lead-time caption`)))

	// Hovering a bar shows its exact value.
	const tallBar = `[...document.querySelectorAll("#deployment-frequency rect.mark")].find(r => r.getBBox().height > 5)`
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const bar = `+tallBar+`;
		bar.scrollIntoView({block: "center"});
		const r = bar.getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	if err != nil || len(box) != 2 {
		t.Fatalf("locating a bar: %v", err)
	}
	do("hover a bar", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0], box[1]))
	tip := str("read the tooltip", chromedp.Evaluate[string](`document.getElementById("tooltip").hidden ? "" : document.getElementById("tooltip").textContent`))
	want := str("read the bar's value", chromedp.Evaluate[string](tallBar+`.getAttribute("data-tip")`))
	if tip == "" || tip != want {
		t.Errorf("hovering a bar shows %q, want %q", tip, want)
	}
	if !strings.Contains(caption, "2025-12-21 to 2026-03-20") {
		t.Errorf("lead time table caption %q", caption)
	}

	// From the keyboard: Tab reaches the first chart's first mark and
	// shows its tooltip, the arrow keys move to the next mark and back,
	// Escape hides the tooltip, and the next Tab leaves the chart.
	do("reload the DORA page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#deployment-frequency svg.chart`)))
	const active = `(document.activeElement && document.activeElement.getAttribute("data-tip") || "")`
	const tooltip = `(document.getElementById("tooltip").hidden ? "" : document.getElementById("tooltip").textContent)`
	focused := ""
	for range 80 {
		do("press Tab", chromedp.KeyEvent(kb.Tab))
		if focused = str("read the focus", chromedp.Evaluate[string](active)); focused != "" {
			break
		}
	}
	firstTip := str("read the first mark", chromedp.Evaluate[string](`document.querySelector("svg.chart [data-tip]").getAttribute("data-tip")`))
	if focused == "" || focused != firstTip {
		t.Fatalf("Tab reached the mark %q, want the first chart's first mark %q", focused, firstTip)
	}
	if got := str("read the tooltip", chromedp.Evaluate[string](tooltip)); got != focused {
		t.Errorf("a focused mark shows the tooltip %q, want %q", got, focused)
	}
	do("press the right arrow", chromedp.KeyEvent(kb.ArrowRight))
	second := str("read the focus", chromedp.Evaluate[string](active))
	wantSecond := str("read the second mark", chromedp.Evaluate[string](`document.querySelectorAll("svg.chart")[0].querySelectorAll("[data-tip]")[1].getAttribute("data-tip")`))
	if second != wantSecond || str("read the tooltip", chromedp.Evaluate[string](tooltip)) != second {
		t.Errorf("the right arrow focused %q (tooltip %q), want %q", second, str("read the tooltip", chromedp.Evaluate[string](tooltip)), wantSecond)
	}
	if n := str("count tab stops", chromedp.Evaluate[string](`String(document.querySelectorAll("svg.chart")[0].querySelectorAll("[tabindex='0']").length)`)); n != "1" {
		t.Errorf("the chart has %s tab stops after an arrow key, want 1", n)
	}
	do("press the left arrow", chromedp.KeyEvent(kb.ArrowLeft))
	if back := str("read the focus", chromedp.Evaluate[string](active)); back != firstTip {
		t.Errorf("the left arrow went to %q, want %q", back, firstTip)
	}
	do("press Escape", chromedp.KeyEvent(kb.Escape))
	if got := str("read the tooltip", chromedp.Evaluate[string](tooltip)); got != "" {
		t.Errorf("Escape left the tooltip %q", got)
	}
	do("press Tab", chromedp.KeyEvent(kb.Tab))
	if inChart := str("read the focus", chromedp.Evaluate[string](`String(!!document.activeElement.closest("svg.chart"))`)); inChart != "false" {
		t.Error("Tab stayed inside the chart: its marks should be one tab stop")
	}

	// The theme toggle, remembered across pages.
	do("switch the theme", chromedp.Click(chromedp.ID("theme-toggle")))
	theme := str("read the theme", chromedp.Evaluate[string](`document.documentElement.getAttribute("data-theme")`))
	do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#lead-time svg.chart`)))
	if again := str("read the theme", chromedp.Evaluate[string](`document.documentElement.getAttribute("data-theme") || ""`)); again != theme || theme == "" {
		t.Errorf("theme %q after the toggle, %q after a reload", theme, again)
	}
	do("switch back", chromedp.Click(chromedp.ID("theme-toggle")))

	// Sync now, against the fake GitHub.
	do("open Settings", chromedp.Click(chromedp.CSS(`nav[aria-label=Main] a[href^="/settings"]`)),
		chromedp.WaitVisible(chromedp.ID("sync-now")))
	before := str("read counts", chromedp.Text(chromedp.CSS(`[data-source=github] [data-field=counts]`)))
	do("press Sync now", chromedp.Click(chromedp.ID("sync-now")))
	waitFor("the sync to finish on the page", `document.getElementById("sync-status").textContent.startsWith("Sync finished")`, 60*time.Second)
	status := str("read status", chromedp.Text(chromedp.ID("sync-status")))
	after := str("read counts", chromedp.Text(chromedp.CSS(`[data-source=github] [data-field=counts]`)))
	progress := str("read progress", chromedp.Text(chromedp.CSS(`[data-source=github] [data-field=progress]`)))
	lastSync := str("read last sync", chromedp.Text(chromedp.CSS(`[data-source=github] [data-field=last-sync]`)))
	t.Logf("after Sync now: %q; github: %q; %q; %q", status, progress, lastSync, after)
	if status != "Sync finished." || !strings.HasPrefix(progress, "success") || !strings.Contains(lastSync, "success") {
		t.Errorf("the page does not show a successful sync: %q, %q, %q", status, progress, lastSync)
	}
	for _, s := range []string{progress, lastSync} {
		if m := recordsRE.FindStringSubmatch(s); m == nil || (m[1] == "1") != (m[2] == "record") {
			t.Errorf("%q does not count its records in words", s)
		}
	}
	if !strings.Contains(before, "pull_requests 400") || !strings.Contains(after, "pull_requests 401") {
		t.Errorf("the counts did not update without a reload: before %q, after %q", before, after)
	}

	// A phone-sized screen scrolls vertically only.
	do("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.URL+"/dora"), chromedp.WaitVisible(chromedp.CSS(`#lead-time svg.chart`)))
	if wide := str("measure", chromedp.Evaluate[string](`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`)); wide != "0" {
		t.Errorf("on a phone the DORA page is %spx wider than the screen", wide)
	}
	// Chart text is readable: the axis labels of every chart render at
	// 10px or more, the legend at the page's own size, and the x labels
	// shown do not overlap.
	charts := str("measure chart text", chromedp.Evaluate[string](`[...document.querySelectorAll("svg.chart")].map(svg => {
		const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
		const px = t => parseFloat(getComputedStyle(t).fontSize) * scale;
		const labels = [...svg.querySelectorAll("text.xlabel, text.ylabel")];
		const small = labels.filter(t => getComputedStyle(t).display !== "none" && px(t) < 10).length;
		const shown = [...svg.querySelectorAll("text.xlabel")].filter(t => getComputedStyle(t).display !== "none").map(t => t.getBoundingClientRect());
		const overlaps = shown.filter((r, i) => i > 0 && r.left < shown[i - 1].right).length;
		const legend = [...svg.parentElement.querySelectorAll(".chart-legend li")].filter(li => parseFloat(getComputedStyle(li).fontSize) < 12).length;
		return small || overlaps || legend || !labels.length ? svg.closest("section").id + ": " + small + " small labels, " + overlaps + " overlapping, " + legend + " small legend items" : "";
	}).filter(Boolean).join("; ")`))
	if charts != "" {
		t.Errorf("on a phone chart text is too small or overlaps: %s", charts)
	}
	// The demo banner is one line, which links to Settings, instead of a
	// paragraph that took a third of the screen.
	banner := str("measure the banner", chromedp.Evaluate[string](`(() => {
		const b = document.getElementById("demo-banner"), short = b.querySelector(".banner-short");
		const lines = new Set([...short.getClientRects(), ...b.querySelector("strong").getClientRects()].map(r => Math.round(r.top))).size;
		return lines + " line(s), " + Math.round(b.getBoundingClientRect().height) + "px, long text " + getComputedStyle(b.querySelector(".banner-long")).display +
			", link " + (short.querySelector("a[href='/settings']") ? "to Settings" : "missing");
	})()`))
	if !strings.HasPrefix(banner, "1 line(s), ") || !strings.HasSuffix(banner, "long text none, link to Settings") {
		t.Errorf("on a phone the demo banner is %s", banner)
	}
	// Every page of the navigation is on screen, none cut off or scrolled
	// out of view: the element at the middle of each link is that link.
	hidden := str("check the navigation", chromedp.Evaluate[string](`[...document.querySelectorAll("nav[aria-label=Main] a")].filter(a => {
		const r = a.getBoundingClientRect(), w = document.documentElement.clientWidth;
		const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return r.width === 0 || r.left < 0 || r.right > w || !(at === a || a.contains(at));
	}).map(a => a.textContent).join(", ")`))
	if hidden != "" {
		t.Errorf("on a phone these navigation links are off screen or hidden: %s", hidden)
	}

	// The screenshot for the README: the dashboard over the last 90 days.
	do("wide", chromedp.EmulateViewport(1360, 1000), chromedp.Navigate(s.URL+"/dashboard?start_date=2025-12-21&end_date=2026-03-20"),
		chromedp.WaitVisible(chromedp.CSS(deployCard)))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(shot)); err != nil || img.Bounds().Dx() < 1000 {
		t.Fatalf("screenshot: %v", err)
	}
	path := screenshotPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved the dashboard's screenshot to %s", path)

	if p := consoleProblems(); len(p) > 0 {
		t.Errorf("the browser console reported problems:\n%s", strings.Join(p, "\n"))
	}
}

// recordsRE finds a count of records: "· 1 record", "· 12 records".
var recordsRE = regexp.MustCompile(`· (\d+) (records?)\b`)

// jsString quotes s for JavaScript.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// browserDo runs actions in the browser tab ctx, failing the test (naming
// what) when they fail or take over 30 s.
func browserDo(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// browserRead reads a value in the browser tab ctx. Right after a
// navigation Chromium may still report the old page's nodes or script
// context as gone ("No node with given id", "Cannot find context"), so a
// failed read is retried a few times before it fails the test.
func browserRead(t *testing.T, ctx context.Context, what string, a chromedp.Action[string]) string {
	t.Helper()
	var err error
	for range 20 {
		var v string
		if v, err = chromedp.Run(ctx, a); err == nil {
			return v
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
	return ""
}
