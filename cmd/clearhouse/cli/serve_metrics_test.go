package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/worker"
)

var (
	_ worker.JobCounter = (*pgstore.Store)(nil)
	_ worker.JobCounter = (*sqlitestore.Store)(nil)
)

// describingRegisterer records the names of the metrics registered
// through it.
type describingRegisterer struct {
	prometheus.Registerer
	names map[string]bool
}

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d *describingRegisterer) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		if m := descName.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return d.Registerer.Register(c)
}

func (d *describingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := d.Register(c); err != nil {
			panic(err)
		}
	}
}

// promMetric is a metric name in a PromQL expression.
var promMetric = regexp.MustCompile(`\b(clearhouse_[a-z0-9_]+|go_[a-z0-9_]+|process_[a-z0-9_]+)\b`)

// TestDashboardQueriesServeMetrics: every metric the Grafana dashboard in
// deploy/grafana queries is one serve registers.
func TestDashboardQueriesServeMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../../deploy/grafana/clearhouse.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	st, err := storedb.Open(context.Background(), t.TempDir()+"/m.db", storedb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &describingRegisterer{Registerer: prometheus.NewRegistry(), names: map[string]bool{}}
	if _, _, err := registerServeMetrics(rec, st, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	queried := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := promMetric.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: no metric in %q", p.Title, tg.Expr)
			}
			for _, name := range names {
				queried++
				base := name
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					if b, ok := strings.CutSuffix(name, suffix); ok && rec.names[b] {
						base = b
					}
				}
				if !rec.names[base] {
					t.Errorf("panel %q queries %s, which serve does not register", p.Title, name)
				}
			}
		}
	}
	for _, want := range []string{"clearhouse_queue_jobs", "clearhouse_claims", "clearhouse_oldest_unacknowledged_submission_seconds", "clearhouse_response_seconds"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	t.Logf("%d panels, %d metric references", len(dash.Panels), queried)
}

// TestStateMetrics reads the queue depth, claims by status and the oldest
// unacknowledged submission from a seeded database on both backends.
func TestStateMetrics(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t, backend)
			ctx := context.Background()
			st, err := storedb.Open(ctx, db, storedb.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.InsertJob(ctx, worker.NightlyArgs{ClinicID: 1}, nil); err != nil {
				t.Fatal(err)
			}
			counter, _ := st.(worker.JobCounter)
			c := worker.NewStateCollector(st, counter, nil, nil)
			if n := testutil.CollectAndCount(c, "clearhouse_queue_jobs"); n != 1 {
				t.Errorf("%d queue series, want 1 (nightly available)", n)
			}
			want := `
# HELP clearhouse_queue_jobs River jobs by kind and state.
# TYPE clearhouse_queue_jobs gauge
clearhouse_queue_jobs{kind="nightly",state="available"} 1
`
			if err := testutil.CollectAndCompare(c, strings.NewReader(want), "clearhouse_queue_jobs"); err != nil {
				t.Error(err)
			}
			if n := testutil.CollectAndCount(c, "clearhouse_claims"); n < 3 {
				t.Errorf("%d claim status series, want several", n)
			}
			// An 837 uploaded two hours before the collector's clock, no 999 yet.
			payers, err := st.ListPayers(ctx, store.ListPayersParams{ClinicID: 1})
			if err != nil || len(payers) == 0 {
				t.Fatalf("payers: %v %v", payers, err)
			}
			ic, err := st.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: 1, PayerID: &payers[0].ID, SenderID: "S", ReceiverID: "R",
				ControlNumber: 900001, TransactionSet: "837P", ClaimCount: 1, FileName: "metrics.x12", Body: strings.NewReader("ISA")})
			if err != nil {
				t.Fatal(err)
			}
			uploaded := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
			if _, err := st.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: 1, ID: ic.ID, Status: store.InterchangeUploaded,
				UploadedAt: &uploaded}); err != nil {
				t.Fatal(err)
			}
			c = worker.NewStateCollector(st, counter, nil, func() time.Time { return uploaded.Add(2 * time.Hour) })
			want = fmt.Sprintf(`
# HELP clearhouse_oldest_unacknowledged_submission_seconds Age of the oldest 837 uploaded to a payer with no 999 yet.
# TYPE clearhouse_oldest_unacknowledged_submission_seconds gauge
clearhouse_oldest_unacknowledged_submission_seconds{payer=%q} 7200
`, payers[0].PayerID)
			if err := testutil.CollectAndCompare(c, strings.NewReader(want), "clearhouse_oldest_unacknowledged_submission_seconds"); err != nil {
				t.Error(err)
			}
		})
	}
}
