package billing_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/edi/x999"
	"github.com/clearhouse/clearhouse/store"
)

// reversalOf is the CLP02 22 reversal of a claim payment: every amount
// negated.
func reversalOf(cp *x835.ClaimPayment) *x835.ClaimPayment {
	rev := cp.Clone()
	rev.ServiceLines = nil
	rev.Status, rev.PaidCents, rev.ChargeCents, rev.PatientResponsibilityCents = "22", -cp.PaidCents, -cp.ChargeCents, -cp.PatientResponsibilityCents
	for _, l := range cp.ServiceLines {
		l.ChargeCents, l.PaidCents = -l.ChargeCents, -l.PaidCents
		l.Adjustments = slices.Clone(l.Adjustments)
		for j := range l.Adjustments {
			l.Adjustments[j].AmountCents = -l.Adjustments[j].AmountCents
		}
		rev.ServiceLines = append(rev.ServiceLines, l)
	}
	return rev
}

func reasonsOf(hs []billing.Hold) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Reason)
	}
	return out
}

// TestCheckClaimPayment: the claim-payment holds, as a pure function over
// the decoded claim payment and what was loaded for it.
func TestCheckClaimPayment(t *testing.T) {
	submitted := &store.Claim{ID: 7, Status: claim.StatusSubmitted, TotalChargeCents: 17500}
	posted := func(id int64, status string, paid int64, icn string, doc string) store.ClaimPayment {
		return store.ClaimPayment{ID: id, StatusCode: status, PaidCents: paid, PayerClaimControlNumber: icn, PatientControlNumber: "PCN1",
			Document: json.RawMessage(doc)}
	}
	prior := posted(1, "1", 12000, "ICN1", `{"kind":"original","serviceDate":"2026-02-16","serviceThrough":"2026-02-16"}`)
	absurd := paidVisit("PCN1", "ICN1", 10000)
	absurd.PaidCents = 9999999999
	absurd.Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: -(9999999999 - 12000)}}
	negative := paidVisit("PCN1", "ICN1", 13000) // CO-45 -5.00 on 99213
	tests := []struct {
		name string
		cp   *x835.ClaimPayment
		pc   billing.PaymentContext
		want []string
	}{
		{"first payment", paidVisit("PCN1", "ICN1", 10000), billing.PaymentContext{Claim: submitted}, nil},
		{"resent payment", paidVisit("PCN1", "ICN1", 10000), billing.PaymentContext{Claim: submitted, Prior: []store.ClaimPayment{prior}},
			[]string{billing.HoldDuplicate}},
		{"resent, unmatched", paidVisit("NOSUCH", "ICN1", 10000), billing.PaymentContext{Prior: []store.ClaimPayment{prior}},
			[]string{billing.HoldDuplicate}},
		{"same claim, other amount", paidVisit("PCN1", "ICN1", 9000), billing.PaymentContext{Claim: submitted, Prior: []store.ClaimPayment{prior}}, nil},
		{"same amount, other payer claim", paidVisit("PCN1", "ICN2", 10000), billing.PaymentContext{Claim: submitted, Prior: []store.ClaimPayment{prior}}, nil},
		{"same claim, other dates", paidVisit("PCN1", "ICN1", 10000), billing.PaymentContext{Claim: submitted, Prior: []store.ClaimPayment{
			posted(1, "1", 12000, "ICN1", `{"kind":"original","serviceDate":"2026-02-17"}`)}}, nil},
		{"after a reversal in the same set", paidVisit("PCN1", "ICN1", 10000),
			billing.PaymentContext{Claim: submitted, Prior: []store.ClaimPayment{prior}, AfterReversal: true}, nil},
		{"after a posted reversal", paidVisit("PCN1", "ICN1", 10000), billing.PaymentContext{Claim: submitted, Prior: []store.ClaimPayment{prior,
			posted(2, "22", -12000, "ICN1", `{"kind":"reversal","reverses":1}`)}}, nil},
		{"the reversal itself", reversalOf(paidVisit("PCN1", "ICN1", 10000)),
			billing.PaymentContext{Claim: &store.Claim{ID: 7, Status: claim.StatusPaid, TotalChargeCents: 17500}, Prior: []store.ClaimPayment{prior}}, nil},
		{"paid above the charge", absurd, billing.PaymentContext{Claim: submitted}, []string{billing.HoldOverpaid, billing.HoldNegativeContractual}},
		{"negative contractual", negative, billing.PaymentContext{Claim: submitted}, []string{billing.HoldNegativeContractual}},
		{"claim never submitted", paidVisit("PCN1", "ICN1", 10000), billing.PaymentContext{Claim: &store.Claim{Status: claim.StatusReady, TotalChargeCents: 17500}},
			[]string{billing.HoldClaimStatus}},
		{"claim rejected by the 277CA", deniedVisit("PCN1", "ICN1", "CO", "50"),
			billing.PaymentContext{Claim: &store.Claim{Status: claim.StatusRejected, TotalChargeCents: 17500}}, []string{billing.HoldClaimStatus}},
		{"reversal of a voided claim", reversalOf(paidVisit("PCN1", "ICN1", 10000)),
			billing.PaymentContext{Claim: &store.Claim{Status: claim.StatusVoided, TotalChargeCents: 17500}}, []string{billing.HoldClaimStatus}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rem := &x835.Remittance{TraceNumber: "CHK2"}
			tt.cp.Remittance = rem
			if tt.cp.Status == "22" {
				tt.cp.Kind = x835.Reversal
			}
			hs := billing.CheckClaimPayment(tt.cp, tt.pc)
			if got := reasonsOf(hs); !slices.Equal(got, tt.want) {
				t.Fatalf("holds %v, want %v: %+v", got, tt.want, hs)
			}
			for _, h := range hs {
				if h.Grain != billing.HoldClaimPayment || h.Message == "" || h.PatientControlNumber != tt.cp.PatientControlNumber {
					t.Errorf("hold %+v", h)
				}
			}
		})
	}
	hs := billing.CheckClaimPayment(absurd, billing.PaymentContext{Claim: submitted})
	if hs[0].AmountCents != 9999999999-17500 || !strings.Contains(hs[0].Message, "99999999.99") || !strings.Contains(hs[0].Message, "175") {
		t.Errorf("overpayment hold %+v", hs[0])
	}
}

