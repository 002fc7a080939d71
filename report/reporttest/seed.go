// Package reporttest seeds one clinic's month of billing into a store: the
// claims, acknowledgments, remittances, ledger postings, appointments and
// worklist items that billing and scheduling would have written. The tests
// of packages worklist and report and of the CLI share it, so their
// expected numbers are worked out once, in Seed's comment.
package reporttest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/store"
)

// Day returns midnight UTC of a date.
func Day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// at returns a date at a given hour, UTC.
func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

// The period the seed covers and the time it ends at.
var (
	PeriodFrom = Day(2026, 3, 1)
	PeriodTo   = Day(2026, 3, 31)
	// End is the clock after seeding: the seeded items' ages count to it.
	End = at(2026, 4, 1, 12)
)

// Seeded names the seeded rows.
type Seeded struct {
	Clinic    store.Clinic
	KHP, MCR  store.Payer
	Providers [2]store.Provider
	Patients  [4]store.Patient
	// Claims are C1..C9 at indexes 1..9 (index 0 unused).
	Claims [10]store.Claim
	// Items by name: scrub, reject277, denial16, underpaid, denial29,
	// reject999, unmatched, eligibility.
	Items map[string]store.WorklistItem
}

// Seed writes the clinic. The clock (clock.New) must be the store's; Seed moves it and
// leaves it at End. The expected numbers for March 2026 (as of 2026-03-31):
//
//	claim  payer  DOS         charge  path                                   ins A/R  pat A/R
//	C1     KHP01  2026-03-02  125.00  accepted, paid 90, CO-45 15, PR-2 20      0        0 (paid 20)
//	C2     KHP01  2026-03-03  200.00  scrub failed, fixed, accepted, CO-16      200.00   0
//	C3     MCRJX  2026-03-05  150.00  277CA rejected, resent, accepted         150.00   0
//	C4     MCRJX  2026-01-10  300.00  accepted, unpaid                        300.00   0
//	C5     KHP01  2025-11-10  400.00  accepted, unpaid                        400.00   0
//	C6     KHP01  2026-03-10  100.00  accepted, paid 60, CO-45 40 (underpaid)  0        0
//	C7     MCRJX  2026-03-12  180.00  accepted, CO-29 denied                  180.00   0
//	C8     KHP01  2026-02-15  250.00  accepted, paid 150, PR-1 100            0        100.00
//	C9     KHP01  2026-03-20   90.00  999 rejected                             90.00   0
//
// Claims with March dates of service: C1 C2 C3 C6 C7 C9. Clean-claim rate
// 5/6 (C2 failed); first-pass acceptance 4/5 (C3; C9 has no 277CA); claim
// payments paid in March: 6 (C1 C2 C6 C8 on KHP01 trace T100 2026-03-20,
// C7 and an unmatched X999 paid 45.00 on MCRJX T200 2026-03-25), denied 2
// (CO-16, CO-29). Charges in March 845.00; A/R 1420.00; days in A/R
// 1420*31/845 = 52.1. Collections 300.00 + 45.00 insurance, 20.00 patient;
// six visits, 60.83 per visit. Appointments in March: 6 completed, 2 no-shows
// (both provider 2), 1 cancelled: no-show rate 25.0%.
func Seed(ctx context.Context, st store.Store, clock *clock.Settable) (*Seeded, error) {
	s := &seeder{st: st, clock: clock, out: &Seeded{Items: map[string]store.WorklistItem{}}}
	if err := s.run(ctx); err != nil {
		return nil, err
	}
	clock.Set(End)
	return s.out, nil
}

type seeder struct {
	st    store.Store
	clock *clock.Settable
	out   *Seeded
	cid   int64
	encs  map[int]store.Encounter
}

