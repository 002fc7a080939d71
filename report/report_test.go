package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/report"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var pgURL string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	flag.Parse()
	return storetest.Main(m, storetest.Options{Prefix: "clearhouse_report_test"},
		func(pg storetest.Postgres) { pgURL = pg.URL })
}

// seeded returns the seeded dataset of March 2026 on each backend.
func eachBackend(t *testing.T, fn func(t *testing.T, d *report.Dataset)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := clock.New(reporttest.End)
			var st store.Store
			if name == "sqlite" {
				st = storetest.OpenSQLite(t, storetest.Options{Now: clock.Now})
			} else {
				st = storetest.OpenPostgresAt(t, pgURL, storetest.Options{Now: clock.Now, MaxConns: 2})
			}
			seed, err := reporttest.Seed(ctx, st, clock)
			if err != nil {
				t.Fatal(err)
			}
			d, err := report.Load(ctx, st, report.Params{ClinicIDs: []int64{seed.Clinic.ID}, From: reporttest.PeriodFrom, To: reporttest.PeriodTo})
			if err != nil {
				t.Fatal(err)
			}
			fn(t, d)
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	want, err := os.ReadFile(path)
	if *update && (err != nil || !bytes.Equal(got, want)) {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestSeededReports(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *report.Dataset) {
		k := report.ComputeKPIs(d)
		want := report.KPIs{From: "2026-03-01", To: "2026-03-31",
			CleanClaimRate: report.Ratio{Num: 5, Den: 6}, FirstPassAcceptance: report.Ratio{Num: 4, Den: 5}, DenialRate: report.Ratio{Num: 2, Den: 6},
			ChargesCents: 84500, InsuranceARCents: 132000, DeniedARCents: 38000, PatientARCents: 10000, ARCents: 142000, DaysInAR: 521,
			CollectionsCents: 36500, InsuranceCollectionsCents: 34500, PatientCollectionsCents: 2000, Visits: 6, RevenuePerVisitCents: 6083,
			NoShowRate: report.Ratio{Num: 2, Den: 8}}
		if k != want {
			t.Errorf("KPIs\n got %+v\nwant %+v", k, want)
		}
		ag := report.ComputeAging(d)
		if len(ag.Insurance) != 2 || ag.Insurance[0].BucketCents != [5]int64{29000, 0, 0, 0, 40000} ||
			ag.Insurance[1].BucketCents != [5]int64{33000, 0, 30000, 0, 0} || ag.Patient.BucketCents != [5]int64{0, 10000, 0, 0, 0} ||
			ag.Total.TotalCents != 142000 {
			t.Errorf("aging %+v", ag)
		}
		var out bytes.Buffer
		for _, tables := range [][]report.Table{k.Tables(), ag.Tables(), report.ComputeDenials(d).Tables(),
			report.PayerTables(k.From, k.To, report.ComputePayers(d)), report.ComputeNoShows(d).Tables()} {
			if err := report.WriteText(&out, tables...); err != nil {
				t.Fatal(err)
			}
			out.WriteString("\n")
		}
		golden(t, "seeded.txt", out.Bytes())
		raw, err := json.MarshalIndent(report.ComputeDenials(d), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "denials.json", append(raw, '\n'))
	})
}

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func ptr(v int64) *int64 { return &v }

func dataset() *report.Dataset {
	return &report.Dataset{Params: report.Params{From: day(3, 1), To: day(3, 31)},
		Payers:    map[int64]store.Payer{1: {ID: 1, PayerID: "P1", Name: "One"}},
		Providers: map[int64]store.Provider{}, Claims: map[int64]store.Claim{}, ScrubFailed: map[int64]bool{},
		First277CA: map[int64]store.Acknowledgment{}}
}

func TestCleanClaimAndFirstPass(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     claim.Status
		dos        time.Time
		failed     bool
		ack        *bool
		clean, fpa report.Ratio
	}{
		{"draft never scrubbed", claim.StatusDraft, day(3, 5), false, nil, report.Ratio{}, report.Ratio{}},
		{"draft after a failed scrub", claim.StatusDraft, day(3, 5), true, nil, report.Ratio{Num: 0, Den: 1}, report.Ratio{}},
		{"ready", claim.StatusReady, day(3, 5), false, nil, report.Ratio{Num: 1, Den: 1}, report.Ratio{}},
		{"accepted first time", claim.StatusAccepted, day(3, 5), false, new(true), report.Ratio{Num: 1, Den: 1}, report.Ratio{Num: 1, Den: 1}},
		{"rejected first time", claim.StatusAccepted, day(3, 5), false, new(false), report.Ratio{Num: 1, Den: 1}, report.Ratio{Num: 0, Den: 1}},
		{"scrub failed then paid", claim.StatusPaid, day(3, 31), true, new(true), report.Ratio{Num: 0, Den: 1}, report.Ratio{Num: 1, Den: 1}},
		{"outside the period", claim.StatusPaid, day(4, 1), false, new(true), report.Ratio{}, report.Ratio{}},
		{"voided before sending", claim.StatusVoided, day(3, 5), false, nil, report.Ratio{}, report.Ratio{}},
	} {
		d := dataset()
		d.Claims[1] = store.Claim{ID: 1, PayerID: 1, Status: tc.status, ServiceDateFrom: tc.dos, TotalChargeCents: 100}
		d.ScrubFailed[1] = tc.failed
		if tc.ack != nil {
			d.First277CA[1] = store.Acknowledgment{ID: 1, ClaimID: ptr(1), Accepted: *tc.ack}
		}
		k := report.ComputeKPIs(d)
		if k.CleanClaimRate != tc.clean || k.FirstPassAcceptance != tc.fpa {
			t.Errorf("%s: clean %+v first-pass %+v", tc.name, k.CleanClaimRate, k.FirstPassAcceptance)
		}
	}
}

