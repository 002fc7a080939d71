package billing_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

func TestIllegalTransitionIsRecordedNowhere(t *testing.T) {
	w := newWorld(t, openSQLite(t))
	c := w.visit(w.pat)
	_, err := w.svc.SetClaimStatus(w.ctx, w.clinic.ID, c.ID, claim.StatusPaid, "no")
	var te *claim.TransitionError
	if !errors.Is(err, claim.ErrIllegalTransition) || !errors.As(err, &te) || te.From != claim.StatusDraft {
		t.Fatalf("error %v", err)
	}
	if w.claim(c.ID).Status != claim.StatusDraft {
		t.Fatal("status changed")
	}
}

func TestFeeSchedule(t *testing.T) {
	p := profile(t)
	tests := []struct {
		code  string
		mods  []string
		units claim.Quantity
		want  int64
	}{
		{"99213", nil, claim.Units(1), 12500},
		{"99213", []string{"25"}, claim.Units(1), 13500},
		{"99213", []string{"59"}, claim.Units(2), 25000},
		{"87880", []string{"QW"}, 1500, 7500},
	}
	for _, tt := range tests {
		got, ok := p.Fees.Price(tt.code, tt.mods, tt.units)
		if !ok || got != tt.want {
			t.Errorf("%s %v x%s: %d %v, want %d", tt.code, tt.mods, tt.units, got, ok, tt.want)
		}
	}
	if _, ok := p.Fees.Price("87880", nil, claim.Units(1)); ok {
		t.Error("87880 without QW priced")
	}
	if got, _ := p.ExpectedAllowed("KHP01", "99213", nil, claim.Units(1)); got != 10000 {
		t.Errorf("KHP01 80%% of 125.00 = %d", got)
	}
	if got, _ := p.ExpectedAllowed("SUMMT", "99213", nil, claim.Units(1)); got != 11000 {
		t.Errorf("SUMMT table 99213 = %d", got)
	}
	if got, _ := p.ExpectedAllowed("SUMMT", "87880", []string{"QW"}, claim.Units(1)); got != 4500 {
		t.Errorf("SUMMT 90%% of 50.00 = %d", got)
	}
	_, err := billing.ParseClinicProfile("bad.yaml", []byte("fees:\n  - {code: \"99213\", amount: \"12.345\"}\n"))
	var pe *billing.ProfileError
	if !errors.As(err, &pe) || pe.Line != 2 || !errors.Is(err, billing.ErrInput) {
		t.Fatalf("error %v", err)
	}
}

func TestImportCharges(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		good := "encounter,mrn,provider_npi,service_date,diagnoses,procedure,modifiers,pointers,units,charge\n" +
			"V1,MRN-1,1987654328,2026-02-16,J069|R509,99213,,1|2,1,125.00\n" +
			"V2,MRN-2,1987654328,2026-02-17,J069,99213,25,1,1,\n" +
			"V1,MRN-1,1987654328,2026-02-16,J069|R509,87880,QW,1,,\n"
		res, err := w.svc.ImportCharges(context.Background(), w.clinic.ID, "visits.csv", strings.NewReader(good))
		must(t, err)
		if len(res.Encounters) != 2 || res.Lines != 3 || res.Encounters[1].Charges[0].ChargeCents != 13500 {
			t.Fatalf("import %+v", res)
		}
		bad := "encounter,mrn,provider_npi,service_date,diagnoses,procedure,charge\n" +
			"V3,MRN-1,1987654328,2026-02-18,J069,99213,12.5x\n" +
			"V4,MRN-9,1987654328,2026-02-18,J069,99213,10.00\n" +
			"V5,MRN-1,1987654328,not-a-date,J069,99213,10.00\n"
		_, err = w.svc.ImportCharges(context.Background(), w.clinic.ID, "bad.csv", strings.NewReader(bad))
		for _, want := range []string{"bad.csv:2: charge:", "bad.csv:4: service_date:"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v lacks %q", err, want)
			}
		}
		// Only a store look-up finds the unknown MRN: still nothing is
		// imported.
		unknown := "encounter,mrn,provider_npi,service_date,diagnoses,procedure,charge\n" +
			"V6,MRN-1,1987654328,2026-02-18,J069,99213,10.00\n" +
			"V7,MRN-9,1987654328,2026-02-18,J069,99213,10.00\n"
		_, err = w.svc.ImportCharges(context.Background(), w.clinic.ID, "unknown.csv", strings.NewReader(unknown))
		if err == nil || !strings.Contains(err.Error(), "unknown.csv:3: patient MRN") {
			t.Fatal("bad rows imported")
		}
		encs, err := st.ListEncounters(context.Background(), store.ListEncountersParams{ClinicID: w.clinic.ID})
		must(t, err)
		if len(encs) != 2 {
			t.Fatalf("%d encounters after failed imports, want 2", len(encs))
		}
		js := `[{"mrn":"MRN-9","providerNpi":"1987654328","serviceDate":"2026-02-18","diagnoses":["J069"],"lines":[{"procedureCode":"99213"}]}]`
		_, err = w.svc.ImportCharges(context.Background(), w.clinic.ID, "v.json", strings.NewReader(js))
		if err == nil || !strings.Contains(err.Error(), "v.json: encounter 1: patient MRN \"MRN-9\"") || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("json error %v", err)
		}
	})
}

// BenchmarkPostRemittance posts an 835 of 200 claim payments (each to its own
// claim) on SQLite; claims/s is reported.
func BenchmarkPostRemittance(b *testing.B) {
	const n = 200
	w := newWorld(b, openSQLite(b))
	var pcns []string
	for i := 0; i < n; i++ {
		c := w.visit(w.pat)
		pcns = append(pcns, c.PatientControlNumber)
	}
	b.ReportAllocs()
	var size int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		var cps []*x835.ClaimPayment
		for _, pcn := range pcns {
			cps = append(cps, paidVisit(pcn, "", 10000))
		}
		raw := remit835{trace: fmt.Sprintf("BENCH%06d", i), claims: cps}.bytes(b)
		size = int64(len(raw))
		b.SetBytes(size)
		// The claims must be awaiting payment: submit them the first
		// time, move them back to accepted afterwards.
		if i == 0 {
			w.submitAll()
		} else {
			for _, pcn := range pcns {
				c, _ := w.st.GetClaimByPatientControlNumber(w.ctx, store.GetClaimByPatientControlNumberParams{ClinicID: w.clinic.ID, PatientControlNumber: pcn})
				if _, err := w.svc.SetClaimStatus(w.ctx, w.clinic.ID, c.ID, claim.StatusAccepted, "bench reversal stand-in"); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StartTimer()
		if _, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "claims/s")
}
