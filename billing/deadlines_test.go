package billing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

func TestTimelyFilingDeadlines(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		// KHP01 allows 180 days and warns 18 days ahead: service on
		// 2026-02-16, deadline 2026-08-15, flagged from 2026-07-28.
		c := w.visit(w.pat)
		day := func(s string) time.Time {
			d, err := time.Parse(time.DateOnly, s)
			must(t, err)
			return d
		}
		for _, tt := range []struct {
			today              string
			near, passed, made int
		}{
			{"2026-07-27", 0, 0, 0},
			{"2026-07-28", 1, 0, 1},
			{"2026-08-01", 1, 0, 0}, // the same item stays open
			{"2026-08-16", 0, 1, 1},
		} {
			res, err := w.svc.TimelyFilingDeadlines(w.ctx, w.clinic.ID, day(tt.today))
			must(t, err)
			if res.Near != tt.near || res.Passed != tt.passed || res.Items != tt.made {
				t.Errorf("%s: %+v, want near %d passed %d items %d", tt.today, res, tt.near, tt.passed, tt.made)
			}
		}
		items := w.worklist(store.WorkTimelyFiling)
		if len(items) != 2 {
			t.Fatalf("%d items: %+v", len(items), items)
		}
		for _, it := range items {
			if it.ClaimID == nil || *it.ClaimID != c.ID || it.DueAt == nil || !it.DueAt.Equal(day("2026-08-15")) {
				t.Errorf("item %+v", it)
			}
		}
		if !strings.Contains(items[0].Title+items[1].Title, "passed KHP01's timely filing deadline 2026-08-15") {
			t.Errorf("titles: %q / %q", items[0].Title, items[1].Title)
		}
		// A claim that reached the payer is not flagged.
		w.submitAll()
		res, err := w.svc.TimelyFilingDeadlines(w.ctx, w.clinic.ID, day("2026-08-20"))
		must(t, err)
		if res.Near+res.Passed != 0 {
			t.Fatalf("submitted claim flagged: %+v", res)
		}
	})
}
