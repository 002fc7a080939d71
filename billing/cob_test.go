package billing_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/store"
)

// cobSim is the payer simulator answering the world's payers: Keystone as
// primary (20% coinsurance), Summit as secondary (90% coinsurance, so it
// pays only part of what Keystone leaves) and Medical Assistance as
// tertiary with the cost sharing tertiary.
func cobSim(t *testing.T, now time.Time, tertiary paysim.CostSharing) *paysim.Simulator {
	t.Helper()
	sim, err := paysim.NewSimulator(paysim.Config{
		Server: paysim.ServerConfig{Root: t.TempDir(), Users: []paysim.User{
			{Name: "keystone", Password: "sim-password-1", Payer: "KHP01"}, {Name: "summit", Password: "sim-password-2", Payer: "SUMMT"},
			{Name: "assistance", Password: "sim-password-3", Payer: "MCDPA"}}},
		Registry: registry(t),
		Roster: []paysim.Member{
			{Payer: "KHP01", MemberID: "KHP000222", LastName: "SECOND", FirstName: "SAM", Active: true, CostSharing: paysim.CostSharing{CoinsurancePercent: 20}},
			{Payer: "SUMMT", MemberID: "SMT000123456", LastName: "SECOND", FirstName: "SAM", Active: true, CostSharing: paysim.CostSharing{CoinsurancePercent: 90}},
			{Payer: "MCDPA", MemberID: "7000111222", LastName: "SECOND", FirstName: "SAM", Active: true, CostSharing: tertiary},
		},
		Seed:              16,
		AdjudicationDelay: time.Hour,
		Now:               func() time.Time { return now },
	})
	must(t, err)
	t.Cleanup(func() { sim.Close() })
	return sim
}

// adjudicate submits the payer's ready claims to the simulator, releases
// its 835 and posts it.
func (w *world) adjudicate(sim *paysim.Simulator, payer store.Payer, now time.Time) billing.RemitResult {
	w.t.Helper()
	res, err := w.svc.Scrub(w.ctx, w.clinic.ID, nil)
	must(w.t, err)
	if len(res.Failed) > 0 {
		w.t.Fatalf("scrub failed: %+v", res.Findings)
	}
	sub, err := w.svc.PrepareSubmission(w.ctx, billing.SubmissionParams{ClinicID: w.clinic.ID, PayerID: payer.ID})
	must(w.t, err)
	if sub == nil {
		w.t.Fatalf("nothing to submit to %s", payer.PayerID)
	}
	rc, err := w.st.OpenContent(w.ctx, sub.Interchange.ContentID)
	must(w.t, err)
	body, err := io.ReadAll(rc)
	rc.Close()
	must(w.t, err)
	if _, err := sim.HandleFile(w.ctx, payer.PayerID, sub.Interchange.FileName, body); err != nil {
		w.t.Fatal(err)
	}
	if _, err := sim.ReleaseDue(w.ctx, now.Add(100*time.Hour)); err != nil {
		w.t.Fatal(err)
	}
	dir := sim.Server().Dir(payer.PayerID, paysim.Outbound)
	entries, err := os.ReadDir(dir)
	must(w.t, err)
	var out billing.RemitResult
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".835") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(w.t, err)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(w.t, err)
		if rr.NotPosted != 0 || rr.Unmatched != 0 || rr.Held != 0 {
			w.t.Fatalf("%s: %+v", e.Name(), rr)
		}
		out.Posted += rr.Posted
		out.SecondaryClaims = append(out.SecondaryClaims, rr.SecondaryClaims...)
		must(w.t, os.Remove(filepath.Join(dir, e.Name())))
	}
	if out.Posted == 0 {
		w.t.Fatalf("%s paid nothing", payer.PayerID)
	}
	return out
}

// TestCoordinationOfBenefits bills a visit of a patient with three
// coverages through the payer simulator: the primary's 835 opens the
// secondary claim, the secondary's the tertiary one; each payer pays
// against what the payers before it paid, so no claim is left with a
// credit balance, the claims settle the charge in full, and the patient owes
// only what the tertiary leaves: nothing when it has no cost sharing
// (Medical Assistance as payer of last resort), its coinsurance otherwise.
func TestCoordinationOfBenefits(t *testing.T) {
	for _, tt := range []struct {
		name     string
		tertiary paysim.CostSharing
	}{
		{name: "tertiary pays the rest"},
		{name: "tertiary coinsurance", tertiary: paysim.CostSharing{CoinsurancePercent: 95}},
	} {
		t.Run(tt.name, func(t *testing.T) { testCOB(t, tt.tertiary) })
	}
}

