// Package report computes the revenue-cycle KPIs and reports of a clinic
// (or of every clinic) for a period: clean-claim rate, first-pass
// acceptance, denial rates by payer and by CARC, days in A/R, A/R aging by
// payer and for patient responsibility, collections, revenue per visit and
// the no-show rate. Insurance A/R counts denied A/R (what payers denied and
// nobody has worked yet: still owed) and shows it apart.
//
// Load reads what the reports need in one pass over each store listing
// (claims, scrub-failure items, 277CA acknowledgments, remittances and claim
// payments, ledger entries, encounters, appointments), so thousands of
// claims cost a handful of queries, not one per claim. The Compute functions
// are pure functions of the loaded Dataset; each metric's definition is on
// its field. Every report renders as a Table (for text and CSV) and
// marshals to JSON.
//
// Money is int64 cents; rates are exact ratios of counts.
package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
)

// ErrInvalid: the report parameters are wrong (no period, From after To).
var ErrInvalid = errors.New("report: invalid parameters")

// Params choose the clinics and the period of a report.
type Params struct {
	// ClinicIDs are the clinics; empty means every clinic.
	ClinicIDs []int64
	// From and To are the period's first and last dates (inclusive,
	// midnight UTC). To is also the as-of date of balances and aging.
	From, To time.Time
}

func (p Params) validate() error {
	if p.From.IsZero() || p.To.IsZero() {
		return fmt.Errorf("%w: the period needs a first and a last date", ErrInvalid)
	}
	if p.To.Before(p.From) {
		return fmt.Errorf("%w: period ends (%s) before it starts (%s)", ErrInvalid, p.To.Format(time.DateOnly), p.From.Format(time.DateOnly))
	}
	return nil
}

// Days is the number of days in the period, both ends included.
func (p Params) Days() int64 { return int64(p.To.Sub(p.From)/(24*time.Hour)) + 1 }

func (p Params) contains(day time.Time) bool {
	return !day.Before(p.From) && !day.After(p.To)
}

// Payment is a claim payment (Loop 2100 CLP) with what the reports need
// of its remittance.
type Payment struct {
	store.ClaimPayment
	// PaymentDate is the remittance's BPR16.
	PaymentDate time.Time
	// PayerID is the claim's payer, or the remittance's for an unmatched
	// payment (0 when neither is known).
	PayerID int64
}

// Dataset is what Load read: the rows every report is computed from.
type Dataset struct {
	Params
	Payers    map[int64]store.Payer
	Providers map[int64]store.Provider
	// Claims are every claim of the clinics (balances age across periods).
	Claims map[int64]store.Claim
	// ScrubFailed holds the claims that have a scrub-failure item (open or
	// not): their first scrub did not pass.
	ScrubFailed map[int64]bool
	// First277CA is each claim's first 277CA acknowledgment (lowest ID).
	First277CA map[int64]store.Acknowledgment
	// Payments are the claim payments whose remittance is dated in the
	// period.
	Payments []Payment
	// AREntries are the insurance (denied included) and patient A/R ledger
	// entries effective on or before To.
	AREntries []store.LedgerEntry
	// CreditEntries are the patient cash-on-account (patient_credit)
	// ledger entries effective on or before To.
	CreditEntries []store.LedgerEntry
	// PeriodEntries are the revenue and cash ledger entries effective in the
	// period.
	PeriodEntries []store.LedgerEntry
	// Encounters are the encounters with a date of service in the period.
	Encounters []store.Encounter
	// Appointments are those starting in the period.
	Appointments []store.Appointment
}

const page = 2000

// Load reads the dataset of p from st.
func Load(ctx context.Context, st Store, p Params) (*Dataset, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	clinics := p.ClinicIDs
	if len(clinics) == 0 {
		cs, err := st.ListClinics(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			clinics = append(clinics, c.ID)
		}
	}
	d := &Dataset{Params: p, Payers: map[int64]store.Payer{}, Providers: map[int64]store.Provider{}, Claims: map[int64]store.Claim{},
		ScrubFailed: map[int64]bool{}, First277CA: map[int64]store.Acknowledgment{}}
	for _, cid := range clinics {
		if err := d.load(ctx, st, cid); err != nil {
			return nil, fmt.Errorf("clinic %d: %w", cid, err)
		}
	}
	return d, nil
}

