package x835_test

import (
	"fmt"
	"os"

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
