package x835_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
)

func ExampleDecoder() {
	f, err := os.Open("testdata/golden/professional_and_institutional.x12")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	d := x835.NewDecoder(f)
	for d.Next() {
		cp := d.Claim()
		fmt.Printf("%s %s %s paid %s, %d lines, %d balance errors\n", cp.PatientControlNumber, cp.Status, cp.Kind,
			fmt.Sprintf("%d.%02d", cp.PaidCents/100, abs(cp.PaidCents%100)), len(cp.ServiceLines), len(cp.Errors))
	}
	if err := d.Err(); err != nil {
		fmt.Println(err)
	}
	for _, r := range d.Remittances() {
		fmt.Printf("%s %s: %d provider adjustments, %d errors\n", r.TraceNumber, r.PaymentMethod, len(r.ProviderAdjustments), len(r.Errors))
	}
	// Output:
	// PCN1001 1 original paid 120.00, 1 lines, 0 balance errors
	// PCN1002 1 original paid 180.00, 2 lines, 0 balance errors
	// PCN1003 4 original paid 0.00, 0 lines, 0 balance errors
	// PCN2001 22 reversal paid -120.00, 0 lines, 0 balance errors
	// PCN2001 1 correction paid 130.00, 0 lines, 0 balance errors
	// PCN3001 1 original paid 3800.00, 0 lines, 0 balance errors
	// CHK0005521 CHK: 3 provider adjustments, 0 errors
	// EFT0000777 ACH: 0 provider adjustments, 0 errors
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func ExampleEncoder() {
	day := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	var out strings.Builder
	e := x835.NewEncoder(&out,
		edi.ISAHeader{SenderID: "PAYERSIM", ReceiverID: "CLEARHOUSE", Time: day, ControlNumber: 7},
		edi.GSHeader{SenderCode: "PAYERSIM", ReceiverCode: "CLEARHOUSE", Time: day, ControlNumber: 7})
	e.BeginRemittance(&x835.Remittance{
		HandlingCode: "I", TotalPaidCents: 8000, CreditDebit: "C", PaymentMethod: "CHK", PaymentDate: day,
		TraceNumber: "CHK1", TraceOriginator: "1370000001",
		Payer: x835.Party{Name: "ACME", Address: x835.Address{Line1: "1 MAIN", City: "SPRINGFIELD", State: "IL", PostalCode: "62701"},
			Contacts: []x835.Contact{{Function: "BL", Numbers: []x835.ContactNumber{{Qualifier: "TE", Number: "8005550100"}}}}},
		Payee: x835.Party{Name: "CLINIC", IDQualifier: "XX", ID: "1234567893"},
	}, 1)
	e.WriteClaim(&x835.ClaimPayment{
		PatientControlNumber: "PCN1", Status: "1", ChargeCents: 10000, PaidCents: 8000, FilingIndicator: "12",
		Adjustments: []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: 2000}},
		Patient:     x835.Name{EntityCode: "QC", Last: "DOE", First: "JANE", IDQualifier: "MI", ID: "M1"},
	})
	e.EndRemittance(nil)
	if err := e.Close(); err != nil {
		fmt.Println(err)
	}
	for _, seg := range strings.Split(out.String(), "~")[3:12] {
		fmt.Println(seg)
	}
	// Output:
	// BPR*I*80*C*CHK************20260115
	// TRN*1*CHK1*1370000001
	// N1*PR*ACME
	// N3*1 MAIN
	// N4*SPRINGFIELD*IL*62701
	// PER*BL**TE*8005550100
	// N1*PE*CLINIC*XX*1234567893
	// LX*1
	// CLP*PCN1*1*100*80**12
}