func (s *seeder) run(ctx context.Context) error {
	o := s.out
	var err error
	s.clock.Set(at(2025, 11, 1, 8))
	if o.Clinic, err = s.st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend Family Medicine", NPI: "1234567893", TaxID: "123456789"}); err != nil {
		return err
	}
	s.cid = o.Clinic.ID
	if o.KHP, err = s.st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: s.cid, PayerID: "KHP01", Name: "Keystone Health Plan", ClaimFilingCode: "CI"}); err != nil {
		return err
	}
	if o.MCR, err = s.st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: s.cid, PayerID: "MCRJX", Name: "Medicare JX", ClaimFilingCode: "MB"}); err != nil {
		return err
	}
	for i, npi := range []string{"1659412344", "1972658315"} {
		if o.Providers[i], err = s.st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: s.cid, NPI: npi, LastName: []string{"KIM", "OSEI"}[i]}); err != nil {
			return err
		}
	}
	names := [][2]string{{"JANE", "DOE"}, {"OMAR", "HADDAD"}, {"LI", "WEI"}, {"ROSA", "DIAZ"}}
	for i, n := range names {
		if o.Patients[i], err = s.st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: s.cid, MRN: fmt.Sprintf("MRN%d", 100+i),
			FirstName: n[0], LastName: n[1], BirthDate: Day(1970+5*i, 4, 12), Sex: "F"}); err != nil {
			return err
		}
	}
	if err := s.claims(ctx); err != nil {
		return err
	}
	if err := s.remittances(ctx); err != nil {
		return err
	}
	if err := s.appointments(ctx); err != nil {
		return err
	}
	return s.items(ctx)
}

type claimSpec struct {
	n       int
	payer   *store.Payer
	patient int
	dos     time.Time
	charge  int64
	proc    string
	// path is the statuses after draft, each a day after the last.
	path []claim.Status
	icn  string
}

func (s *seeder) specs() []claimSpec {
	o := s.out
	acc := []claim.Status{claim.StatusReady, claim.StatusSubmitted, claim.StatusAccepted}
	return []claimSpec{
		{1, &o.KHP, 0, Day(2026, 3, 2), 12500, "99213", append(acc, claim.StatusPaid), "KHP-0001"},
		{2, &o.KHP, 1, Day(2026, 3, 3), 20000, "99214", []claim.Status{claim.StatusScrubFailed, claim.StatusDraft, claim.StatusReady, claim.StatusSubmitted, claim.StatusAccepted, claim.StatusDenied}, "KHP-0002"},
		{3, &o.MCR, 2, Day(2026, 3, 5), 15000, "99213", []claim.Status{claim.StatusReady, claim.StatusSubmitted, claim.StatusRejected, claim.StatusReady, claim.StatusSubmitted, claim.StatusAccepted}, "MCR-0003"},
		{4, &o.MCR, 2, Day(2026, 1, 10), 30000, "99215", acc, "MCR-0004"},
		{5, &o.KHP, 3, Day(2025, 11, 10), 40000, "99215", acc, "KHP-0005"},
		{6, &o.KHP, 0, Day(2026, 3, 10), 10000, "99212", append(acc, claim.StatusPaid), "KHP-0006"},
		{7, &o.MCR, 2, Day(2026, 3, 12), 18000, "99213", append(acc, claim.StatusDenied), "MCR-0007"},
		{8, &o.KHP, 1, Day(2026, 2, 15), 25000, "99214", append(acc, claim.StatusPaid), "KHP-0008"},
		{9, &o.KHP, 3, Day(2026, 3, 20), 9000, "99213", []claim.Status{claim.StatusReady, claim.StatusSubmitted, claim.StatusRejected}, ""},
	}
}