func TestDenialDefinition(t *testing.T) {
	co := func(reason string, cents int64) store.ClaimAdjustment {
		return store.ClaimAdjustment{GroupCode: "CO", ReasonCode: reason, AmountCents: cents}
	}
	for _, tc := range []struct {
		name    string
		cp      store.ClaimPayment
		rate    report.Ratio
		reasons []string
	}{
		{"paid", store.ClaimPayment{StatusCode: "1", ChargeCents: 100, PaidCents: 80, Adjustments: []store.ClaimAdjustment{co("45", 20)}}, report.Ratio{Num: 0, Den: 1}, nil},
		{"CLP02 4", store.ClaimPayment{StatusCode: "4", ChargeCents: 100, Adjustments: []store.ClaimAdjustment{co("16", 100)}}, report.Ratio{Num: 1, Den: 1}, []string{"CO-16"}},
		{"nothing paid, nothing to the patient", store.ClaimPayment{StatusCode: "1", ChargeCents: 100, Adjustments: []store.ClaimAdjustment{co("45", 10), co("97", 90)}},
			report.Ratio{Num: 1, Den: 1}, []string{"CO-97"}},
		{"all to the deductible is no denial", store.ClaimPayment{StatusCode: "1", ChargeCents: 100, PatientResponsibilityCents: 100,
			Adjustments: []store.ClaimAdjustment{{GroupCode: "PR", ReasonCode: "1", AmountCents: 100}}}, report.Ratio{Num: 0, Den: 1}, nil},
		{"only contractual reasons are kept", store.ClaimPayment{StatusCode: "4", ChargeCents: 100, Adjustments: []store.ClaimAdjustment{co("45", 100)}},
			report.Ratio{Num: 1, Den: 1}, []string{"CO-45"}},
		{"reversal is not adjudication", store.ClaimPayment{StatusCode: "22", ChargeCents: -100}, report.Ratio{}, nil},
		// Regression: billing does not call a zero-pay secondary whose only
		// adjustment is CO-23 (the prior payer paid more than it allows) a
		// denial, and the report counted it.
		{"zero-pay secondary with CO-23 is no denial", store.ClaimPayment{StatusCode: "2", ChargeCents: 100, Adjustments: []store.ClaimAdjustment{co("23", 100)}},
			report.Ratio{Num: 0, Den: 1}, nil},
	} {
		d := dataset()
		d.Payments = []report.Payment{{ClaimPayment: tc.cp, PaymentDate: day(3, 3), PayerID: 1}}
		den := report.ComputeDenials(d)
		if den.Total != tc.rate {
			t.Errorf("%s: rate %+v", tc.name, den.Total)
		}
		if k := report.ComputeKPIs(d); k.DenialRate != tc.rate {
			t.Errorf("%s: KPI denial rate %+v, denials report %+v", tc.name, k.DenialRate, tc.rate)
		}
		var got []string
		for _, r := range den.ByReason {
			got = append(got, r.Group+"-"+r.Reason)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.reasons) {
			t.Errorf("%s: reasons %v, want %v", tc.name, got, tc.reasons)
		}
	}
}