func testCOB(t *testing.T, tertiary paysim.CostSharing) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		mcd, err := st.CreatePayer(w.ctx, store.CreatePayerParams{ClinicID: w.clinic.ID, PayerID: "MCDPA", Name: "Pennsylvania Medical Assistance", ClaimFilingCode: "MC"})
		must(t, err)
		_, err = st.CreateCoverage(w.ctx, store.CreateCoverageParams{ClinicID: w.clinic.ID, PatientID: w.pat2.ID, PayerID: mcd.ID, MemberID: "7000111222",
			Priority: 3, RelationshipCode: "18"})
		must(t, err)
		now := time.Date(2026, 2, 20, 15, 0, 0, 0, time.UTC)
		sim := cobSim(t, now, tertiary)

		primary := w.visit(w.pat2)
		rr := w.adjudicate(sim, w.khp, now)
		checkPrimary(t, w, w.claim(primary.ID), 0)
		if len(rr.SecondaryClaims) != 1 {
			t.Fatalf("primary 835 built %d secondary claims, want 1", len(rr.SecondaryClaims))
		}
		sec := w.claim(rr.SecondaryClaims[0])
		primaryPR := w.claimLedger(primary.ID).patientResponsibility
		if l := w.claimLedger(sec.ID); l.billed != primaryPR || primaryPR <= 0 {
			t.Fatalf("secondary billed %d, primary's patient responsibility %d", l.billed, primaryPR)
		}

		// The secondary pays 10% of its allowed amount at most, and never
		// more than the primary left: no credit balance.
		rr = w.adjudicate(sim, w.summit, now)
		l := w.claimLedger(sec.ID)
		if l.insuranceAR != 0 || l.cash <= 0 || l.cash > primaryPR || l.patientResponsibility <= 0 {
			t.Fatalf("secondary after its 835: %+v (billed %d)", l, primaryPR)
		}
		if got := l.cash + l.contractual + l.other + l.patientResponsibility; got != l.billed {
			t.Errorf("secondary: billed %d != paid + adjustments + patient responsibility %d (%+v)", l.billed, got, l)
		}
		if len(rr.SecondaryClaims) != 1 {
			t.Fatalf("secondary 835 built %d tertiary claims, want 1", len(rr.SecondaryClaims))
		}
		ter := w.claim(rr.SecondaryClaims[0])
		if ter.PayerID != mcd.ID || !strings.HasSuffix(ter.PatientControlNumber, "T") {
			t.Errorf("tertiary claim: payer %d, PCN %s", ter.PayerID, ter.PatientControlNumber)
		}
		var doc claim.Claim
		must(t, json.Unmarshal(ter.Document, &doc))
		if doc.Subscriber.PayerResponsibility != "T" || len(doc.OtherPayers) != 2 ||
			doc.OtherPayers[0].PayerResponsibility != "P" || doc.OtherPayers[1].PayerResponsibility != "S" ||
			doc.OtherPayers[0].PaidCents != w.claimLedger(primary.ID).cash || doc.OtherPayers[1].PaidCents != l.cash {
			t.Errorf("tertiary SBR01 %s, other payers %+v", doc.Subscriber.PayerResponsibility, doc.OtherPayers)
		}
		for i, ln := range doc.Lines {
			var payers []string
			for _, a := range ln.Adjudications {
				payers = append(payers, a.PayerID)
			}
			if !slices.Equal(payers, []string{"KHP01", "SUMMT"}) {
				t.Errorf("tertiary line %d: 2430 payers %v, want KHP01 then SUMMT", i+1, payers)
			}
		}
		secondaryPR := l.patientResponsibility
		if tl := w.claimLedger(ter.ID); tl.billed != secondaryPR {
			t.Errorf("tertiary billed %d, secondary's patient responsibility %d", tl.billed, secondaryPR)
		}

		// The tertiary pays what is left, less its own cost sharing, which
		// is all the patient owes.
		rr = w.adjudicate(sim, mcd, now)
		if len(rr.SecondaryClaims) != 0 {
			t.Errorf("tertiary 835 built claims %v", rr.SecondaryClaims)
		}
		tl := w.claimLedger(ter.ID)
		if tl.insuranceAR != 0 || tl.cash+tl.patientAR+tl.contractual != secondaryPR || tl.cash <= 0 ||
			(tertiary.CoinsurancePercent == 0) != (tl.patientAR == 0) {
			t.Errorf("tertiary after its 835: %+v, billed %d", tl, secondaryPR)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountPatientAR, PatientID: w.pat2.ID}); got != tl.patientAR {
			t.Errorf("patient owes %d, want the tertiary's patient responsibility %d", got, tl.patientAR)
		}
		var cash int64
		for _, id := range []int64{primary.ID, sec.ID, ter.ID} {
			cl := w.claimLedger(id)
			if cl.insuranceAR < 0 || cl.patientAR < 0 {
				t.Errorf("claim %d: negative A/R %+v", id, cl)
			}
			cash += cl.cash
		}
		pl := w.claimLedger(primary.ID)
		if pl.patientAR != 0 || l.patientAR != 0 {
			t.Errorf("patient A/R left on the primary (%d) or secondary (%d) claim", pl.patientAR, l.patientAR)
		}
		if got := cash + pl.contractual + pl.other + l.contractual + l.other + tl.contractual + tl.other + tl.patientAR; got != primary.TotalChargeCents {
			t.Errorf("three payers and the patient settled %d of the %d charge", got, primary.TotalChargeCents)
		}
		t.Logf("charge %d: primary paid %d (patient responsibility %d), secondary paid %d (left %d), tertiary paid %d (left %d)",
			primary.TotalChargeCents, pl.cash, primaryPR, l.cash, secondaryPR, tl.cash, tl.patientAR)
		checkLedger(t, w)
	})
}
