package predict_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// Every store, and both backends by name, satisfy what predict uses.
var (
	_ predict.Store      = store.Store(nil)
	_ predict.Store      = (*pgstore.Store)(nil)
	_ predict.Store      = (*sqlitestore.Store)(nil)
	_ predict.ClaimStore = (*pgstore.Store)(nil)
	_ predict.ClaimStore = (*sqlitestore.Store)(nil)
)

var pgStore store.Store

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, storetest.Options{Prefix: "clearhouse_predict_test"}, func(pg storetest.Postgres) { pgStore = pg.Store }))
}

// TestTrainNoShowFromStore loads simulated history through the store,
// trains and versions the model, and scores a new booking with it.
func TestTrainNoShowFromStore(t *testing.T) {
	storetest.Backends(t, pgStore, storetest.Options{}, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cl, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend", NPI: "1234567893", TaxID: "12-3456789", SubmitterID: "CH"})
		if err != nil {
			t.Fatal(err)
		}
		pr, err := st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: cl.ID, NPI: "1659412344", LastName: "KIM", FirstName: "ANA"})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
		sim := predict.SimulateNoShows(7, 150, 5, start)
		ids := map[int64]int64{}
		err = st.InTx(ctx, cl.ID, func(tx store.Tx) error {
			for _, v := range sim {
				pid, ok := ids[v.PatientID]
				if !ok {
					p, err := tx.CreatePatient(ctx, store.CreatePatientParams{MRN: "M" + time.Unix(v.PatientID, 0).UTC().Format("150405"),
						FirstName: "P", LastName: "Q", BirthDate: v.BirthDate})
					if err != nil {
						return err
					}
					pid, ids[v.PatientID] = p.ID, p.ID
				}
				if _, err := tx.CreateAppointment(ctx, store.CreateAppointmentParams{PatientID: pid, ProviderID: pr.ID, StartsAt: v.StartsAt,
					EndsAt: v.StartsAt.Add(15 * time.Minute), Status: v.Status, BookedAt: v.BookedAt}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		now := start.AddDate(2, 0, 0)
		o := predict.TrainOptions{Now: now}
		first, err := predict.TrainNoShow(ctx, st, cl.ID, o)
		if err != nil {
			t.Fatal(err)
		}
		second, err := predict.TrainNoShow(ctx, st, cl.ID, o)
		if err != nil {
			t.Fatal(err)
		}
		if first.Row.Version != 1 || second.Row.Version != 2 || first.Evaluation.Holdout == 0 || first.Evaluation.AUC != second.Evaluation.AUC {
			t.Fatalf("versions %d, %d; evaluations %+v / %+v", first.Row.Version, second.Row.Version, first.Evaluation, second.Evaluation)
		}
		m, row, ok, err := predict.Latest(ctx, st, cl.ID, store.ModelNoShow)
		if err != nil || !ok || row.Version != 2 || len(m.Names) == 0 {
			t.Fatalf("latest: %v %v %+v", err, ok, row)
		}
		// A new booking is scored inside its transaction.
		err = st.InTx(ctx, cl.ID, func(tx store.Tx) error {
			a, err := tx.CreateAppointment(ctx, store.CreateAppointmentParams{PatientID: ids[1], ProviderID: pr.ID, StartsAt: now.Add(72 * time.Hour),
				EndsAt: now.Add(73 * time.Hour)})
			if err != nil {
				return err
			}
			risk, ok, err := predict.NoShowScorer{}.NoShowRisk(ctx, tx, a)
			if err != nil || !ok || risk <= 0 || risk >= 1 {
				t.Errorf("risk %v %v %v", risk, ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