func TestDaysInARAndAging(t *testing.T) {
	d := dataset()
	d.Claims[1] = store.Claim{ID: 1, PayerID: 1, ServiceDateFrom: day(3, 1)}                                     // 30 days: 0-30
	d.Claims[2] = store.Claim{ID: 2, PayerID: 1, ServiceDateFrom: day(1, 30)}                                    // 60 days: 31-60
	d.Claims[3] = store.Claim{ID: 3, PayerID: 1, ServiceDateFrom: day(1, 29)}                                    // 61 days
	d.Claims[4] = store.Claim{ID: 4, PayerID: 1, ServiceDateFrom: day(1, 1)}                                     // 89 days
	d.Claims[5] = store.Claim{ID: 5, PayerID: 1, ServiceDateFrom: time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC)} // 121 days
	ins := func(claim, cents int64) store.LedgerEntry {
		return store.LedgerEntry{Account: billing.AccountInsuranceAR, ClaimID: ptr(claim), AmountCents: cents}
	}
	pat := func(claim, patient, cents int64) store.LedgerEntry {
		e := store.LedgerEntry{Account: billing.AccountPatientAR, PatientID: ptr(patient), AmountCents: cents, EffectiveDate: day(3, 20)}
		if claim != 0 {
			e.ClaimID = ptr(claim)
		}
		return e
	}
	d.AREntries = []store.LedgerEntry{ins(1, 100), ins(2, 200), ins(3, 300), ins(4, 400), ins(5, 500), ins(5, -500), ins(5, 50),
		ins(1, -150),                                      // a credit balance on claim 1 (overpaid)
		pat(2, 7, 1000), pat(1, 7, 500), pat(0, 7, -1200), // the payment clears the older claim first
		pat(0, 8, -300)} // a patient with only a credit
	ag := report.ComputeAging(d)
	if got := ag.Insurance[0]; got.BucketCents != [5]int64{0, 200, 700, 0, 50} || got.CreditCents != -50 || got.TotalCents != 950 {
		t.Errorf("insurance %+v", got)
	}
	if ag.Patient.BucketCents != [5]int64{300, 0, 0, 0, 0} || ag.Patient.CreditCents != -300 {
		t.Errorf("patient %+v", ag.Patient)
	}
	d.PeriodEntries = []store.LedgerEntry{{Account: billing.AccountRevenue, AmountCents: -3100}, {Account: billing.AccountRevenue, AmountCents: 100}}
	k := report.ComputeKPIs(d)
	// A/R 950 - 50 + 300 - 300 = 900 (credits net in), charges 30.00 a
	// month of 31 days: 900 * 31 / 3000 = 9.3 days.
	if k.ARCents != 900 || k.ChargesCents != 3000 || k.DaysInAR != 93 {
		t.Errorf("A/R %d charges %d days %s", k.ARCents, k.ChargesCents, k.DaysInAR)
	}
}

func TestRatioAndMoney(t *testing.T) {
	for _, tc := range []struct {
		r    report.Ratio
		want string
	}{{report.Ratio{Num: 5, Den: 6}, "83.3"}, {report.Ratio{Num: 1, Den: 8}, "12.5"}, {report.Ratio{Num: 2, Den: 3}, "66.7"},
		{report.Ratio{}, "-"}, {report.Ratio{Num: 3, Den: 3}, "100.0"}} {
		if got := tc.r.Percent(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.r, got, tc.want)
		}
	}
	raw, _ := json.Marshal(report.Ratio{})
	if string(raw) != `{"numerator":0,"denominator":0,"percent":null}` {
		t.Errorf("json %s", raw)
	}
}

func TestNoShows(t *testing.T) {
	d := dataset()
	d.Providers[1] = store.Provider{ID: 1, LastName: "KIM", FirstName: "ANN"}
	for _, st := range []string{store.AppointmentCompleted, store.AppointmentCheckedIn, store.AppointmentNoShow, store.AppointmentCancelled, store.AppointmentBooked} {
		d.Appointments = append(d.Appointments, store.Appointment{ProviderID: 1, Status: st})
	}
	n := report.ComputeNoShows(d)
	if len(n.ByProvider) != 1 || n.ByProvider[0].Provider != "KIM, ANN" || n.Total.Rate != (report.Ratio{Num: 1, Den: 3}) ||
		n.Total.Cancelled != 1 || n.Total.Booked != 1 {
		t.Errorf("no-shows %+v", n)
	}
}

func TestParams(t *testing.T) {
	for _, p := range []report.Params{{}, {From: day(3, 2), To: day(3, 1)}} {
		if _, err := report.Load(context.Background(), nil, p); !errors.Is(err, report.ErrInvalid) {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	err := report.WriteCSV(&b, report.Table{Title: "a", Columns: []string{"x"}, Rows: [][]string{{"1,5"}}}, report.Table{Title: "b", Columns: []string{"y"}})
	if err != nil || b.String() != "section,x\na,\"1,5\"\nsection,y\n" {
		t.Errorf("%q %v", b.String(), err)
	}
}

// BenchmarkComputeKPIs computes the KPIs of 20,000 claims with a payment
// each, and reports claims/s (the input is a dataset, not bytes).
func BenchmarkComputeKPIs(b *testing.B) {
	d := dataset()
	for i := int64(1); i <= 20000; i++ {
		d.Claims[i] = store.Claim{ID: i, PayerID: 1, Status: claim.StatusPaid, ServiceDateFrom: day(3, 1+int(i%31))}
		d.First277CA[i] = store.Acknowledgment{ID: i, Accepted: i%10 != 0}
		if i%20 == 0 {
			d.ScrubFailed[i] = true
		}
		d.Payments = append(d.Payments, report.Payment{ClaimPayment: store.ClaimPayment{StatusCode: "1", ChargeCents: 100, PaidCents: 80,
			Adjustments: []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 20}}}, PayerID: 1})
		d.AREntries = append(d.AREntries, store.LedgerEntry{Account: billing.AccountInsuranceAR, ClaimID: ptr(i), AmountCents: 100})
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = report.ComputeKPIs(d)
		_ = report.ComputeAging(d)
		_ = report.ComputeDenials(d)
	}
	b.ReportMetric(20000*float64(b.N)/b.Elapsed().Seconds(), "claims/s")
}
