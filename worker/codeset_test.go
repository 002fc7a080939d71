package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
	"github.com/clearhouse/clearhouse/transport"
)

// TestCheckCodeSets: after the embedded ICD-10-CM release ended
// (2026-09-30) the nightly run raises one operations item naming the
// release to import, however often it runs; before, none (issue 19).
func TestCheckCodeSets(t *testing.T) {
	ctx := context.Background()
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now   time.Time
		items int
	}{
		{time.Date(2026, 9, 30, 22, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC), 1},
	} {
		st := storetest.OpenSQLite(t, storetest.Options{})
		clinic, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend"})
		if err != nil {
			t.Fatal(err)
		}
		w, err := Wire(Wiring{Store: st, Payers: reg, Now: func() time.Time { return tc.now },
			Pipeline: Config{Endpoint: func(py *payers.Payer) (transport.Endpoint, error) {
				return EndpointFor(py, transport.Auth{PasswordEnv: "X"}, true), nil
			}}})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := w.Pipeline.checkCodeSets(ctx, clinic.ID); err != nil {
				t.Fatal(err)
			}
		}
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: clinic.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != tc.items {
			t.Fatalf("%v: %d items, want %d", tc.now, len(items), tc.items)
		}
		for _, it := range items {
			if it.Kind != store.WorkCodeSet || !strings.Contains(it.Title, "release FY2026 ended 2026-09-30") ||
				!strings.Contains(it.Title, "codes import icd10cm icd10cm_order_2027.txt --name FY2027 --from 2026-10-01") {
				t.Errorf("item %s: %s", it.Kind, it.Title)
			}
		}
		w.Close()
	}
}
