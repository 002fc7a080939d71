package billing

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// PatientBalance is what a patient owes: patient A/R (responsibility
// transferred by payers less patient payments and write-offs).
func (s *Service) PatientBalance(ctx context.Context, clinicID, patientID int64) (int64, error) {
	return s.st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: clinicID, Account: AccountPatientAR, PatientID: patientID})
}

// StatementVisit is one encounter on a statement: its service lines and what
// became of its charges.
type StatementVisit struct {
	ServiceDate time.Time
	Lines       []StatementLine
	ChargeCents int64
	// InsurancePaidCents is what all payers paid for the visit.
	InsurancePaidCents int64
	// AdjustmentCents are contractual and other adjustments.
	AdjustmentCents int64
	// PatientResponsibilityCents is what payers left to the patient (after
	// any secondary payer).
	PatientResponsibilityCents int64
	// PendingInsuranceCents is still awaited from payers.
	PendingInsuranceCents int64
	// PatientPaidCents is what the patient's payments paid of the visit
	// (package payments applies them per claim).
	PatientPaidCents int64
	// BalanceCents is what the patient still owes for the visit.
	BalanceCents int64
}

// StatementAgingBuckets label a statement's aging of the balance due, by
// days since the date of service.
var StatementAgingBuckets = [4]string{"Current", "31-60 days", "61-90 days", "Over 90 days"}

func statementBucket(days int) int {
	switch {
	case days <= 30:
		return 0
	case days <= 60:
		return 1
	case days <= 90:
		return 2
	}
	return 3
}

// StatementLine is one service line.
type StatementLine struct {
	Procedure   string
	ChargeCents int64
}

// Statement is a patient's plain-text statement.
type Statement struct {
	Clinic  store.Clinic
	Patient store.Patient
	Date    time.Time
	Visits  []StatementVisit
	// PatientPaymentCents are payments and credits by the patient (write-offs
	// included), as a positive amount.
	PatientPaymentCents int64
	// CreditCents is the patient's unapplied cash on account (positive),
	// taken off the balance due.
	CreditCents int64
	// AgingCents ages the visits' balances by StatementAgingBuckets.
	AgingCents      [4]int64
	BalanceDueCents int64
}

// PatientPaymentParams record a payment by the patient.
type PatientPaymentParams struct {
	ClinicID    int64
	PatientID   int64
	AmountCents int64
	// Reference makes the posting idempotent (a receipt or card
	// transaction number).
	Reference string
	Date      time.Time
}

// RecordPatientPayment posts a patient payment: cash debited, patient A/R
// credited. A negative amount is a refund.
func (s *Service) RecordPatientPayment(ctx context.Context, p PatientPaymentParams) error {
	if p.AmountCents == 0 || p.Reference == "" {
		return fmt.Errorf("%w: a patient payment needs an amount and a reference", ErrInput)
	}
	date := p.Date
	if date.IsZero() {
		date = s.today()
	}
	desc := "patient payment " + p.Reference
	if p.AmountCents < 0 {
		desc = "refund " + p.Reference
	}
	_, _, err := s.st.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: p.ClinicID, IdempotencyKey: "patient-payment:" + p.Reference,
		Description: desc, EffectiveDate: date, Lines: []store.LedgerLine{
			{Account: AccountCash, AmountCents: p.AmountCents, PatientID: &p.PatientID},
			{Account: AccountPatientAR, AmountCents: -p.AmountCents, PatientID: &p.PatientID},
		}})
	return err
}

