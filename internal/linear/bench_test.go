package linear

import (
	"testing"

	"github.com/veelocity/veelocity/internal/fake/linearfake"
	"github.com/veelocity/veelocity/internal/store/storetest"
	"github.com/veelocity/veelocity/internal/syncer"
)

// BenchmarkFullSync syncs 2 teams of 1,000 issues from the fake, at the
// default page size, and reports issues stored per second.
func BenchmarkFullSync(b *testing.B) {
	f := linearfake.New()
	defer f.Close()
	clk := newClock()
	f.SetClock(clk.Now)
	if _, err := f.Generate(linearfake.GenerateOptions{Teams: []string{"ENG", "OPS"}, IssuesPerTeam: 1000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	e := &syncEnv{fake: f, clock: clk, st: storetest.New(b)}
	e.cfg = testConfig(f)
	e.conn = e.newConnector(0, nil)
	b.ResetTimer()
	for b.Loop() {
		rep := newReporter()
		if err := e.conn.Sync(b.Context(), syncer.Full, rep); err != nil {
			b.Fatal(err)
		}
		if rep.issues() != 2000 {
			b.Fatalf("stored %d issues", rep.issues())
		}
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "issues/s")
}