func (d *Dataset) load(ctx context.Context, st Store, cid int64) error {
	payers, err := st.ListPayers(ctx, store.ListPayersParams{ClinicID: cid})
	if err != nil {
		return err
	}
	for _, py := range payers {
		d.Payers[py.ID] = py
	}
	provs, err := st.ListProviders(ctx, store.ListProvidersParams{ClinicID: cid})
	if err != nil {
		return err
	}
	for _, pr := range provs {
		d.Providers[pr.ID] = pr
	}
	for after := int64(0); ; {
		cs, err := st.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, AfterID: after, Limit: page})
		if err != nil {
			return err
		}
		for _, c := range cs {
			c.Document = nil // not needed; let the memory go
			d.Claims[c.ID] = c
		}
		if len(cs) < page {
			break
		}
		after = cs[len(cs)-1].ID
	}
	for after := int64(0); ; {
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: cid, Kinds: []string{store.WorkScrubFailure},
			AfterID: after, Limit: page})
		if err != nil {
			return err
		}
		for _, w := range items {
			if w.ClaimID != nil {
				d.ScrubFailed[*w.ClaimID] = true
			}
		}
		if len(items) < page {
			break
		}
		after = items[len(items)-1].ID
	}
	acks, err := st.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: cid, Kind: store.Ack277CA})
	if err != nil {
		return err
	}
	for _, a := range acks {
		if a.ClaimID == nil {
			continue
		}
		if prev, ok := d.First277CA[*a.ClaimID]; !ok || a.ID < prev.ID {
			d.First277CA[*a.ClaimID] = a
		}
	}
	rems, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: cid})
	if err != nil {
		return err
	}
	inPeriod := map[int64]store.Remittance{}
	for _, r := range rems {
		if d.contains(r.PaymentDate) {
			inPeriod[r.ID] = r
		}
	}
	if len(inPeriod) > 0 {
		for after := int64(0); ; {
			cps, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, AfterID: after, Limit: page})
			if err != nil {
				return err
			}
			for _, cp := range cps {
				r, ok := inPeriod[cp.RemittanceID]
				if !ok {
					continue
				}
				cp.Document = nil
				p := Payment{ClaimPayment: cp, PaymentDate: r.PaymentDate}
				if c, ok := d.Claims[derefID(cp.ClaimID)]; ok {
					p.PayerID = c.PayerID
				} else if r.PayerID != nil {
					p.PayerID = *r.PayerID
				}
				d.Payments = append(d.Payments, p)
			}
			if len(cps) < page {
				break
			}
			after = cps[len(cps)-1].ID
		}
	}
	for _, acct := range []string{billing.AccountInsuranceAR, billing.AccountDeniedAR, billing.AccountPatientAR} {
		es, err := st.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: cid, Account: acct, To: d.To})
		if err != nil {
			return err
		}
		d.AREntries = append(d.AREntries, es...)
	}
	credit, err := st.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: cid, Account: billing.AccountPatientCredit, To: d.To})
	if err != nil {
		return err
	}
	d.CreditEntries = append(d.CreditEntries, credit...)
	for _, acct := range []string{billing.AccountRevenue, billing.AccountCash} {
		es, err := st.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: cid, Account: acct, From: d.From, To: d.To})
		if err != nil {
			return err
		}
		d.PeriodEntries = append(d.PeriodEntries, es...)
	}
	encs, err := st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: cid, From: d.From, To: d.To})
	if err != nil {
		return err
	}
	d.Encounters = append(d.Encounters, encs...)
	appts, err := st.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: cid, From: d.From, To: d.To.Add(24 * time.Hour)})
	if err != nil {
		return err
	}
	d.Appointments = append(d.Appointments, appts...)
	return nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
