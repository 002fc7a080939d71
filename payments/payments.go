// Package payments takes in patient money: copays at check-in, payments
// against statements, card payments through a processor, refunds, voids and
// payment plans; and reconciles the practice's bank deposits against 835
// remittances.
//
// Every change writes balanced ledger lines (package billing's accounts) and
// an audit event in one store transaction. A payment is applied to the
// patient's oldest claim balances first (or to the claim it names); what is
// left is patient cash on account (billing.AccountPatientCredit), applied
// later by Apply when payers move more of a claim to the patient. Card
// numbers never reach Clearhouse: the processor's tokens and IDs do.
package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// Sentinel errors; errors of the package wrap one of these or a store
// sentinel.
var (
	// ErrInput: params are missing or wrong (amount, method, refund larger
	// than what is left).
	ErrInput = errors.New("payments: invalid input")
	// ErrNoCopay: a check-in payment names no amount and the patient's
	// coverage has no copay from a 271.
	ErrNoCopay = errors.New("payments: no copay on file")
	// ErrNoProcessor: a card payment or refund with no processor configured.
	ErrNoProcessor = errors.New("payments: no card processor configured")
	// ErrDeclined: the processor did not take the payment.
	ErrDeclined = errors.New("payments: card declined")
)

// Audit actions.
const (
	AuditPayment = "payment.add"
	AuditApply   = "payment.apply"
	AuditVoid    = "payment.void"
	AuditRefund  = "payment.refund"
	AuditPlan    = "payment_plan.create"
	AuditPlanRun = "payment_plan.run"
	AuditDeposit = "deposit.import"
	AuditMatch   = "deposit.match"
)

// ServiceTypeOfficeVisit is the 271 service type (EB03 98, professional
// physician visit, office) whose copay is taken at check-in.
const ServiceTypeOfficeVisit = "98"

// Store is what a Service uses of the store. Both backends satisfy it.
type Store interface {
	InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error
	GetPatientPayment(ctx context.Context, ref store.Ref) (store.PatientPayment, error)
	ListPatientPayments(ctx context.Context, p store.ListPatientPaymentsParams) ([]store.PatientPayment, error)
	ListPaymentAllocations(ctx context.Context, p store.ListPaymentAllocationsParams) ([]store.PaymentAllocation, error)
	GetPaymentPlan(ctx context.Context, ref store.Ref) (store.PaymentPlan, error)
	ListPaymentPlans(ctx context.Context, p store.ListPaymentPlansParams) ([]store.PaymentPlan, error)
	ListBankDeposits(ctx context.Context, p store.ListBankDepositsParams) ([]store.BankDeposit, error)
	ListClinics(ctx context.Context) ([]store.Clinic, error)
}

var _ Store = store.Store(nil)

// Options configure a Service.
type Options struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives operational messages (never PHI); default discards.
	Logger *slog.Logger
	// Actor is recorded on audit rows; default "payments".
	Actor string
	// Processor takes card payments; nil refuses them.
	Processor Processor
}

// Service records patient payments.
type Service struct {
	st    Store
	now   func() time.Time
	log   *slog.Logger
	actor string
	proc  Processor
}

// New returns a Service over st.
func New(st Store, o Options) *Service {
	s := &Service{st: st, now: o.Now, log: o.Logger, actor: o.Actor, proc: o.Processor}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.actor == "" {
		s.actor = "payments"
	}
	return s
}

func (s *Service) today() time.Time { return store.TruncateDate(s.now().UTC()) }

// AddParams record one payment.
type AddParams struct {
	ClinicID  int64
	PatientID int64
	// AmountCents is what was paid; zero with an AppointmentID takes the
	// copay from the appointment coverage's last 271.
	AmountCents int64
	// Method is store.PaymentCash, PaymentCheck or PaymentCard.
	Method string
	// ClaimID applies the payment to that claim first; otherwise the
	// oldest balances (by date of service) are paid first.
	ClaimID       *int64
	AppointmentID *int64
	// Reference is the receipt, check or processor number; unique per
	// clinic. Empty takes one from the processor (cards) or none.
	Reference string
	Memo      string
	// Date is the day received; default today.
	Date time.Time
	// CardToken is the processor's payment method token (a card payment),
	// CustomerToken its customer, when the card is on file.
	CardToken     string
	CustomerToken string
	PlanID        *int64
	// Actor overrides the service's actor on the audit row.
	Actor string
}

// Result is a payment after a change, with what it was applied to.
type Result struct {
	Payment     store.PatientPayment
	Allocations []store.PaymentAllocation
}