func (s *seeder) claims(ctx context.Context) error {
	s.encs = map[int]store.Encounter{}
	for _, sp := range s.specs() {
		pt := s.out.Patients[sp.patient]
		prov := s.out.Providers[0]
		if sp.n == 3 || sp.n == 9 {
			prov = s.out.Providers[1]
		}
		s.clock.Set(sp.dos.Add(17 * time.Hour))
		enc, err := s.st.CreateEncounter(ctx, store.CreateEncounterParams{ClinicID: s.cid, PatientID: pt.ID, ProviderID: prov.ID,
			ServiceDate: sp.dos, PlaceOfService: "11", DiagnosisCodes: []string{"E119"}, Status: store.EncounterBilled})
		if err != nil {
			return err
		}
		s.encs[sp.n] = enc
		pcn := "E" + strconv.Itoa(100+sp.n)
		doc := claim.Claim{Kind: claim.Professional, Payer: claim.Payer{Name: sp.payer.Name, ID: sp.payer.PayerID},
			PatientControlNumber: pcn, TotalChargeCents: sp.charge, PlaceOfService: "11", FrequencyCode: claim.FrequencyOriginal,
			ProviderSignature: true, AssignmentParticipation: "A", BenefitsAssigned: true, ReleaseOfInformation: "Y",
			Diagnoses: []claim.Diagnosis{{Code: "E119"}},
			Lines: []claim.ServiceLine{{ProcedureCode: sp.proc, ChargeCents: sp.charge, UnitType: "UN", Units: claim.Units(1),
				DiagnosisPointers: []int{1}, ServiceDate: claim.DateOf(sp.dos)}}}
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		s.clock.Set(sp.dos.Add(18 * time.Hour))
		c, err := s.st.CreateClaim(ctx, store.CreateClaimParams{ClinicID: s.cid, PayerID: sp.payer.ID, PatientID: pt.ID, EncounterID: &enc.ID,
			PatientControlNumber: pcn, TotalChargeCents: sp.charge, ServiceDateFrom: sp.dos, ServiceDateTo: sp.dos, Document: raw, Actor: "billing"})
		if err != nil {
			return err
		}
		if err := s.post(ctx, "charge:"+strconv.FormatInt(c.ID, 10), sp.dos, []store.LedgerLine{
			{Account: billing.AccountInsuranceAR, AmountCents: sp.charge, ClaimID: &c.ID, PatientID: &pt.ID},
			{Account: billing.AccountRevenue, AmountCents: -sp.charge, ClaimID: &c.ID, PatientID: &pt.ID}}); err != nil {
			return err
		}
		day := sp.dos.Add(20 * time.Hour)
		acks := 0
		for _, to := range sp.path {
			if to == claim.StatusPaid || to == claim.StatusDenied {
				continue // the remittance moves it
			}
			day = day.Add(24 * time.Hour)
			s.clock.Set(day)
			if to == claim.StatusAccepted || (to == claim.StatusRejected && sp.n == 3) {
				acks++
				accepted := to == claim.StatusAccepted
				code := "A1:20:PR"
				if !accepted {
					code = "A7:562:85"
				}
				if accepted && sp.icn != "" {
					icn := sp.icn
					if c, err = s.st.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: s.cid, ID: c.ID, PayerClaimControlNumber: &icn}); err != nil {
						return err
					}
				}
				if _, err := s.st.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{ClinicID: s.cid, ClaimID: &c.ID, Kind: store.Ack277CA,
					ControlNumber: pcn, Code: code, Accepted: accepted, Details: json.RawMessage(`{}`)}); err != nil {
					return err
				}
			}
			if c, err = s.st.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: s.cid, ID: c.ID, From: c.Status, Status: to,
				Reason: "seed", Actor: "billing"}); err != nil {
				return err
			}
		}
		s.out.Claims[sp.n] = c
	}
	return nil
}

func (s *seeder) post(ctx context.Context, key string, day time.Time, lines []store.LedgerLine) error {
	_, _, err := s.st.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: s.cid, IdempotencyKey: key,
		Description: key, EffectiveDate: day, Lines: lines})
	return err
}

type paySpec struct {
	n          int // claim, 0 unmatched
	status     string
	paid, pr   int64
	adjs       []store.ClaimAdjustment
	remarks    []string
	finalState claim.Status
}