// Statement builds a patient's statement from the ledger: per visit the
// charges, what insurance paid, the adjustments, the patient's share and
// what is still pending with payers; then the patient's payments and the
// balance due.
func (s *Service) Statement(ctx context.Context, clinicID, patientID int64) (*Statement, error) {
	st := &Statement{Date: s.today()}
	var err error
	if st.Clinic, err = s.st.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID}); err != nil {
		return nil, err
	}
	if st.Patient, err = s.st.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: patientID}); err != nil {
		return nil, err
	}
	entries, err := s.st.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: clinicID, PatientID: patientID})
	if err != nil {
		return nil, err
	}
	claims, err := s.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: clinicID, PatientID: patientID})
	if err != nil {
		return nil, err
	}
	visitOf := make(map[int64]int64) // claim -> encounter (or -claim)
	visits := make(map[int64]*StatementVisit)
	var order []int64
	for _, c := range claims {
		key := -c.ID
		if c.EncounterID != nil {
			key = *c.EncounterID
		}
		visitOf[c.ID] = key
		v, ok := visits[key]
		if !ok {
			v = &StatementVisit{ServiceDate: c.ServiceDateFrom}
			visits[key] = v
			order = append(order, key)
		}
		doc, err := loadDocument(c)
		if err != nil {
			return nil, err
		}
		if len(doc.OtherPayers) == 0 && c.FrequencyCode != "8" && len(v.Lines) == 0 {
			for _, l := range doc.Lines {
				code := l.ProcedureCode
				if code == "" {
					code = l.RevenueCode
				}
				v.Lines = append(v.Lines, StatementLine{Procedure: code + modSuffix(l.Modifiers), ChargeCents: l.ChargeCents})
			}
		}
	}
	// A patient payment's transaction moves cash or cash on account with
	// no payer remittance: its patient A/R lines are payments, not
	// responsibility.
	patientPaid := map[int64]bool{}
	for _, e := range entries {
		if e.Account == AccountPatientCredit || (e.Account == AccountCash && e.RemittanceID == nil && e.ClaimID == nil) {
			patientPaid[e.TransactionID] = true
		}
	}
	for _, e := range entries {
		if e.Account == AccountPatientCredit {
			st.CreditCents -= e.AmountCents
		}
		if e.ClaimID == nil {
			if e.Account == AccountPatientAR {
				st.PatientPaymentCents -= e.AmountCents
			}
			continue
		}
		v := visits[visitOf[*e.ClaimID]]
		if v == nil {
			continue
		}
		switch e.Account {
		case AccountRevenue:
			v.ChargeCents -= e.AmountCents
		case AccountCash:
			v.InsurancePaidCents += e.AmountCents
		case AccountContractual, AccountOtherAdjustment:
			v.AdjustmentCents += e.AmountCents
		case AccountPatientAR:
			v.BalanceCents += e.AmountCents
			if patientPaid[e.TransactionID] {
				v.PatientPaidCents -= e.AmountCents
				st.PatientPaymentCents -= e.AmountCents
			} else {
				v.PatientResponsibilityCents += e.AmountCents
			}
		case AccountInsuranceAR, AccountDeniedAR:
			v.PendingInsuranceCents += e.AmountCents
		case AccountWriteOff:
			v.AdjustmentCents += e.AmountCents
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return visits[order[i]].ServiceDate.Before(visits[order[j]].ServiceDate) })
	for _, k := range order {
		v := *visits[k]
		st.Visits = append(st.Visits, v)
		if v.BalanceCents > 0 {
			st.AgingCents[statementBucket(int(st.Date.Sub(v.ServiceDate).Hours()/24))] += v.BalanceCents
		}
	}
	ar, err := s.PatientBalance(ctx, clinicID, patientID)
	if err != nil {
		return nil, err
	}
	st.BalanceDueCents = ar - st.CreditCents
	// Payments not applied to a visit (and cash on account) pay the
	// oldest balances first.
	var aged int64
	for _, c := range st.AgingCents {
		aged += c
	}
	for i := len(st.AgingCents) - 1; i >= 0 && aged > st.BalanceDueCents; i-- {
		take := min(st.AgingCents[i], aged-max(st.BalanceDueCents, 0))
		st.AgingCents[i] -= take
		aged -= take
	}
	return st, nil
}

// Statements builds the statement of every patient of the clinic with a
// balance due, ordered by patient ID.
func (s *Service) Statements(ctx context.Context, clinicID int64) ([]*Statement, error) {
	var out []*Statement
	for after := int64(0); ; {
		pts, err := s.st.ListPatients(ctx, store.ListPatientsParams{ClinicID: clinicID, AfterID: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, pt := range pts {
			bal, err := s.PatientBalance(ctx, clinicID, pt.ID)
			if err != nil {
				return nil, err
			}
			if bal == 0 {
				continue
			}
			st, err := s.Statement(ctx, clinicID, pt.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
		if len(pts) < 500 {
			return out, nil
		}
		after = pts[len(pts)-1].ID
	}
}

// WriteStatement prints a statement as plain text, 72 columns wide.
func WriteStatement(w io.Writer, st *Statement) error {
	bw := bufio.NewWriter(w)
	row := func(label string, cents int64) {
		fmt.Fprintf(bw, "    %-44s %14s\n", label, money.Cents(cents).Dollars())
	}
	fmt.Fprintf(bw, "STATEMENT  %s\n", st.Clinic.Name)
	fmt.Fprintf(bw, "Date: %s\n", st.Date.Format(time.DateOnly))
	fmt.Fprintf(bw, "Patient: %s, %s (MRN %s)\n", st.Patient.LastName, st.Patient.FirstName, st.Patient.MRN)
	if st.Patient.AddressLine1 != "" {
		fmt.Fprintf(bw, "         %s\n         %s, %s %s\n", st.Patient.AddressLine1, st.Patient.City, st.Patient.State, st.Patient.PostalCode)
	}
	fmt.Fprintln(bw, strings.Repeat("-", 72))
	for _, v := range st.Visits {
		fmt.Fprintf(bw, "Visit %s\n", v.ServiceDate.Format(time.DateOnly))
		for _, l := range v.Lines {
			fmt.Fprintf(bw, "  %-46s %14s\n", l.Procedure, money.Cents(l.ChargeCents).Dollars())
		}
		row("Charges", v.ChargeCents)
		row("Insurance paid", -v.InsurancePaidCents)
		row("Adjustments", -v.AdjustmentCents)
		if v.PendingInsuranceCents != 0 {
			row("Pending with insurance", v.PendingInsuranceCents)
		}
		row("Your responsibility", v.PatientResponsibilityCents)
		if v.PatientPaidCents != 0 {
			row("You paid", -v.PatientPaidCents)
		}
	}
	fmt.Fprintln(bw, strings.Repeat("-", 72))
	fmt.Fprintf(bw, "%-48s %14s\n", "Payments and credits", money.Cents(-st.PatientPaymentCents).Dollars())
	if st.CreditCents != 0 {
		fmt.Fprintf(bw, "%-48s %14s\n", "Credit on account", money.Cents(-st.CreditCents).Dollars())
	}
	fmt.Fprintf(bw, "%-48s %14s\n", "BALANCE DUE", money.Cents(st.BalanceDueCents).Dollars())
	var aging strings.Builder
	for i, label := range StatementAgingBuckets {
		if i > 0 {
			aging.WriteString("  ")
		}
		fmt.Fprintf(&aging, "%s %s", label, money.Cents(st.AgingCents[i]).Dollars())
	}
	fmt.Fprintf(bw, "Aging: %s\n", aging.String())
	return bw.Flush()
}
