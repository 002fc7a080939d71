package billing_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/edi/x999"
	"github.com/clearhouse/clearhouse/store"
)

// FuzzCheck999: whatever a decoded 999 holds, Check999 does not panic and
// every error it reports carries the file.
func FuzzCheck999(f *testing.F) {
	ic := store.Interchange{ControlNumber: 3, GroupControlNumber: 3, FirstSetControlNumber: 1, SetCount: 1}
	for _, accept := range []bool{true, false} {
		raw := string(ack999(&testing.T{}, ic, accept))
		f.Add([]byte(raw))
		f.Add([]byte(strings.Replace(raw, "IK5*R*5~", "", 1)))
		f.Add([]byte(strings.Replace(raw, "IK5*R*5~", "IK5*Q~", 1)))
		f.Add([]byte(strings.Replace(raw, "AK9*", "AK8*", 1)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := x999.Decode(edi.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		l := billing.Check999(file, "fuzz.999")
		for _, e := range l.Errs {
			if e.Pos.File != "fuzz.999" || e.Pos.SegmentID == "" {
				t.Fatalf("error without its position: %v", e)
			}
		}
	})
}

// FuzzCheckRemittance: whatever a decoded 835 holds, the hold checks do not
// panic and every hold says why.
func FuzzCheckRemittance(f *testing.F) {
	t := &testing.T{}
	f.Add(remit835{trace: "CHK1", claims: []*x835.ClaimPayment{paidVisit("PCN1", "ICN1", 10000), deniedVisit("PCN2", "ICN2", "CO", "50")}}.bytes(t))
	f.Add(remit835{trace: "CHK2", claims: []*x835.ClaimPayment{reversalOf(paidVisit("PCN1", "ICN1", 10000)), paidVisit("PCN1", "ICN1", 13000)}}.bytes(t))
	prior, _ := json.Marshal(map[string]string{"kind": "original", "serviceDate": "2026-02-16"})
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := x835.NewDecoder(bytes.NewReader(data))
		for dec.Next() {
			cp := dec.Claim()
			pc := billing.PaymentContext{Claim: &store.Claim{Status: claim.StatusSubmitted, TotalChargeCents: 17500},
				Prior: []store.ClaimPayment{{ID: 1, StatusCode: "1", PaidCents: cp.PaidCents, PayerClaimControlNumber: cp.PayerClaimControlNumber,
					PatientControlNumber: cp.PatientControlNumber, Document: prior}}}
			for _, h := range billing.CheckClaimPayment(cp, pc) {
				if h.Reason == "" || h.Message == "" || h.Grain != billing.HoldClaimPayment {
					t.Fatalf("hold %+v", h)
				}
			}
		}
		for _, rem := range dec.Remittances() {
			for _, h := range billing.CheckRemittance(rem, billing.ClinicIdentity{NPIs: []string{"1234567893"}}) {
				if h.Reason == "" || h.Message == "" || h.Grain != billing.HoldFile {
					t.Fatalf("hold %+v", h)
				}
			}
		}
	})
}

// BenchmarkCheckClaimPayment is the per-claim cost of the hold checks in
// posting: a claim payment with two lines against one prior payment.
func BenchmarkCheckClaimPayment(b *testing.B) {
	cp := paidVisit("PCN1", "ICN1", 10000)
	cp.Remittance = &x835.Remittance{TraceNumber: "CHK2"}
	prior, _ := json.Marshal(map[string]string{"kind": "original", "serviceDate": "2026-02-16", "serviceThrough": "2026-02-16"})
	pc := billing.PaymentContext{Claim: &store.Claim{Status: claim.StatusAccepted, TotalChargeCents: 17500},
		Prior: []store.ClaimPayment{{ID: 1, StatusCode: "1", PaidCents: 11000, PayerClaimControlNumber: "ICN1", Document: prior}}}
	b.ReportAllocs()
	for b.Loop() {
		if hs := billing.CheckClaimPayment(cp, pc); len(hs) != 0 {
			b.Fatal(hs)
		}
	}
}