func (s *seeder) remittances(ctx context.Context) error {
	o := s.out
	rems := []struct {
		payer *store.Payer
		trace string
		date  time.Time
		pays  []paySpec
	}{
		{&o.KHP, "T100", Day(2026, 3, 20), []paySpec{
			{1, "1", 9000, 2000, []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 1500}, {GroupCode: "PR", ReasonCode: "2", AmountCents: 2000}}, nil, claim.StatusPaid},
			{2, "4", 0, 0, []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "16", AmountCents: 20000}}, []string{"M51"}, claim.StatusDenied},
			{6, "1", 6000, 0, []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 4000}}, nil, claim.StatusPaid},
			{8, "1", 15000, 10000, []store.ClaimAdjustment{{GroupCode: "PR", ReasonCode: "1", AmountCents: 10000}}, nil, claim.StatusPaid},
		}},
		{&o.MCR, "T200", Day(2026, 3, 25), []paySpec{
			{7, "4", 0, 0, []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "29", AmountCents: 18000}}, nil, claim.StatusDenied},
			{0, "1", 4500, 0, []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 1500}}, nil, ""},
		}},
	}
	for _, rm := range rems {
		s.clock.Set(rm.date.Add(10 * time.Hour))
		var total int64
		for _, p := range rm.pays {
			total += p.paid
		}
		r, _, err := s.st.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: s.cid, PayerID: &rm.payer.ID, PayerIdentifier: "1" + rm.payer.PayerID,
			TraceNumber: rm.trace, PaymentMethod: "ACH", PaymentCents: total, PaymentDate: rm.date})
		if err != nil {
			return err
		}
		for _, p := range rm.pays {
			params := store.CreateClaimPaymentParams{ClinicID: s.cid, RemittanceID: r.ID, StatusCode: p.status, PaidCents: p.paid,
				PatientResponsibilityCents: p.pr, Adjustments: p.adjs}
			doc := map[string]any{"kind": "payment", "position": "segment 5 CLP", "remarks": p.remarks}
			var c store.Claim
			var patientID int64
			if p.n == 0 {
				params.PatientControlNumber, params.ChargeCents, params.PayerClaimControlNumber = "X999", 6000, "MCR-9999"
			} else {
				c = o.Claims[p.n]
				patientID = c.PatientID
				params.ClaimID, params.PatientControlNumber, params.ChargeCents, params.PayerClaimControlNumber = &c.ID, c.PatientControlNumber, c.TotalChargeCents, c.PayerClaimControlNumber
			}
			if params.Document, err = json.Marshal(doc); err != nil {
				return err
			}
			cp, err := s.st.CreateClaimPayment(ctx, params)
			if err != nil {
				return err
			}
			key := "cp:" + strconv.FormatInt(cp.ID, 10)
			if p.n == 0 {
				if err := s.post(ctx, key, rm.date, []store.LedgerLine{
					{Account: billing.AccountCash, AmountCents: p.paid, RemittanceID: &r.ID},
					{Account: billing.AccountUnapplied, AmountCents: -p.paid, RemittanceID: &r.ID}}); err != nil {
					return err
				}
				continue
			}
			if p.status == "4" { // a denial's amount stays owed, in denied A/R, as billing posts it
				var denied int64
				for _, a := range p.adjs {
					denied += a.AmountCents
				}
				if err := s.post(ctx, key, rm.date, []store.LedgerLine{
					{Account: billing.AccountDeniedAR, AmountCents: denied, ClaimID: &c.ID, PatientID: &patientID, RemittanceID: &r.ID},
					{Account: billing.AccountInsuranceAR, AmountCents: -denied, ClaimID: &c.ID, PatientID: &patientID, RemittanceID: &r.ID}}); err != nil {
					return err
				}
			} else {
				var co, pr int64
				for _, a := range p.adjs {
					if a.GroupCode == "CO" {
						co += a.AmountCents
					} else {
						pr += a.AmountCents
					}
				}
				lines := []store.LedgerLine{{Account: billing.AccountCash, AmountCents: p.paid, ClaimID: &c.ID, PatientID: &patientID, RemittanceID: &r.ID}}
				if co != 0 {
					lines = append(lines, store.LedgerLine{Account: billing.AccountContractual, AmountCents: co, ClaimID: &c.ID, PatientID: &patientID, RemittanceID: &r.ID})
				}
				if pr != 0 {
					lines = append(lines, store.LedgerLine{Account: billing.AccountPatientAR, AmountCents: pr, ClaimID: &c.ID, PatientID: &patientID, RemittanceID: &r.ID})
				}
				lines = append(lines, store.LedgerLine{Account: billing.AccountInsuranceAR, AmountCents: -(p.paid + co + pr), ClaimID: &c.ID, PatientID: &patientID, RemittanceID: &r.ID})
				if err := s.post(ctx, key, rm.date, lines); err != nil {
					return err
				}
			}
			if o.Claims[p.n], err = s.st.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: s.cid, ID: c.ID, From: c.Status,
				Status: p.finalState, Reason: "835 " + rm.trace, Actor: "billing"}); err != nil {
				return err
			}
		}
	}
	// The patient pays C1's coinsurance at the front desk.
	s.clock.Set(at(2026, 3, 22, 11))
	pid := o.Patients[0].ID
	return s.post(ctx, "patient-payment:R1", Day(2026, 3, 22), []store.LedgerLine{
		{Account: billing.AccountCash, AmountCents: 2000, PatientID: &pid},
		{Account: billing.AccountPatientAR, AmountCents: -2000, PatientID: &pid}})
}

