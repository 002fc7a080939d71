package billing_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/edi/x999"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

func ack999(t *testing.T, ic store.Interchange, accept bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := edi.NewWriter(&buf, edi.DefaultDelimiters)
	set := x999.TransactionSetResponse{ID: "837", ControlNumber: fmt.Sprintf("%04d", ic.FirstSetControlNumber), ImplRef: "005010X222A1", Ack: "A"}
	g := x999.FunctionalGroupResponse{FunctionalID: "HC", GroupControlNumber: fmt.Sprint(ic.GroupControlNumber), Version: "005010X222A1",
		Ack: "A", Included: 1, Received: 1, Accepted: 1}
	if !accept {
		set.Ack, set.Codes = "R", []string{"5"}
		set.Segments = []x999.SegmentError{{SegmentID: "NM1", Position: 28, Loop: "2010BA", Code: "8",
			Elements: []x999.ElementError{{Position: 9, Code: "7", Value: "BAD"}}}}
		g.Ack, g.Accepted = "R", 0
	}
	g.Sets = []x999.TransactionSetResponse{set}
	env := x999.Envelope{ISA: edi.ISAHeader{SenderQualifier: "ZZ", SenderID: "KEYSTONEHP", ReceiverQualifier: "ZZ", ReceiverID: "CLEARHOUSE",
		Time: now, ControlNumber: 900 + ic.ControlNumber, Usage: "T"},
		GS: edi.GSHeader{SenderCode: "KHP01", ReceiverCode: "CLEARHOUSE", Time: now, ControlNumber: 900 + ic.ControlNumber}}
	must(t, x999.Encode(w, env, nil, []x999.FunctionalGroupResponse{g}))
	must(t, w.Flush())
	return buf.Bytes()
}

type ack277 struct {
	pcn, icn string
	reject   bool
}

func ack277CA(t *testing.T, claims ...ack277) []byte {
	t.Helper()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	prov := x277.BillingProvider{Name: x277.Entity{EntityCode: "85", EntityType: "2", Last: "RIVERBEND", IDQualifier: "XX", ID: "1234567893"},
		TraceNumber: "P1", Statuses: []x277.Status{{Codes: []x277.StatusCode{{Category: "A1", Code: "19"}}, Date: day, Action: "WQ"}}}
	for _, c := range claims {
		st := x277.Status{Codes: []x277.StatusCode{{Category: "A2", Code: "20"}}, Date: day, Action: "WQ", AmountCents: 17500}
		if c.reject {
			st = x277.Status{Codes: []x277.StatusCode{{Category: "A7", Code: "562", Entity: "85"}}, Date: day, Action: "U", AmountCents: 17500,
				Message: "NPI INVALID"}
		}
		prov.Claims = append(prov.Claims, x277.ClaimStatus{Patient: x277.Entity{EntityCode: "QC", EntityType: "1", Last: "SAMPLE", First: "PAT"},
			PatientControlNumber: c.pcn, PayerClaimControlNumber: c.icn, Statuses: []x277.Status{st}, ServiceFrom: dos.Time(), ServiceTo: dos.Time()})
	}
	a := &x277.Acknowledgment{ReferenceID: "R1", Created: day, Sources: []x277.InformationSource{{
		Name: x277.Entity{EntityCode: "PR", EntityType: "2", Last: "KEYSTONE", IDQualifier: "PI", ID: "KHP01"}, TraceNumber: "T1", ReceiptDate: day, ProcessDate: day,
		Receivers: []x277.InformationReceiver{{Name: x277.Entity{EntityCode: "41", EntityType: "2", Last: "CLEARHOUSE", IDQualifier: "46", ID: "CLEARHOUSE"},
			TraceNumber: "B1", Statuses: []x277.Status{{Codes: []x277.StatusCode{{Category: "A1", Code: "19"}}, Date: day, Action: "WQ"}},
			Providers: []x277.BillingProvider{prov}}}}}}
	a.ComputeTotals()
	var buf bytes.Buffer
	must(t, x277.Encode(&buf, edi.ISAHeader{SenderID: "KEYSTONEHP", ReceiverID: "CLEARHOUSE", Time: day, ControlNumber: 77, Usage: "T"},
		edi.GSHeader{SenderCode: "KHP01", ReceiverCode: "CLEARHOUSE", Time: day, ControlNumber: 77}, a))
	return buf.Bytes()
}