// Add records a payment: cash debited, each applied claim's patient A/R
// credited, and the rest credited to the patient's cash on account. A card
// payment is charged through the processor first and refunded there if the
// recording fails.
func (s *Service) Add(ctx context.Context, p AddParams) (Result, error) {
	if p.Method == "" {
		p.Method = store.PaymentCash
	}
	if !slices.Contains([]string{store.PaymentCash, store.PaymentCheck, store.PaymentCard}, p.Method) {
		return Result{}, fmt.Errorf("%w: method %q is not cash, check or card", ErrInput, p.Method)
	}
	if p.PatientID == 0 {
		return Result{}, fmt.Errorf("%w: a payment needs a patient", ErrInput)
	}
	if p.AmountCents < 0 {
		return Result{}, fmt.Errorf("%w: amount %s is negative (record a refund instead)", ErrInput, money.Cents(p.AmountCents))
	}
	if p.AmountCents == 0 {
		if p.AppointmentID == nil {
			return Result{}, fmt.Errorf("%w: a payment needs an amount (or an appointment whose copay to take)", ErrInput)
		}
		copay, err := s.Copay(ctx, p.ClinicID, *p.AppointmentID)
		if err != nil {
			return Result{}, err
		}
		p.AmountCents = copay
	}
	if p.Date.IsZero() {
		p.Date = s.today()
	}
	var charge Charge
	if p.Method == store.PaymentCard {
		if s.proc == nil {
			return Result{}, ErrNoProcessor
		}
		if p.CardToken == "" {
			return Result{}, fmt.Errorf("%w: a card payment needs the processor's card token", ErrInput)
		}
		key := p.Reference
		if key == "" {
			key = fmt.Sprintf("clearhouse-%d-%d-%d-%d", p.ClinicID, p.PatientID, p.AmountCents, s.now().UnixNano())
		}
		var err error
		charge, err = s.proc.Charge(ctx, ChargeRequest{AmountCents: p.AmountCents, PaymentMethodToken: p.CardToken,
			CustomerToken: p.CustomerToken, IdempotencyKey: key, Description: "patient payment"})
		if err != nil {
			return Result{}, err
		}
		if p.Reference == "" {
			p.Reference = charge.ID
		}
	}
	res, err := s.record(ctx, p, charge)
	if err != nil && charge.ID != "" {
		if _, rerr := s.proc.Refund(ctx, RefundRequest{PaymentID: charge.ID, AmountCents: p.AmountCents, IdempotencyKey: "undo-" + charge.ID}); rerr != nil {
			s.log.Error("card payment charged but not recorded, and its refund failed", "processor_payment", charge.ID, "error", rerr)
		}
	}
	return res, err
}

func (s *Service) record(ctx context.Context, p AddParams, charge Charge) (Result, error) {
	var res Result
	err := s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		pay, err := tx.CreatePatientPayment(ctx, store.CreatePatientPaymentParams{PatientID: p.PatientID, AmountCents: p.AmountCents,
			Method: p.Method, Reference: p.Reference, ClaimID: p.ClaimID, AppointmentID: p.AppointmentID, PlanID: p.PlanID,
			Processor: charge.Processor, ProcessorPaymentID: charge.ID, CardBrand: charge.CardBrand, CardLast4: charge.CardLast4,
			Memo: p.Memo, ReceivedOn: p.Date})
		if err != nil {
			return err
		}
		if p.PlanID != nil {
			if err := creditPlan(ctx, tx, *p.PlanID, p.AmountCents); err != nil {
				return err
			}
		}
		balances, err := claimBalances(ctx, tx, []int64{p.PatientID})
		if err != nil {
			return err
		}
		allocs := allocate(pay.ID, p.AmountCents, balances[p.PatientID], p.ClaimID)
		if err := tx.InsertPaymentAllocations(ctx, store.InsertPaymentAllocationsParams{Allocations: allocs}); err != nil {
			return err
		}
		lines := []store.LedgerLine{{Account: billing.AccountCash, AmountCents: p.AmountCents, PatientID: &p.PatientID}}
		var applied int64
		for _, a := range allocs {
			lines = append(lines, store.LedgerLine{Account: billing.AccountPatientAR, AmountCents: -a.AmountCents, ClaimID: a.ClaimID, PatientID: &p.PatientID})
			applied += a.AmountCents
		}
		if rest := p.AmountCents - applied; rest != 0 {
			lines = append(lines, store.LedgerLine{Account: billing.AccountPatientCredit, AmountCents: -rest, PatientID: &p.PatientID})
		}
		if _, _, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: "patient-payment:" + strconv.FormatInt(pay.ID, 10),
			Description: fmt.Sprintf("patient payment %d (%s)", pay.ID, p.Method), EffectiveDate: p.Date, Lines: lines}); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, p.Actor, AuditPayment, pay.ID, map[string]any{"amount_cents": p.AmountCents, "method": p.Method,
			"applied_cents": applied, "patient_id": p.PatientID, "processor_payment_id": charge.ID}); err != nil {
			return err
		}
		// More than the patient owes is a credit balance on the worklist.
		if _, err := billing.CheckCredits(ctx, tx, billing.CreditScope{PatientIDs: []int64{p.PatientID}}); err != nil {
			return err
		}
		if res.Payment, err = tx.GetPatientPayment(ctx, store.Ref{ID: pay.ID}); err != nil {
			return err
		}
		res.Allocations, err = tx.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{PaymentIDs: []int64{pay.ID}})
		return err
	})
	return res, err
}

