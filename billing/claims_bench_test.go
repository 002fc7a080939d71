package billing_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// benchEncounters is how many ready encounters one BenchmarkBuildClaims
// operation bills.
const benchEncounters = 1000

// BenchmarkBuildClaims bills benchEncounters ready encounters (two charges
// each, over 50 patients) per operation with BuildReadyClaims and reports
// claims/s. Seeding the encounters is not timed.
func BenchmarkBuildClaims(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchmarkBuildClaims(b, storetest.OpenSQLite(b, storetest.Options{Now: clock}))
	})
	b.Run("postgres", func(b *testing.B) { benchmarkBuildClaims(b, pgStore) })
	// A fresh PostgreSQL database, the pair of postgres-sealed (the shared
	// one grows with every run).
	b.Run("postgres-fresh", func(b *testing.B) {
		benchmarkBuildClaims(b, storetest.OpenPostgres(b, storetest.Options{Prefix: "clearhouse_billing_bench", Now: clock}))
	})
	// The same with the protected columns (and the file store) encrypted.
	b.Run("sqlite-sealed", func(b *testing.B) {
		benchmarkBuildClaims(b, storetest.OpenSQLite(b, storetest.Options{Now: clock, Keys: storetest.NewKeys(b)}))
	})
	b.Run("postgres-sealed", func(b *testing.B) {
		benchmarkBuildClaims(b, storetest.OpenPostgres(b, storetest.Options{Prefix: "clearhouse_billing_bench", Now: clock, Keys: storetest.NewKeys(b)}))
	})
}

func benchmarkBuildClaims(b *testing.B, st store.Store) {
	w := newWorld(b, st)
	ctx := context.Background()
	cid := w.clinic.ID
	patients := benchPatients(b, w)
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		benchEncountersFor(b, w, patients, benchEncounters)
		b.StartTimer()
		c0 := processCPU()
		cs, err := w.svc.BuildReadyClaims(ctx, cid)
		cpu += processCPU() - c0
		must(b, err)
		if len(cs) != benchEncounters {
			b.Fatalf("built %d claims, want %d", len(cs), benchEncounters)
		}
	}
	b.ReportMetric(float64(benchEncounters)*float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(benchEncounters*b.N), "cpu-µs/claim")
}

// benchPatients creates 50 patients with a primary KHP01 coverage.
func benchPatients(b *testing.B, w *world) []int64 {
	ctx, st, cid := context.Background(), w.st, w.clinic.ID
	patients := make([]int64, 50)
	err := st.InTx(ctx, cid, func(tx store.Tx) error {
		for i := range patients {
			p, err := tx.CreatePatient(ctx, store.CreatePatientParams{MRN: fmt.Sprintf("BENCH-%d-%d", cid, i), FirstName: "Bench",
				LastName: fmt.Sprintf("Patient%d", i), BirthDate: time.Date(1970+i%40, 3, 1, 0, 0, 0, 0, time.UTC), Sex: "F",
				AddressLine1: "1 Main St", City: "Springfield", State: "PA", PostalCode: "19064"})
			if err != nil {
				return err
			}
			if _, err := tx.CreateCoverage(ctx, store.CreateCoverageParams{PatientID: p.ID, PayerID: w.khp.ID,
				MemberID: fmt.Sprintf("KHP%06d", i), GroupNumber: "G1", Priority: 1, RelationshipCode: "18"}); err != nil {
				return err
			}
			patients[i] = p.ID
		}
		return nil
	})
	must(b, err)
	return patients
}

// benchEncountersFor creates n ready encounters of patients, each a
// 99213 and an 87880-QW.
func benchEncountersFor(b *testing.B, w *world, patients []int64, n int) {
	ctx, st, cid := context.Background(), w.st, w.clinic.ID
	err := st.InTx(ctx, cid, func(tx store.Tx) error {
		for i := range n {
			e, err := tx.CreateEncounter(ctx, store.CreateEncounterParams{PatientID: patients[i%len(patients)], ProviderID: w.provider.ID,
				ServiceDate: dos.Time(), PlaceOfService: "11", DiagnosisCodes: []string{"J06.9", "R50.9"}, Status: store.EncounterReady})
			if err != nil {
				return err
			}
			for j, l := range []store.CreateChargeParams{
				{ProcedureCode: "99213", DiagnosisPointers: []int{1, 2}, ChargeCents: 12500},
				{ProcedureCode: "87880", Modifiers: []string{"QW"}, DiagnosisPointers: []int{1}, ChargeCents: 5000},
			} {
				l.EncounterID, l.LineNumber, l.UnitsMilli, l.ServiceDate, l.PlaceOfService = e.ID, j+1, 1000, dos.Time(), "11"
				if _, err := tx.CreateCharge(ctx, l); err != nil {
					return err
				}
			}
		}
		return nil
	})
	must(b, err)
}