// checkLedger asserts the ledger's invariants: it balances (debits equal
// credits), and every encounter's charges are accounted for by payments,
// adjustments, patient responsibility and outstanding A/R.
func checkLedger(t *testing.T, w *world) {
	t.Helper()
	if b := w.balance(store.LedgerBalanceParams{}); b != 0 {
		t.Errorf("ledger does not balance: debits - credits = %d", b)
	}
	charges := -w.balance(store.LedgerBalanceParams{Account: billing.AccountRevenue})
	var out int64
	for _, a := range []string{billing.AccountCash, billing.AccountContractual, billing.AccountOtherAdjustment, billing.AccountPatientAR,
		billing.AccountInsuranceAR, billing.AccountDeniedAR, billing.AccountWriteOff} {
		out += w.balance(store.LedgerBalanceParams{Account: a})
	}
	// Unapplied cash sits in cash and in unapplied_cash; patient payments
	// reduce cash's share of patient A/R equally.
	out += w.balance(store.LedgerBalanceParams{Account: billing.AccountUnapplied})
	out += w.balance(store.LedgerBalanceParams{Account: billing.AccountProviderAdjustment})
	if charges != out {
		t.Errorf("charges %d != payments + adjustments + patient responsibility + outstanding %d", charges, out)
	}
}