// TestCheckRemittance: the file holds, as a pure function over the decoded
// transaction set.
func TestCheckRemittance(t *testing.T) {
	decode := func(t *testing.T, raw []byte) *x835.Remittance {
		t.Helper()
		dec := x835.NewDecoder(bytes.NewReader(raw))
		for dec.Next() {
		}
		must(t, dec.Err())
		return dec.Remittances()[0]
	}
	clinic := billing.ClinicIdentity{NPIs: []string{"1234567893"}, TaxID: "123456789"}
	good := remit835{trace: "CHK1", claims: []*x835.ClaimPayment{paidVisit("PCN1", "ICN1", 10000), paidVisit("PCN2", "ICN2", 10000)}}.bytes(t)
	tests := []struct {
		name string
		raw  []byte
		want []string
	}{
		{"balanced, the clinic's payee", good, nil},
		{"BPR02 above the claims", bytes.Replace(good, []byte("BPR*I*240*"), []byte("BPR*I*999999*"), 1), []string{billing.HoldUnbalanced}},
		{"another payee", bytes.Replace(good, []byte("*XX*1234567893"), []byte("*XX*1999999996"), 1), []string{billing.HoldPayee}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := billing.CheckRemittance(decode(t, tt.raw), clinic)
			if got := reasonsOf(hs); !slices.Equal(got, tt.want) {
				t.Fatalf("holds %v, want %v: %+v", got, tt.want, hs)
			}
			for _, h := range hs {
				if h.Grain != billing.HoldFile || h.Position == "" {
					t.Errorf("hold %+v", h)
				}
			}
		})
	}
}

