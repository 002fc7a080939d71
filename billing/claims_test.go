package billing_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// TestBuildClaimsChunk checks that the set-based BuildClaims writes what
// BuildClaim writes claim by claim, reports the encounters it cannot bill
// and bills the rest of their chunk.
func TestBuildClaimsChunk(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		cid := w.clinic.ID
		capture := func(patientID int64, open bool, coverageID int64) int64 {
			t.Helper()
			ce, err := w.svc.CaptureEncounter(w.ctx, cid, billing.EncounterInput{PatientID: patientID, ProviderNPI: w.provider.NPI,
				ServiceDate: dos, Diagnoses: []string{"J06.9", "R50.9"}, Open: open, CoverageID: coverageID, Lines: []billing.LineInput{
					{ProcedureCode: "99213", DiagnosisPointers: []int{1, 2}, ChargeCents: 12500},
					{ProcedureCode: "87880", Modifiers: []string{"QW"}},
				}})
			must(t, err)
			return ce.Encounter.ID
		}
		uncovered, err := st.CreatePatient(w.ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-3", FirstName: "Una", LastName: "Covered"})
		must(t, err)
		covs, err := st.ListCoverages(w.ctx, store.ListCoveragesParams{ClinicID: cid, PatientID: w.pat2.ID})
		must(t, err)

		// The reference: one encounter per shape, billed one at a time.
		refPrimary := capture(w.pat.ID, false, 0)
		refPinned := capture(w.pat2.ID, false, covs[1].ID)
		var ref []store.Claim
		for _, id := range []int64{refPrimary, refPinned} {
			c, err := w.svc.BuildClaim(w.ctx, cid, id, billing.BuildOptions{})
			must(t, err)
			ref = append(ref, c)
		}

		primary := capture(w.pat.ID, false, 0)
		open := capture(w.pat.ID, true, 0)
		noCoverage := capture(uncovered.ID, false, 0)
		pinned := capture(w.pat2.ID, false, covs[1].ID)
		reused := capture(w.pat.ID, false, 0)
		// A claim already holds the reused encounter's number (E<id>).
		_, err = st.CreateClaim(w.ctx, store.CreateClaimParams{ClinicID: cid, PayerID: w.khp.ID, PatientID: w.pat.ID,
			PatientControlNumber: fmt.Sprintf("E%d", reused), Status: claim.StatusVoided})
		must(t, err)
		const missing = 1 << 40

		res, err := w.svc.BuildClaims(w.ctx, cid, []int64{primary, open, noCoverage, pinned, missing, reused})
		must(t, err)
		if len(res.Claims) != 3 {
			t.Fatalf("built %d claims, want 3", len(res.Claims))
		}
		var notBilled []string
		for _, nb := range res.NotBilled {
			switch {
			case errors.Is(nb, billing.ErrNotBillable):
				notBilled = append(notBilled, fmt.Sprintf("%d not billable", nb.EncounterID))
			case errors.Is(nb, store.ErrNotFound):
				notBilled = append(notBilled, fmt.Sprintf("%d not found", nb.EncounterID))
			default:
				t.Errorf("encounter %d: unexpected error %v", nb.EncounterID, nb.Err)
			}
		}
		want := fmt.Sprint([]string{fmt.Sprintf("%d not billable", open), fmt.Sprintf("%d not billable", noCoverage), fmt.Sprintf("%d not found", int64(missing))})
		if got := fmt.Sprint(notBilled); got != want {
			t.Errorf("not billed %s, want %s", got, want)
		}
		if got, want := res.Claims[2].PatientControlNumber, fmt.Sprintf("E%d-2", reused); got != want {
			t.Errorf("reused encounter's number %s, want %s", got, want)
		}

		for i, pair := range [][2]int64{{ref[0].ID, res.Claims[0].ID}, {ref[1].ID, res.Claims[1].ID}} {
			a, b := w.claim(pair[0]), w.claim(pair[1])
			if a.PayerID != b.PayerID || a.PatientID != b.PatientID || a.Kind != b.Kind || a.Status != b.Status ||
				a.TotalChargeCents != b.TotalChargeCents || !a.ServiceDateFrom.Equal(b.ServiceDateFrom) || a.FrequencyCode != b.FrequencyCode {
				t.Errorf("claim %d: row %+v, single-row build %+v", i, b, a)
			}
			if da, db := normalizedDocument(t, a), normalizedDocument(t, b); da != db {
				t.Errorf("claim %d: document\n%s\nsingle-row build\n%s", i, db, da)
			}
			if got := res.Claims[i].Document; normalizedDocument(t, store.Claim{Document: got}) != normalizedDocument(t, b) {
				t.Errorf("claim %d: returned document differs from the stored one", i)
			}
			for _, id := range pair {
				if got := w.balance(store.LedgerBalanceParams{ClaimID: id, Account: billing.AccountInsuranceAR}); got != a.TotalChargeCents {
					t.Errorf("claim %d insurance A/R %d, want %d", id, got, a.TotalChargeCents)
				}
				charges, err := st.ListCharges(w.ctx, store.ListChargesParams{ClinicID: cid, ClaimID: id})
				must(t, err)
				if len(charges) != 2 {
					t.Errorf("claim %d has %d charges, want 2", id, len(charges))
				}
				h, err := st.ListClaimStatusHistory(w.ctx, store.Ref{ClinicID: cid, ID: id})
				must(t, err)
				if len(h) != 1 || h[0].Actor != "billing" || h[0].ToStatus != claim.StatusDraft {
					t.Errorf("claim %d history %+v", id, h)
				}
			}
		}
		for id, want := range map[int64]string{primary: store.EncounterBilled, pinned: store.EncounterBilled, reused: store.EncounterBilled,
			open: store.EncounterOpen, noCoverage: store.EncounterReady} {
			e, err := st.GetEncounter(w.ctx, store.Ref{ClinicID: cid, ID: id})
			must(t, err)
			if e.Status != want {
				t.Errorf("encounter %d is %s, want %s", id, e.Status, want)
			}
		}

		// Built again: nothing to bill, nothing written twice.
		res, err = w.svc.BuildClaims(w.ctx, cid, []int64{primary, pinned})
		must(t, err)
		if len(res.Claims) != 0 || len(res.NotBilled) != 2 {
			t.Errorf("second build: %d claims, %d not billed", len(res.Claims), len(res.NotBilled))
		}
		// BuildReadyClaims joins the encounters it cannot bill.
		cs, err := w.svc.BuildReadyClaims(w.ctx, cid)
		if len(cs) != 0 || !errors.Is(err, billing.ErrNotBillable) {
			t.Errorf("BuildReadyClaims: %d claims, error %v", len(cs), err)
		}
	})
}

// normalizedDocument is a claim's document without what differs between
// two encounters of the same shape: the patient control number and the
// line control numbers (charge IDs).
func normalizedDocument(t *testing.T, c store.Claim) string {
	t.Helper()
	var doc claim.Claim
	must(t, json.Unmarshal(c.Document, &doc))
	doc.PatientControlNumber = ""
	for i := range doc.Lines {
		doc.Lines[i].ControlNumber = ""
	}
	raw, err := json.Marshal(doc)
	must(t, err)
	return string(raw)
}
