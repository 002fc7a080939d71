package billing_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// benchPayments is how many claim payments one BenchmarkPost835 operation
// posts.
const benchPayments = 1000

// BenchmarkPost835 posts an 835 of benchPayments claim payments (one in
// twenty a denial, the rest paid with a contractual adjustment and
// coinsurance) per operation with PostRemittance and reports claim
// payments/s. Building the claims and the 835 is not timed.
func BenchmarkPost835(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchmarkPost835(b, storetest.OpenSQLite(b, storetest.Options{Now: clock}))
	})
	b.Run("postgres", func(b *testing.B) { benchmarkPost835(b, pgStore) })
	// A fresh PostgreSQL database, the pair of postgres-sealed (the shared
	// one grows with every run).
	b.Run("postgres-fresh", func(b *testing.B) {
		benchmarkPost835(b, storetest.OpenPostgres(b, storetest.Options{Prefix: "clearhouse_billing_bench", Now: clock}))
	})
	// The same with the protected columns (and the file store) encrypted.
	b.Run("sqlite-sealed", func(b *testing.B) {
		benchmarkPost835(b, storetest.OpenSQLite(b, storetest.Options{Now: clock, Keys: storetest.NewKeys(b)}))
	})
	b.Run("postgres-sealed", func(b *testing.B) {
		benchmarkPost835(b, storetest.OpenPostgres(b, storetest.Options{Prefix: "clearhouse_billing_bench", Now: clock, Keys: storetest.NewKeys(b)}))
	})
}

func benchmarkPost835(b *testing.B, st store.Store) {
	w := newWorld(b, st)
	ctx := context.Background()
	cid := w.clinic.ID
	patients := benchPatients(b, w)
	round := 0
	// seed builds benchPayments submitted claims and the 835 paying them.
	seed := func() []byte {
		round++
		benchEncountersFor(b, w, patients, benchPayments)
		cs, err := w.svc.BuildReadyClaims(ctx, cid)
		must(b, err)
		moves := make([]store.ClaimStatusMove, len(cs))
		r := remit835{trace: fmt.Sprintf("BENCH%06d", round), isa: int64(round)}
		for i, c := range cs {
			moves[i] = store.ClaimStatusMove{ID: c.ID, From: claim.StatusDraft, To: claim.StatusSubmitted, Reason: "bench"}
			cp := paidVisit(c.PatientControlNumber, fmt.Sprintf("ICN%d", c.ID), 10000)
			if i%20 == 19 {
				denyVisit(cp)
			}
			r.claims = append(r.claims, cp)
		}
		must(b, st.InTx(ctx, cid, func(tx store.Tx) error {
			return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Moves: moves, Actor: "bench"})
		}))
		return r.bytes(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		file := seed()
		b.StartTimer()
		c0 := processCPU()
		res, err := w.svc.PostRemittance(ctx, cid, 0, bytes.NewReader(file))
		cpu += processCPU() - c0
		must(b, err)
		if res.Posted != benchPayments || res.Held != 0 {
			b.Fatalf("posted %d, held %d of %d claim payments", res.Posted, res.Held, benchPayments)
		}
	}
	b.ReportMetric(float64(benchPayments)*float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(benchPayments*b.N), "cpu-µs/claim")
}

// denyVisit turns a paidVisit claim payment into a denial (CLP02 4, CO-50
// on every line).
func denyVisit(cp *x835.ClaimPayment) {
	cp.Status, cp.PaidCents, cp.PatientResponsibilityCents = "4", 0, 0
	for i := range cp.ServiceLines {
		l := &cp.ServiceLines[i]
		l.PaidCents = 0
		l.Adjustments = []x835.Adjustment{{Group: "CO", Reason: "50", AmountCents: l.ChargeCents}}
	}
}