func (s *Service) audit(ctx context.Context, tx store.Tx, actor, action string, id int64, details map[string]any) error {
	if actor == "" {
		actor = s.actor
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	entity := "patient_payment"
	switch action {
	case AuditPlan, AuditPlanRun:
		entity = "payment_plan"
	case AuditDeposit, AuditMatch:
		entity = "bank_deposit"
	}
	eid := ""
	if id != 0 {
		eid = strconv.FormatInt(id, 10)
	}
	_, err = tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: actor, Action: action, EntityType: entity, EntityID: eid, Details: b})
	return err
}

// Copay is the copay the front desk collects at check-in for an
// appointment: the office-visit copay of the appointment's coverage (its
// patient's primary when the appointment names none) from the last 271.
func (s *Service) Copay(ctx context.Context, clinicID, appointmentID int64) (int64, error) {
	var copay int64
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		appt, err := tx.GetAppointment(ctx, store.Ref{ID: appointmentID})
		if err != nil {
			return err
		}
		var cov store.Coverage
		if appt.CoverageID != nil {
			cov, err = tx.GetCoverage(ctx, store.Ref{ID: *appt.CoverageID})
		} else {
			var covs []store.Coverage
			covs, err = tx.ListCoverages(ctx, store.ListCoveragesParams{PatientID: appt.PatientID})
			if err == nil && len(covs) == 0 {
				return fmt.Errorf("%w: appointment %d: the patient has no coverage", ErrNoCopay, appointmentID)
			}
			if err == nil {
				cov = covs[0]
			}
		}
		if err != nil {
			return err
		}
		r, err := scheduling.ResponsibilityOf(cov, ServiceTypeOfficeVisit)
		if err != nil {
			return err
		}
		if !r.HasCopay || r.CopayCents <= 0 {
			return fmt.Errorf("%w: appointment %d: coverage %d has no copay from a 271", ErrNoCopay, appointmentID, cov.ID)
		}
		copay = r.CopayCents
		return nil
	})
	return copay, err
}

// claimBalance is a claim's open patient balance.
type claimBalance struct {
	ClaimID     int64
	ServiceDate time.Time
	Cents       int64
}

// claimBalances loads the open patient balances of patients per claim,
// oldest date of service first: one ledger query per patient set and one
// claims query.
func claimBalances(ctx context.Context, tx store.Tx, patientIDs []int64) (map[int64][]claimBalance, error) {
	sums := map[[2]int64]int64{}
	var entries []store.LedgerEntry
	if len(patientIDs) == 1 {
		es, err := tx.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{Account: billing.AccountPatientAR, PatientID: patientIDs[0]})
		if err != nil {
			return nil, err
		}
		entries = es
	} else {
		es, err := tx.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{Account: billing.AccountPatientAR})
		if err != nil {
			return nil, err
		}
		entries = es
	}
	want := map[int64]bool{}
	for _, id := range patientIDs {
		want[id] = true
	}
	for _, e := range entries {
		if e.ClaimID == nil || e.PatientID == nil || !want[*e.PatientID] {
			continue
		}
		sums[[2]int64{*e.PatientID, *e.ClaimID}] += e.AmountCents
	}
	var ids []int64
	for k, v := range sums {
		if v > 0 {
			ids = append(ids, k[1])
		}
	}
	slices.Sort(ids)
	claims, err := tx.GetClaimsByIDs(ctx, store.IDsParams{IDs: ids})
	if err != nil {
		return nil, err
	}
	dates := make(map[int64]time.Time, len(claims))
	for _, c := range claims {
		dates[c.ID] = c.ServiceDateFrom
	}
	out := map[int64][]claimBalance{}
	for k, v := range sums {
		if v > 0 {
			out[k[0]] = append(out[k[0]], claimBalance{ClaimID: k[1], ServiceDate: dates[k[1]], Cents: v})
		}
	}
	for _, bs := range out {
		slices.SortFunc(bs, func(a, b claimBalance) int {
			if c := a.ServiceDate.Compare(b.ServiceDate); c != 0 {
				return c
			}
			return int(a.ClaimID - b.ClaimID)
		})
	}
	return out, nil
}

// allocate spreads amount over balances, the preferred claim first, then
// oldest first, and returns the claim allocations (the rest stays on
// account). It consumes the balances it pays.
func allocate(paymentID, amount int64, balances []claimBalance, preferred *int64) []store.PaymentAllocation {
	order := make([]int, 0, len(balances))
	if preferred != nil {
		for i, b := range balances {
			if b.ClaimID == *preferred {
				order = append(order, i)
			}
		}
	}
	for i, b := range balances {
		if preferred == nil || b.ClaimID != *preferred {
			order = append(order, i)
		}
	}
	var out []store.PaymentAllocation
	for _, i := range order {
		if amount == 0 {
			break
		}
		b := &balances[i]
		if b.Cents <= 0 {
			continue
		}
		n := min(amount, b.Cents)
		id := b.ClaimID
		out = append(out, store.PaymentAllocation{PaymentID: paymentID, Kind: store.AllocationClaim, ClaimID: &id, AmountCents: n})
		b.Cents -= n
		amount -= n
	}
	return out
}