func TestFullPath(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		c2 := w.visit(w.pat)
		if c1.Status != claim.StatusDraft || c1.TotalChargeCents != 17500 || c1.PatientControlNumber == c2.PatientControlNumber {
			t.Fatalf("claims %+v %+v", c1, c2)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountInsuranceAR, ClaimID: c1.ID}); got != 17500 {
			t.Fatalf("insurance A/R after charge %d", got)
		}

		sub := w.submitAll()
		ic := sub.Interchange
		if len(sub.ClaimIDs) != 2 || !bytes.HasPrefix(storetest.Content(t, w.st, ic.ContentID), []byte("ISA*")) || !strings.HasPrefix(ic.FileName, "KHP01-837P-") {
			t.Fatalf("submission %+v %q", sub.ClaimIDs, ic.FileName)
		}
		if w.claim(c1.ID).Status != claim.StatusSubmitted {
			t.Fatal("claim not submitted")
		}
		again, err := w.svc.PrepareSubmission(w.ctx, billing.SubmissionParams{ClinicID: w.clinic.ID, PayerID: w.khp.ID})
		must(t, err)
		if again != nil {
			t.Fatal("a second submission for the same claims")
		}
		pending, err := w.svc.PendingSubmissions(w.ctx, w.clinic.ID)
		must(t, err)
		if len(pending) != 1 || pending[0].ContentID != ic.ContentID {
			t.Fatalf("pending after a crash before upload: %d", len(pending))
		}
		_, err = w.svc.MarkTransferred(w.ctx, w.clinic.ID, ic.ID, "/KHP01/inbound/"+ic.FileName)
		must(t, err)
		if pending, _ = w.svc.PendingSubmissions(w.ctx, w.clinic.ID); len(pending) != 0 {
			t.Fatal("still pending after upload")
		}

		f999 := w.inbound("ack.999", ack999(t, ic, true))
		res, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f999.ID)
		must(t, err)
		if res.Kind != store.Ack999 || len(res.Rejected) != 0 || len(res.Unknown) != 0 {
			t.Fatalf("999: %+v", res)
		}
		f277 := w.inbound("ack.277", ack277CA(t, ack277{pcn: c1.PatientControlNumber, icn: "ICN1"}, ack277{pcn: c2.PatientControlNumber, icn: "ICN2"}))
		res, err = w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f277.ID)
		must(t, err)
		if len(res.Accepted) != 2 {
			t.Fatalf("277CA: %+v", res)
		}
		res, err = w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f277.ID)
		must(t, err)
		if !res.AlreadyApplied {
			t.Fatal("277CA applied twice")
		}
		if c := w.claim(c1.ID); c.Status != claim.StatusAccepted || c.PayerClaimControlNumber != "ICN1" {
			t.Fatalf("after 277CA: %s %q", c.Status, c.PayerClaimControlNumber)
		}

		// c1 paid in full of the allowed amount (100.00 + 40.00) with
		// 20.00 coinsurance; c2 denied CO-50.
		denied := &x835.ClaimPayment{PatientControlNumber: c2.PatientControlNumber, Status: "4", ChargeCents: 17500, FilingIndicator: "12",
			PayerClaimControlNumber: "ICN2", Adjustments: []x835.Adjustment{{Group: "CO", Reason: "50", AmountCents: 17500}},
			Patient: x835.Name{EntityCode: "QC", EntityType: "1", Last: "SAMPLE", First: "PAT"}}
		raw := remit835{trace: "CHK100", claims: []*x835.ClaimPayment{paidVisit(c1.PatientControlNumber, "ICN1", 10000), denied}}.bytes(t)
		f835 := w.inbound("remit.835", raw)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, f835.ID, bytes.NewReader(raw))
		must(t, err)
		if rr.Posted != 2 || rr.Denials != 1 || rr.Underpayments != 0 || rr.Unmatched != 0 {
			t.Fatalf("posting: %+v", rr)
		}
		if s1, s2 := w.claim(c1.ID).Status, w.claim(c2.ID).Status; s1 != claim.StatusPaid || s2 != claim.StatusDenied {
			t.Fatalf("statuses %s %s", s1, s2)
		}
		want := map[string]int64{billing.AccountCash: 12000, billing.AccountContractual: 3500, billing.AccountPatientAR: 2000, billing.AccountInsuranceAR: 0}
		for acct, cents := range want {
			if got := w.balance(store.LedgerBalanceParams{Account: acct, ClaimID: c1.ID}); got != cents {
				t.Errorf("claim 1 %s = %d, want %d", acct, got, cents)
			}
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountDeniedAR, ClaimID: c2.ID}); got != 17500 {
			t.Errorf("denied claim's denied A/R %d, want 17500 (CO-50 stays owed until worked)", got)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountContractual, ClaimID: c2.ID}); got != 0 {
			t.Errorf("denied claim's contractual adjustment %d, want 0", got)
		}
		items := w.worklist(store.WorkDenial)
		if len(items) != 1 || !strings.Contains(items[0].Title, "CO-50") || !strings.Contains(string(items[0].Details), "appeal with records") {
			t.Fatalf("denial items %+v", items)
		}
		checkLedger(t, w)

		// Posting the same file again posts nothing.
		rr, err = w.svc.PostRemittance(w.ctx, w.clinic.ID, f835.ID, bytes.NewReader(raw))
		must(t, err)
		if rr.AlreadyPosted != 1 || rr.Posted != 0 {
			t.Fatalf("second posting: %+v", rr)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash}); got != 12000 {
			t.Fatalf("cash after posting twice %d", got)
		}

		balance, err := w.svc.PatientBalance(w.ctx, w.clinic.ID, w.pat.ID)
		must(t, err)
		if balance != 2000 {
			t.Fatalf("patient balance %d", balance)
		}
		must(t, w.svc.RecordPatientPayment(w.ctx, billing.PatientPaymentParams{ClinicID: w.clinic.ID, PatientID: w.pat.ID, AmountCents: 500, Reference: "R-1"}))
		stmt, err := w.svc.Statement(w.ctx, w.clinic.ID, w.pat.ID)
		must(t, err)
		var out strings.Builder
		must(t, billing.WriteStatement(&out, stmt))
		for _, s := range []string{"Patient: Sample, Pat (MRN MRN-1)", "99213", "87880-QW", "Insurance paid", "-$120.00", "Pending with insurance", "$175.00",
			"Payments and credits", "-$5.00\nBALANCE DUE", " $15.00\n"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("statement lacks %q:\n%s", s, out.String())
			}
		}
		checkLedger(t, w)
	})
}

