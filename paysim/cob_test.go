package paysim

import (
	"fmt"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
)

// TestPriorBalance reads what the prior payers left of each line from the
// x837 test claims' 2320 and 2430 loops.
func TestPriorBalance(t *testing.T) {
	tests := []struct {
		file string
		left []int64
		ok   bool
	}{
		// Medicare paid 72.00 of 125.00 (CO-45 35.00, PR-2 18.00) and
		// denied the 25.00 line (CO-97): 18.00 is left.
		{file: "secondary-with-primary-payment", left: []int64{1800, 0}, ok: true},
		// Medicare then the secondary: the secondary's OA-23 stands for
		// Medicare's share and is not counted twice; its PR-1 10.00 is
		// what is left.
		{file: "tertiary-after-primary-and-secondary", left: []int64{1000, 0}, ok: true},
		{file: "institutional-tertiary", left: []int64{2000, 0}, ok: true},
		{file: "office-visit-single-line"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := loadClaims(t, tt.file)[0]
			left, ok := priorBalance(&c)
			if ok != tt.ok || fmt.Sprint(left) != fmt.Sprint(tt.left) {
				t.Errorf("priorBalance = %v, %v; want %v, %v", left, ok, tt.left, tt.ok)
			}
		})
	}

	// Without 2430 loops the claim total is held to the last prior
	// payer's AMT*EAF, taken off the last lines first.
	c := loadClaims(t, "tertiary-after-primary-and-secondary")[0]
	for i := range c.Lines {
		c.Lines[i].Adjudications = nil
	}
	if left, _ := priorBalance(&c); fmt.Sprint(left) != "[1000 0]" {
		t.Errorf("without 2430: %v, want [1000 0]", left)
	}
	// Without AMT*EAF either: the charge less AMT*D and 2320 adjustments.
	for i := range c.OtherPayers {
		c.OtherPayers[i].RemainingPatientLiabilityCents = nil
	}
	c.OtherPayers[0].Adjustments = []claim.Adjustment{{Group: "CO", Reason: "45", AmountCents: 5700}, {Group: "PR", Reason: "2", AmountCents: 2560}}
	// 185.00 - 102.40 - 15.60 paid - 57.00 CO-45 = 10.00.
	if left, _ := priorBalance(&c); fmt.Sprint(left) != "[1000 0]" {
		t.Errorf("without 2430 and EAF: %v, want [1000 0]", left)
	}
}

// TestCoordinationOfBenefits adjudicates secondary and tertiary claims as
// the payer that bills after the others: whatever the claim's fate (paid,
// deductible, denied, a line bundled), the payer pays at most what the
// prior payers left of each line, reports their share as OA-23, leaves the
// patient at most the rest, and every claim balances (CLP03 = CLP04 + the
// adjustments, SVC02 = SVC03 + the line's, CLP05 = the PR adjustments).
func TestCoordinationOfBenefits(t *testing.T) {
	rates := []struct {
		name string
		r    Rates
	}{
		{"paid", Rates{}},
		{"denied", Rates{Deny: 1}},
		{"partial", Rates{Partial: 1}},
		{"mixed", Rates{Deny: 0.2, Partial: 0.4}},
	}
	for _, rt := range rates {
		t.Run(rt.name, func(t *testing.T) {
			s := newTestSim(t, "", func(cfg *Config) { cfg.Rates = rt.r })
			rc := &responder{sim: s, st: newState(), payer: simPayer, profile: s.profile(simPayer), name: "cob.x12", now: simClock}
			for _, file := range []string{"secondary-with-primary-payment", "tertiary-after-primary-and-secondary", "institutional-tertiary"} {
				base := loadClaims(t, file)[0]
				want, _ := priorBalance(&base)
				// Many patient control numbers, so the draws (deductible,
				// denial, the bundled line) vary.
				for n := range 40 {
					c := base
					c.PatientControlNumber = fmt.Sprintf("%s%02d", base.PatientControlNumber, n)
					cp := rc.adjudicate(&c, "ICN")
					checkCOB(t, &c, &cp, want)
				}
			}
		})
	}
}

func checkCOB(t *testing.T, c *claim.Claim, cp *x835.ClaimPayment, left []int64) {
	t.Helper()
	pcn := c.PatientControlNumber
	if errs := x835.CheckBalance(cp); len(errs) > 0 {
		t.Errorf("%s does not balance: %v", pcn, errs)
	}
	if want := claimStatus(c.Subscriber.PayerResponsibility); cp.Status != want && cp.Status != x835.StatusDenied {
		t.Errorf("%s: CLP02 %s, want %s", pcn, cp.Status, want)
	}
	var pr, remaining int64
	for i, sp := range cp.ServiceLines {
		l := &c.Lines[i]
		var prior, patient int64
		for _, a := range sp.Adjustments {
			switch {
			case a.Group == x835.GroupOther && a.Reason == carcPriorPayer:
				prior += a.AmountCents
			case a.Group == x835.GroupPatient:
				patient += a.AmountCents
			}
		}
		pr += patient
		remaining += left[i]
		if prior != l.ChargeCents-left[i] {
			t.Errorf("%s line %d: OA-23 %d, want the prior payers' share %d", pcn, i+1, prior, l.ChargeCents-left[i])
		}
		if sp.PaidCents < 0 || sp.PaidCents+patient > left[i] {
			t.Errorf("%s line %d: paid %d and patient %d of the %d the prior payers left", pcn, i+1, sp.PaidCents, patient, left[i])
		}
	}
	if cp.PaidCents > remaining || cp.PatientResponsibilityCents != pr {
		t.Errorf("%s: paid %d, CLP05 %d (PR %d), remaining %d", pcn, cp.PaidCents, cp.PatientResponsibilityCents, pr, remaining)
	}
}

// TestTertiaryPaysWhatIsLeft: a tertiary payer without cost sharing for the
// member (Medicaid, payer of last resort) pays exactly what the secondary
// left, and nothing of the line the prior payers settled.
func TestTertiaryPaysWhatIsLeft(t *testing.T) {
	s := newTestSim(t, "", func(cfg *Config) { cfg.Rates = Rates{} })
	rc := &responder{sim: s, st: newState(), payer: simPayer, profile: s.profile(simPayer), name: "cob.x12", now: simClock}
	c := loadClaims(t, "tertiary-after-primary-and-secondary")[0]
	cp := rc.adjudicate(&c, "ICN")
	if cp.Status != x835.StatusTertiary || cp.PaidCents != 1000 || cp.PatientResponsibilityCents != 0 {
		t.Fatalf("tertiary: CLP02 %s, paid %d, patient %d; want 3, 1000, 0", cp.Status, cp.PaidCents, cp.PatientResponsibilityCents)
	}
	want := [][]x835.Adjustment{
		{{Group: "OA", Reason: "23", AmountCents: 15000}},
		{{Group: "OA", Reason: "23", AmountCents: 2500}},
	}
	for i, sp := range cp.ServiceLines {
		if fmt.Sprint(sp.Adjustments) != fmt.Sprint(want[i]) {
			t.Errorf("line %d: %v, want %v", i+1, sp.Adjustments, want[i])
		}
	}
}