// TestDuplicatePaymentHeld (issue 14, finding 1): the same claim payments
// resent under a new trace number (TRN02) and interchange (ISA13) are held
// as suspected duplicates, one worklist item each, and post nothing; a
// reversal and correction pair with the same amounts posts.
func TestDuplicatePaymentHeld(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		c2 := w.visit(w.pat2)
		w.submitAll()
		pay := func(c store.Claim, icn string) *x835.ClaimPayment {
			cp := paidVisit(c.PatientControlNumber, icn, 10000)
			if c.PatientID == w.pat2.ID {
				cp.Patient.Last, cp.Patient.First = "SECOND", "SAM"
			}
			return cp
		}
		first := remit835{trace: "CHK1", isa: 41, claims: []*x835.ClaimPayment{pay(c1, "ICN1"), pay(c2, "ICN2")}}.bytes(t)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, w.inbound("first.835", first).ID, bytes.NewReader(first))
		must(t, err)
		if rr.Posted != 2 || rr.Held != 0 {
			t.Fatalf("first: %+v", rr)
		}
		before := []claimLedger{w.claimLedger(c1.ID), w.claimLedger(c2.ID)}
		resent := remit835{trace: "CHK1-RESENT", isa: 42, claims: []*x835.ClaimPayment{pay(c1, "ICN1"), pay(c2, "ICN2")}}.bytes(t)
		f := w.inbound("resent.835", resent)
		for range 2 { // the same file twice holds once
			rr, err = w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(resent))
			must(t, err)
		}
		if rr.Posted != 0 || rr.AlreadyPosted != 1 {
			t.Fatalf("resent again: %+v", rr)
		}
		items := w.worklist(billing.WorkHeldPayment)
		if len(items) != 2 {
			t.Fatalf("held items %+v", items)
		}
		for i, it := range items {
			c := []store.Claim{c1, c2}[i]
			if it.ClaimID == nil || *it.ClaimID != c.ID || it.AmountCents != 12000 || !strings.Contains(it.Title, "duplicate") ||
				!strings.Contains(it.Title, "120") || !strings.Contains(string(it.Details), `"priorPaymentId"`) {
				t.Errorf("item %d: %+v %s", i, it, it.Details)
			}
		}
		for i, c := range []store.Claim{c1, c2} {
			if got := w.claimLedger(c.ID); got != before[i] || got.insuranceAR != 0 {
				t.Errorf("claim %d ledger %+v, want %+v", c.ID, got, before[i])
			}
			if got := w.claim(c.ID).Status; got != claim.StatusPaid {
				t.Errorf("claim %d %s", c.ID, got)
			}
		}
		cps, err := st.ListClaimPayments(w.ctx, store.ListClaimPaymentsParams{ClinicID: w.clinic.ID, ClaimID: c1.ID})
		must(t, err)
		if len(cps) != 1 {
			t.Fatalf("claim payments of claim 1: %d", len(cps))
		}

		// The payer reverses and pays again the same: a pair, posted.
		orig := pay(c1, "ICN1")
		pair := remit835{trace: "CHK3", isa: 43, claims: []*x835.ClaimPayment{reversalOf(orig), pay(c1, "ICN1")}}.bytes(t)
		rr, err = w.svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(pair))
		must(t, err)
		if rr.Reversals != 1 || rr.Posted != 2 || rr.Held != 0 {
			t.Fatalf("reversal and correction: %+v", rr)
		}
		if got := w.claimLedger(c1.ID); got != before[0] {
			t.Errorf("after the pair %+v, want %+v", got, before[0])
		}
		checkLedger(t, w)
	})
}