func (s *seeder) appointments(ctx context.Context) error {
	o := s.out
	add := func(n int, prov store.Provider, pt store.Patient, start time.Time, status string) error {
		s.clock.Set(start.Add(-72 * time.Hour))
		a, err := s.st.CreateAppointment(ctx, store.CreateAppointmentParams{ClinicID: s.cid, PatientID: pt.ID, ProviderID: prov.ID,
			StartsAt: start, EndsAt: start.Add(15 * time.Minute), Status: store.AppointmentBooked, Reason: "visit"})
		if err != nil {
			return err
		}
		if status == store.AppointmentBooked {
			return nil
		}
		s.clock.Set(start.Add(time.Hour))
		_, err = s.st.UpdateAppointment(ctx, store.UpdateAppointmentParams{ClinicID: s.cid, ID: a.ID, ProviderID: a.ProviderID,
			CoverageID: a.CoverageID, StartsAt: a.StartsAt, EndsAt: a.EndsAt, Status: status, Reason: a.Reason})
		return err
	}
	for _, n := range []int{1, 2, 3, 6, 7, 9} {
		e := s.encs[n]
		prov := o.Providers[0]
		if e.ProviderID == o.Providers[1].ID {
			prov = o.Providers[1]
		}
		var pt store.Patient
		for _, p := range o.Patients {
			if p.ID == e.PatientID {
				pt = p
			}
		}
		if err := add(n, prov, pt, e.ServiceDate.Add(14*time.Hour), store.AppointmentCompleted); err != nil {
			return err
		}
	}
	for _, a := range []struct {
		prov   int
		pt     int
		start  time.Time
		status string
	}{
		{1, 0, at(2026, 3, 16, 9), store.AppointmentNoShow},
		{1, 3, at(2026, 3, 24, 10), store.AppointmentNoShow},
		{0, 1, at(2026, 3, 18, 9), store.AppointmentCancelled},
		{0, 2, at(2026, 4, 2, 9), store.AppointmentBooked},
		{0, 2, at(2026, 2, 20, 9), store.AppointmentNoShow},
	} {
		if err := add(0, o.Providers[a.prov], o.Patients[a.pt], a.start, a.status); err != nil {
			return err
		}
	}
	return nil
}