func TestReversalUnmatchedUnderpayment(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		w.submitAll()
		raw := remit835{trace: "EFT1", claims: []*x835.ClaimPayment{paidVisit(c1.PatientControlNumber, "ICN1", 10000)}}.bytes(t)
		_, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)

		// The payer takes the payment back and pays 99213 at 90.00
		// (below the expected 100.00); an unknown claim comes along.
		rev := paidVisit(c1.PatientControlNumber, "ICN1", 10000)
		rev.Status, rev.PaidCents, rev.ChargeCents, rev.PatientResponsibilityCents = "22", -rev.PaidCents, -rev.ChargeCents, -rev.PatientResponsibilityCents
		for i := range rev.ServiceLines {
			l := &rev.ServiceLines[i]
			l.ChargeCents, l.PaidCents = -l.ChargeCents, -l.PaidCents
			for j := range l.Adjustments {
				l.Adjustments[j].AmountCents = -l.Adjustments[j].AmountCents
			}
		}
		corr := paidVisit(c1.PatientControlNumber, "ICN1", 9000)
		stranger := paidVisit("NOSUCHPCN", "NOSUCHICN", 10000)
		stranger.Patient.Last = "NOBODY"
		raw2 := remit835{trace: "EFT2", claims: []*x835.ClaimPayment{rev, corr, stranger}}.bytes(t)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw2))
		must(t, err)
		if rr.Reversals != 1 || rr.Posted != 2 || rr.Unmatched != 1 || rr.Underpayments != 1 {
			t.Fatalf("posting: %+v", rr)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash, ClaimID: c1.ID}); got != 11000 {
			t.Errorf("claim cash after reversal and correction %d, want 11000", got)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountContractual, ClaimID: c1.ID}); got != 4500 {
			t.Errorf("contractual after correction %d, want 4500", got)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountUnapplied}); got != -12000 {
			t.Errorf("unapplied %d", got)
		}
		if c := w.claim(c1.ID); c.Status != claim.StatusPaid {
			t.Errorf("status %s", c.Status)
		}
		under := w.worklist(store.WorkUnderpayment)
		if len(under) != 1 || under[0].AmountCents != 1000 {
			t.Fatalf("underpayment items %+v", under)
		}
		if un := w.worklist(store.WorkUnmatchedPayment); len(un) != 1 || un[0].AmountCents != 12000 {
			t.Fatalf("unmatched items %+v", un)
		}
		hist, err := st.ListClaimStatusHistory(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: c1.ID})
		must(t, err)
		var path []string
		for _, h := range hist {
			path = append(path, string(h.ToStatus))
			if h.Reason == "" && h.FromStatus != "" {
				t.Errorf("transition %s -> %s without a reason", h.FromStatus, h.ToStatus)
			}
		}
		if got := strings.Join(path, ","); got != "draft,ready,submitted,paid,accepted,paid" {
			t.Errorf("status history %s", got)
		}
		checkLedger(t, w)
	})
}

func TestMatchFallbacksAndBalanceErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		c2 := w.visit(w.pat2)
		w.submitAll()
		_, err := st.UpdateClaim(w.ctx, store.UpdateClaimParams{ClinicID: w.clinic.ID, ID: c1.ID, PayerClaimControlNumber: ptr("ICN-A")})
		must(t, err)
		byICN := paidVisit("MANGLED1", "ICN-A", 10000)
		// c2 by patient, date of service and charge.
		byPatient := paidVisit("MANGLED2", "", 10000)
		byPatient.Patient.Last, byPatient.Patient.First = "SECOND", "SAM"
		raw := remit835{trace: "CHK7", claims: []*x835.ClaimPayment{byICN, byPatient}}.bytes(t)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)
		if rr.Posted != 2 || rr.Unmatched != 0 {
			t.Fatalf("fallback matching: %+v", rr)
		}
		if w.claim(c1.ID).Status != claim.StatusPaid || w.claim(c2.ID).Status != claim.StatusPaid {
			t.Fatal("fallback-matched claims not paid")
		}
		// A claim payment that does not balance is not posted (its BPR02
		// agrees with it, or the whole file would be held).
		raw = []byte(strings.Replace(string(remit835{trace: "CHK8", claims: []*x835.ClaimPayment{paidVisit(c2.PatientControlNumber, "", 10000)}}.bytes(t)),
			"CLP*"+c2.PatientControlNumber+"*1*175*120", "CLP*"+c2.PatientControlNumber+"*1*175*121", 1))
		raw = bytes.Replace(raw, []byte("BPR*I*120*"), []byte("BPR*I*121*"), 1)
		rr, err = w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)
		if rr.NotPosted != 1 || rr.Posted != 0 {
			t.Fatalf("unbalanced: %+v", rr)
		}
		items := w.worklist(billing.WorkRemittanceError)
		if len(items) == 0 || !strings.Contains(string(items[0].Details), "CLP") {
			t.Fatalf("remittance error items %+v", items)
		}
		checkLedger(t, w)
	})
}