// TestAbsurdPaymentsHeld (issue 14, finding 2): a payment above the charge
// balanced by a negative CO-45, a negative contractual adjustment, a
// payment of a claim never submitted or rejected by the 277CA are held one
// claim payment at a time; an 835 whose BPR02 does not balance or that pays
// another payee is held whole. Nothing held posts, each hold is one item.
func TestAbsurdPaymentsHeld(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		c2 := w.visit(w.pat)
		c3 := w.visit(w.pat)
		c4 := w.visit(w.pat)
		w.submitAll()
		rejected := w.inbound("reject.277", ack277CA(t, ack277{pcn: c4.PatientControlNumber, reject: true}))
		_, err := w.svc.ApplyAcknowledgment(w.ctx, w.clinic.ID, rejected.ID)
		must(t, err)
		draft := w.visit(w.pat) // never submitted

		absurd := paidVisit(c1.PatientControlNumber, "ICN1", 10000)
		absurd.PaidCents = 9999999999
		absurd.ServiceLines[0].PaidCents += 9999999999 - 12000
		absurd.ServiceLines[0].Adjustments[0].AmountCents -= 9999999999 - 12000
		negative := paidVisit(c2.PatientControlNumber, "ICN2", 13000)
		good := paidVisit(c3.PatientControlNumber, "ICN3", 10000)
		afterReject := paidVisit(c4.PatientControlNumber, "ICN4", 10000)
		unsubmitted := paidVisit(draft.PatientControlNumber, "ICN5", 10000)
		raw := remit835{trace: "CHK1", claims: []*x835.ClaimPayment{absurd, negative, good, afterReject, unsubmitted}}.bytes(t)
		f := w.inbound("absurd.835", raw)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(raw))
		must(t, err)
		if rr.Posted != 1 || rr.Held != 4 || rr.HeldFile {
			t.Fatalf("posting: %+v", rr)
		}
		want := map[int64]string{c1.ID: "overpaid, negative_contractual", c2.ID: "negative_contractual", c4.ID: "claim_status",
			draft.ID: "claim_status"}
		items := w.worklist(billing.WorkHeldPayment)
		if len(items) != len(want) {
			t.Fatalf("held items %+v", items)
		}
		for _, it := range items {
			if it.ClaimID == nil || !strings.Contains(it.Title, "("+want[*it.ClaimID]+")") {
				t.Errorf("item %+v, want %q", it, want[*it.ClaimID])
			}
		}
		if got := w.claim(c1.ID); got.Status != claim.StatusSubmitted {
			t.Errorf("absurd payment moved the claim to %s", got.Status)
		}
		if got := w.claim(c4.ID).Status; got != claim.StatusRejected {
			t.Errorf("rejected claim %s", got)
		}
		if got := w.claim(draft.ID).Status; got != claim.StatusDraft {
			t.Errorf("unsubmitted claim %s", got)
		}
		if got := w.claim(c3.ID).Status; got != claim.StatusPaid {
			t.Errorf("good payment: %s", got)
		}
		if cash := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash}); cash != 12000 {
			t.Errorf("cash %d, want only the good payment's 12000", cash)
		}
		if got, err := st.GetInboundFile(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: f.ID}); err != nil || got.State != store.InboundProcessed {
			t.Errorf("file %s %v", got.State, err)
		}
		checkLedger(t, w)

		// Whole-file holds: nothing of the file posts.
		c5 := w.visit(w.pat)
		w.submitAll()
		pay := remit835{trace: "CHK2", isa: 52, claims: []*x835.ClaimPayment{paidVisit(c5.PatientControlNumber, "ICN6", 10000)}}.bytes(t)
		files := []struct {
			name, reason string
			raw          []byte
		}{
			{"bpr.835", billing.HoldUnbalanced, bytes.Replace(pay, []byte("BPR*I*120*"), []byte("BPR*I*99999999.99*"), 1)},
			{"payee.835", billing.HoldPayee, bytes.Replace(pay, []byte("*XX*1234567893"), []byte("*XX*1999999996"), 1)},
		}
		for _, ff := range files {
			f := w.inbound(ff.name, ff.raw)
			for range 2 {
				rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(ff.raw))
				must(t, err)
				if !rr.HeldFile || rr.Posted != 0 || len(rr.Holds) != 1 || rr.Holds[0].Reason != ff.reason {
					t.Fatalf("%s: %+v", ff.name, rr)
				}
			}
			got, err := st.GetInboundFile(w.ctx, store.Ref{ClinicID: w.clinic.ID, ID: f.ID})
			must(t, err)
			if got.State != store.InboundHeld || got.Error == "" {
				t.Errorf("%s: state %s %q", ff.name, got.State, got.Error)
			}
		}
		held := w.worklist(billing.WorkHeldRemittance)
		if len(held) != 2 || !strings.Contains(held[0].Title, "bpr.835") || !strings.Contains(held[0].Title, "99999999.99") ||
			!strings.Contains(held[1].Title, "1999999996") {
			t.Fatalf("held file items %+v", held)
		}
		if got := w.claim(c5.ID).Status; got != claim.StatusSubmitted {
			t.Errorf("held file moved the claim to %s", got)
		}
		rs, err := st.ListRemittances(w.ctx, store.ListRemittancesParams{ClinicID: w.clinic.ID})
		must(t, err)
		if len(rs) != 1 {
			t.Errorf("remittances recorded %d, want 1 (held files record none)", len(rs))
		}
		checkLedger(t, w)
	})
}