func (s *seeder) items(ctx context.Context) error {
	o := s.out
	mk := func(name string, when time.Time, p store.CreateWorklistItemParams, details any) error {
		s.clock.Set(when)
		raw, err := json.Marshal(details)
		if err != nil {
			return err
		}
		p.ClinicID, p.Details, p.DedupeKey = s.cid, raw, "seed:"+name
		w, _, err := s.st.CreateWorklistItem(ctx, p)
		if err != nil {
			return err
		}
		o.Items[name] = w
		return nil
	}
	claimItem := func(n int, kind string, prio int, amount int64, title string) store.CreateWorklistItemParams {
		c := o.Claims[n]
		return store.CreateWorklistItemParams{Kind: kind, Priority: prio, ClaimID: &c.ID, PatientID: &c.PatientID, PayerID: &c.PayerID,
			AmountCents: amount, Title: title}
	}
	c := o.Claims
	steps := []func() error{
		func() error {
			return mk("scrub", at(2026, 3, 4, 18), claimItem(2, store.WorkScrubFailure, 2, 20000, "Scrub failed: KHP-MOD25: E/M with a procedure needs modifier 25"),
				map[string]any{"patientControlNumber": c[2].PatientControlNumber, "findings": []billing.ScrubFindingDetail{{Rule: "KHP-MOD25", SNIP: 7,
					Severity: "reject", Message: "E/M with a procedure needs modifier 25", Location: "Loop 2400 SV101-3", Fix: "add modifier 25 to the E/M line"}}})
		},
		func() error {
			return mk("reject277", at(2026, 3, 8, 18), claimItem(3, store.WorkRejection, 3, 15000, "Rejected: 277CA A7:562:85"),
				map[string]any{"patientControlNumber": c[3].PatientControlNumber, "location": "Loop 2200D STC",
					"statuses": []billing.StatusCodeDetail{{Category: "A7", Code: "562", Entity: "85", Message: "billing provider NPI invalid"}},
					"action":   "correct the claim from the error codes and locations, then scrub and resubmit"})
		},
		func() error {
			return mk("denial16", at(2026, 3, 20, 10), claimItem(2, store.WorkDenial, 3, 20000, "Denied: CO-16: correct and resubmit"),
				map[string]any{"patientControlNumber": c[2].PatientControlNumber, "payerClaimControlNumber": "KHP-0002", "trace": "T100",
					"reasons": []billing.DenialReason{{Group: "CO", Reason: "16", Amount: 20000, DenialAction: billing.ActionFor("CO", "16")}},
					"remarks": []string{"M51"}, "location": "Loop 2100/2110 CAS"})
		},
		func() error {
			return mk("underpaid", at(2026, 3, 20, 10), claimItem(6, store.WorkUnderpayment, 2, 2000, "Underpaid by 20.00 against the expected allowed amount"),
				map[string]any{"patientControlNumber": c[6].PatientControlNumber, "trace": "T100",
					"lines":  []map[string]any{{"line": 1, "procedure": "99212", "expectedAllowedCents": 8000, "allowedCents": 6000}},
					"action": "compare with the payer contract and request reprocessing or appeal the underpayment"})
		},
		func() error {
			return mk("reject999", at(2026, 3, 22, 9), claimItem(9, store.WorkRejection, 3, 9000, "Rejected: 999 transaction set rejected"),
				map[string]any{"patientControlNumber": c[9].PatientControlNumber, "interchange": 17, "file": "837P-KHP01-17.x12",
					"errors": []billing.AckErrorLocation{{Segment: "NM1", Position: 12, Loop: "2010BA", Element: 9, Code: "IK403:7", Value: "W1234"}},
					"action": "correct the claim from the error codes and locations, then scrub and resubmit"})
		},
		func() error {
			return mk("denial29", at(2026, 3, 25, 10), claimItem(7, store.WorkDenial, 3, 18000, "Denied: CO-29: write off"),
				map[string]any{"patientControlNumber": c[7].PatientControlNumber, "payerClaimControlNumber": "MCR-0007", "trace": "T200",
					"reasons":  []billing.DenialReason{{Group: "CO", Reason: "29", Amount: 18000, DenialAction: billing.ActionFor("CO", "29")}},
					"location": "Loop 2100/2110 CAS"})
		},
		func() error {
			return mk("unmatched", at(2026, 3, 25, 10), store.CreateWorklistItemParams{Kind: store.WorkUnmatchedPayment, Priority: 2, PayerID: &o.MCR.ID,
				AmountCents: 4500, Title: "Unmatched claim payment X999"},
				map[string]any{"patientControlNumber": "X999", "payerClaimControlNumber": "MCR-9999", "paidCents": 4500, "trace": "T200",
					"position": "segment 14 CLP", "action": "find the claim and apply the payment to it"})
		},
		func() error {
			pid := o.Patients[2].ID
			return mk("eligibility", at(2026, 3, 30, 7), store.CreateWorklistItemParams{Kind: store.WorkEligibility, Priority: 2, PatientID: &pid,
				PayerID: &o.MCR.ID, Assignee: "dana", Title: "Coverage inactive for the 2026-04-02 visit"},
				map[string]any{"action": "verify coverage with the patient before the visit"})
		},
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	// The scrub failure and the 277CA rejection were fixed and resent.
	s.clock.Set(at(2026, 3, 9, 12))
	st, res := store.WorkResolved, "corrected and resubmitted"
	for _, name := range []string{"scrub", "reject277"} {
		w, err := s.st.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: s.cid, ID: o.Items[name].ID, Status: &st, Resolution: &res})
		if err != nil {
			return err
		}
		o.Items[name] = w
	}
	return nil
}