func TestSecondaryClaim(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c := w.visit(w.pat2)
		w.submitAll()
		cp := paidVisit(c.PatientControlNumber, "ICN9", 10000)
		cp.Patient.Last, cp.Patient.First = "SECOND", "SAM"
		raw := remit835{trace: "CHK9", claims: []*x835.ClaimPayment{cp}}.bytes(t)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)
		if len(rr.SecondaryClaims) != 1 {
			t.Fatalf("no secondary claim: %+v", rr)
		}
		sec := w.claim(rr.SecondaryClaims[0])
		if sec.PayerID != w.summit.ID || sec.Status != claim.StatusDraft || sec.TotalChargeCents != 17500 {
			t.Fatalf("secondary %+v", sec)
		}
		var doc claim.Claim
		must(t, json.Unmarshal(sec.Document, &doc))
		if doc.Subscriber.PayerResponsibility != "S" || len(doc.OtherPayers) != 1 {
			t.Fatalf("secondary document %+v", doc)
		}
		op := doc.OtherPayers[0]
		if op.PaidCents != 12000 || op.Payer.ID != "KHP01" || op.AdjudicationDate != claim.NewDate(2026, 3, 1) || len(doc.Lines[0].Adjudications) != 1 ||
			doc.Lines[0].Adjudications[0].PaidCents != 8000 || len(doc.Lines[0].Adjudications[0].Adjustments) != 2 {
			t.Fatalf("coordination of benefits %+v lines %+v", op, doc.Lines[0].Adjudications)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountPatientAR, PatientID: w.pat2.ID}); got != 0 {
			t.Errorf("patient A/R %d after transfer to secondary", got)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountInsuranceAR, ClaimID: sec.ID}); got != 2000 {
			t.Errorf("secondary A/R %d", got)
		}
		res, err := w.svc.Scrub(w.ctx, w.clinic.ID, []int64{sec.ID})
		must(t, err)
		if len(res.Ready) != 1 {
			t.Errorf("secondary claim scrub: %+v", res.Findings)
		}
		checkLedger(t, w)
	})
}

func TestRejections(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		sub := w.submitAll()
		f := w.inbound("rej.999", ack999(t, sub.Interchange, false))
		res, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f.ID)
		must(t, err)
		if len(res.Rejected) != 1 || w.claim(c1.ID).Status != claim.StatusRejected {
			t.Fatalf("999 rejection: %+v", res)
		}
		items := w.worklist(store.WorkRejection)
		if len(items) != 1 || !strings.Contains(string(items[0].Details), `"NM1"`) || !strings.Contains(string(items[0].Details), "IK403:7") {
			t.Fatalf("rejection items %+v", items)
		}
		// Corrected and resubmitted, then rejected by the 277CA.
		_, err = w.svc.SetClaimStatus(w.ctx, w.clinic.ID, c1.ID, claim.StatusDraft, "corrected member ID")
		must(t, err)
		w.submitAll()
		f = w.inbound("rej.277", ack277CA(t, ack277{pcn: c1.PatientControlNumber, reject: true}))
		res, err = w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, f.ID)
		must(t, err)
		if len(res.Rejected) != 1 || res.Kind != store.Ack277CA {
			t.Fatalf("277CA rejection: %+v", res)
		}
		if items = w.worklist(store.WorkRejection); len(items) != 2 || !strings.Contains(string(items[1].Details), `"562"`) {
			t.Fatalf("rejection items %+v", items)
		}
	})
}

func TestScrubFailure(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		ce, err := w.svc.CaptureEncounter(w.ctx, w.clinic.ID, billing.EncounterInput{PatientID: w.pat.ID, ProviderID: w.provider.ID,
			ServiceDate: dos, Diagnoses: []string{"ZZZ999"}, Lines: []billing.LineInput{{ProcedureCode: "99213", ChargeCents: 12500}}})
		must(t, err)
		c, err := w.svc.BuildClaim(w.ctx, w.clinic.ID, ce.Encounter.ID, billing.BuildOptions{})
		must(t, err)
		res, err := w.svc.Scrub(w.ctx, w.clinic.ID, nil)
		must(t, err)
		if len(res.Failed) != 1 || w.claim(c.ID).Status != claim.StatusScrubFailed {
			t.Fatalf("scrub: %+v", res)
		}
		items := w.worklist(store.WorkScrubFailure)
		if len(items) != 1 || !strings.Contains(string(items[0].Details), `"2300 HI`) || !strings.Contains(string(items[0].Details), `"fix"`) {
			t.Fatalf("scrub items %+v", items)
		}
	})
}

func ptr[T any](v T) *T { return &v }