// TestSamplesPassChecks: the real 999s and 835s of the sample corpus break
// none of the rules Check999, CheckRemittance and CheckClaimPayment apply
// (the payee is not compared: the samples pay other providers).
func TestSamplesPassChecks(t *testing.T) {
	for _, set := range []string{"999", "835"} {
		files, err := filepath.Glob(filepath.Join("..", "fixtures", "x12", "samples", set, "*"))
		must(t, err)
		if len(files) == 0 {
			t.Fatalf("no %s samples", set)
		}
		for _, p := range files {
			raw, err := os.ReadFile(p)
			must(t, err)
			name := filepath.Base(p)
			if set == "999" {
				f, err := x999.Decode(edi.NewReader(bytes.NewReader(raw)))
				must(t, err)
				if err := billing.Check999(f, name).Err(); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				continue
			}
			dec := x835.NewDecoder(bytes.NewReader(raw))
			for dec.Next() {
				if hs := billing.CheckClaimPayment(dec.Claim(), billing.PaymentContext{}); len(hs) > 0 {
					t.Errorf("%s: %+v", name, hs)
				}
			}
			must(t, dec.Err())
			for _, r := range dec.Remittances() {
				if hs := billing.CheckRemittance(r, billing.ClinicIdentity{}); len(hs) > 0 {
					t.Errorf("%s: %+v", name, hs)
				}
			}
		}
	}
}

// TestTraceReusedByAnotherFile: an 835 whose trace number (TRN02, TRN03)
// another file already carried, with other content, is neither posted
// twice nor dropped unseen: one remittance_error item names both files
// (a regression test of the hostile corpus's trace collision).
func TestTraceReusedByAnotherFile(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1, c2 := w.visit(w.pat), w.visit(w.pat2)
		w.submitAll()
		first := remit835{trace: "CHK9", isa: 51, claims: []*x835.ClaimPayment{paidVisit(c1.PatientControlNumber, "ICN1", 10000)}}.bytes(t)
		rr, err := w.svc.PostRemittance(w.ctx, w.clinic.ID, w.inbound("first.835", first).ID, bytes.NewReader(first))
		must(t, err)
		if rr.Posted != 1 {
			t.Fatalf("first: %+v", rr)
		}
		cash := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash})
		other := paidVisit(c2.PatientControlNumber, "ICN2", 10000)
		other.Patient.Last, other.Patient.First = "SECOND", "SAM"
		second := remit835{trace: "CHK9", isa: 52, claims: []*x835.ClaimPayment{other}}.bytes(t)
		f := w.inbound("second.835", second)
		for range 2 { // the same file twice raises one item
			rr, err = w.svc.PostRemittance(w.ctx, w.clinic.ID, f.ID, bytes.NewReader(second))
			must(t, err)
			if rr.Posted != 0 || rr.AlreadyPosted != 1 {
				t.Fatalf("second: %+v", rr)
			}
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash}); got != cash {
			t.Fatalf("cash %d after the second file, want %d", got, cash)
		}
		items := w.worklist(billing.WorkRemittanceError)
		if len(items) != 1 || !strings.Contains(items[0].Title, "second.835 carries trace CHK9") {
			t.Fatalf("items %+v", items)
		}
		var d struct {
			InboundFileID int64 `json:"inboundFileId"`
		}
		if err := json.Unmarshal(items[0].Details, &d); err != nil || d.InboundFileID != f.ID {
			t.Fatalf("item details %s: %v", items[0].Details, err)
		}
	})
}
