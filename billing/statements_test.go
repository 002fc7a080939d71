package billing_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
)

var update = flag.Bool("update", false, "rewrite the golden files that differ")

func sampleStatement() *billing.Statement {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	return &billing.Statement{
		Clinic: store.Clinic{Name: "Riverside Family Medicine", ClinicSettings: store.ClinicSettings{}},
		Patient: store.Patient{FirstName: "Grace", LastName: "Hopper", MRN: "MRN-1", AddressLine1: "1 Navy Way", City: "Arlington",
			State: "VA", PostalCode: "22201"},
		Date: d(2026, 3, 2),
		Visits: []billing.StatementVisit{
			{ServiceDate: d(2025, 11, 20), Lines: []billing.StatementLine{{Procedure: "99214", ChargeCents: 20000}}, ChargeCents: 20000,
				InsurancePaidCents: 12000, AdjustmentCents: 4000, PatientResponsibilityCents: 4000, PatientPaidCents: 1000, BalanceCents: 3000},
			{ServiceDate: d(2026, 2, 10), Lines: []billing.StatementLine{{Procedure: "99213", ChargeCents: 15000}, {Procedure: "87880-QW", ChargeCents: 3000}},
				ChargeCents: 18000, InsurancePaidCents: 9000, AdjustmentCents: 5000, PatientResponsibilityCents: 4000, BalanceCents: 4000},
		},
		PatientPaymentCents: 1000,
		CreditCents:         500,
		AgingCents:          [4]int64{4000, 0, 3000, 0},
		BalanceDueCents:     6500,
	}
}

func TestWriteStatementGolden(t *testing.T) {
	var out bytes.Buffer
	must(t, billing.WriteStatement(&out, sampleStatement()))
	const golden = "testdata/statement.golden"
	want, err := os.ReadFile(golden)
	if err != nil && !*update {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		if *update {
			must(t, os.WriteFile(golden, out.Bytes(), 0o644))
			return
		}
		t.Fatalf("statement differs from %s:\n%s", golden, out.String())
	}
}

func TestWriteStatementsPDF(t *testing.T) {
	sts := []*billing.Statement{sampleStatement(), sampleStatement()}
	var a, b bytes.Buffer
	must(t, billing.WriteStatementsPDF(&a, sts))
	must(t, billing.WriteStatementsPDF(&b, sts))
	pdf := a.String()
	if !strings.HasPrefix(pdf, "%PDF-1.") || !strings.HasSuffix(strings.TrimSpace(pdf), "%%EOF") {
		t.Fatalf("not a PDF: %q...", pdf[:min(len(pdf), 20)])
	}
	if n := strings.Count(pdf, "/Type /Page\n"); n != 2 {
		t.Errorf("%d pages, want one per statement (2)", n)
	}
	for _, s := range []string{"/Title", "/CreationDate (D:20260302"} {
		if !strings.Contains(pdf, s) {
			t.Errorf("PDF lacks %q", s)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same statements made different PDF bytes")
	}
	var empty bytes.Buffer
	must(t, billing.WriteStatementsPDF(&empty, nil))
	if strings.Count(empty.String(), "/Type /Page\n") != 1 {
		t.Error("no statements: want one page saying so")
	}
}
