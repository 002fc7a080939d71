package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// WorkCreditBalance is a claim whose insurance A/R is below zero (the payer
// paid more than it owed) or a patient account whose payments exceed what
// the patient owes: money to refund, or to wait for the payer to take
// back. One item per claim or patient; it resolves itself when the balance
// returns to zero.
const WorkCreditBalance = "credit_balance"

// Causes of a credit balance, read from the claim's payments.
const (
	// CreditOverpayment: paid more than owed (the patient paid more than
	// their share, or a payer paid past the balance for no reason the
	// ledger shows).
	CreditOverpayment = "overpayment"
	// CreditDuplicate: the payer paid the claim twice (two payments in
	// force, neither reversed).
	CreditDuplicate = "duplicate_payment"
	// CreditSecondaryOverpaid: a secondary (or tertiary) payer paid
	// without regard to the prior payer's payment.
	CreditSecondaryOverpaid = "secondary_overpaid"
	// CreditReplacement: a replacement claim's payment on top of the
	// payment of the claim it replaced.
	CreditReplacement = "replacement"
)

// AuditPayerRefund is the audit action of a refund to a payer.
const AuditPayerRefund = "claim.refund"

// creditCleared begins the resolution of a credit-balance item closed
// because its balance returned to zero; only such an item is reopened when
// the balance goes below zero again (one a person closed stays closed).
const creditCleared = "credit balance cleared"

// CreditScope chooses the balances CheckCredits looks at: the claims named
// (ClaimIDs), the patients named (their claims and their account), and the
// claims and patients with ledger entries of the remittances named. The
// zero scope is every claim and patient of the clinic.
type CreditScope struct {
	ClaimIDs      []int64
	PatientIDs    []int64
	RemittanceIDs []int64
}

func (c CreditScope) all() bool {
	return len(c.ClaimIDs) == 0 && len(c.PatientIDs) == 0 && len(c.RemittanceIDs) == 0
}

// CreditBalance is one credit balance: a claim's insurance A/R below zero
// (ClaimID set) or a patient account in credit (ClaimID zero).
type CreditBalance struct {
	ClaimID              int64  `json:"claimId,omitempty"`
	PatientID            int64  `json:"patientId,omitempty"`
	PayerID              int64  `json:"payerId,omitempty"`
	PatientControlNumber string `json:"patientControlNumber,omitempty"`
	// AmountCents is what is owed back, positive.
	AmountCents int64 `json:"amountCents"`
	// Cause is one of the Credit* causes.
	Cause string `json:"cause"`
	// Payments are the claim payments in force on the claim (and, for a
	// replacement, on the claim it replaced).
	Payments []int64 `json:"claimPayments,omitempty"`
	// ItemID is the credit_balance worklist item.
	ItemID int64 `json:"itemId,omitempty"`
}

// CreditResult says what CheckCredits found and did.
type CreditResult struct {
	Credits []CreditBalance
	// Opened counts new items and reopened ones, Updated those whose
	// amount changed, Resolved those closed because the balance is zero.
	Opened, Updated, Resolved int
}

// ClaimCredit is the credit of a claim with insurance A/R balance ar: what
// the payer paid past the balance (zero when ar is not negative).
func ClaimCredit(ar int64) int64 { return max(0, -ar) }

// PatientCredit is the credit of a patient account: what the patient paid
// past what they owe (patientAR, their claims' patient A/R, less
// cashOnAccount, the patient_credit balance, which is negative), and zero
// while insuranceAR, their claims' insurance A/R, is positive: a copay
// taken before the payer answered is a deposit, not yet a credit.
func PatientCredit(patientAR, cashOnAccount, insuranceAR int64) int64 {
	if insuranceAR > 0 {
		return 0
	}
	return max(0, -(patientAR + cashOnAccount))
}

// DetectCredits checks every claim and patient account of a clinic for
// credit balances (see CheckCredits), in one transaction: the nightly
// job's pass and `clearhouse claims credits --check`.
func (s *Service) DetectCredits(ctx context.Context, clinicID int64) (CreditResult, error) {
	var res CreditResult
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		res, err = CheckCredits(ctx, tx, CreditScope{})
		return err
	})
	return res, err
}

// Credits lists the clinic's credit balances with their causes, without
// changing the worklist.
func (s *Service) Credits(ctx context.Context, clinicID int64) ([]CreditBalance, error) {
	var out []CreditBalance
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		out, err = findCredits(ctx, tx, CreditScope{})
		return err
	})
	return out, err
}

// CheckCredits finds the credit balances of scope in tx and keeps one
// credit_balance worklist item per claim or patient in credit: it opens
// the item (or reopens one its balance had cleared), restates its amount
// when the credit changed, and resolves the items of the scope whose
// balance is back to zero. It is set-based: the balances are read with one
// grouped query per side (claims, patient accounts), the claims, their
// payments and the items with one query each, and new items are written
// with one bulk statement. 835 posting runs it over the claims each file
// touched, patient payments and refunds over their patient, and the
// nightly job over the whole clinic.
func CheckCredits(ctx context.Context, tx store.Tx, scope CreditScope) (CreditResult, error) {
	var res CreditResult
	credits, seen, err := scanCredits(ctx, tx, scope)
	if err != nil {
		return res, err
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var items []store.WorklistItem
	if len(keys) > 0 {
		if items, err = creditItems(ctx, tx, keys); err != nil {
			return res, err
		}
	}
	if scope.all() {
		open, err := tx.ListWorklistItems(ctx, store.ListWorklistItemsParams{Kinds: []string{WorkCreditBalance},
			Statuses: []string{store.WorkOpen, store.WorkInProgress}})
		if err != nil {
			return res, err
		}
		items = append(items, open...)
	}
	byKey := make(map[string]store.WorklistItem, len(items))
	for _, it := range items {
		byKey[it.DedupeKey] = it
	}
	inCredit := make(map[string]bool, len(credits))
	var create []store.CreateWorklistItemParams
	for i := range credits {
		cr := &credits[i]
		key := creditKey(*cr)
		inCredit[key] = true
		title := creditTitle(*cr)
		details, err := creditDetails(*cr)
		if err != nil {
			return res, err
		}
		it, ok := byKey[key]
		switch {
		case !ok:
			item := store.CreateWorklistItemParams{Kind: WorkCreditBalance, Priority: 2, AmountCents: cr.AmountCents, Title: title,
				Details: details, DedupeKey: key}
			if cr.ClaimID != 0 {
				item.ClaimID = &cr.ClaimID
				if cr.PayerID != 0 {
					item.PayerID = &cr.PayerID
				}
			}
			if cr.PatientID != 0 {
				item.PatientID = &cr.PatientID
			}
			create = append(create, item)
			res.Opened++
		case closed(it) && !strings.HasPrefix(it.Resolution, creditCleared):
			cr.ItemID = it.ID // a person closed it; it stays closed
		case closed(it):
			cr.ItemID = it.ID
			st, empty := store.WorkOpen, ""
			if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ID: it.ID, Status: &st, Resolution: &empty,
				AmountCents: &cr.AmountCents, Title: &title, Details: details}); err != nil {
				return res, err
			}
			res.Opened++
		case it.AmountCents != cr.AmountCents || it.Title != title:
			cr.ItemID = it.ID
			if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ID: it.ID, AmountCents: &cr.AmountCents, Title: &title,
				Details: details}); err != nil {
				return res, err
			}
			res.Updated++
		default:
			cr.ItemID = it.ID
		}
	}
	if len(create) > 0 {
		if err := tx.CreateWorklistItems(ctx, store.CreateWorklistItemsParams{Items: create}); err != nil {
			return res, err
		}
		// The new items' IDs, for the caller.
		var newKeys []string
		for _, c := range create {
			newKeys = append(newKeys, c.DedupeKey)
		}
		made, err := creditItems(ctx, tx, newKeys)
		if err != nil {
			return res, err
		}
		ids := make(map[string]int64, len(made))
		for _, it := range made {
			ids[it.DedupeKey] = it.ID
		}
		for i := range credits {
			if credits[i].ItemID == 0 {
				credits[i].ItemID = ids[creditKey(credits[i])]
			}
		}
	}
	// Items of the scope whose balance is back to zero. Items resolve one
	// by one: few balances clear in one run.
	var clear []store.WorklistItem
	for _, it := range items {
		if inCredit[it.DedupeKey] || closed(it) {
			continue
		}
		if !scope.all() && !seen[it.DedupeKey] {
			continue
		}
		inCredit[it.DedupeKey] = true // once
		clear = append(clear, it)
	}
	slices.SortFunc(clear, func(a, b store.WorklistItem) int { return int(a.ID - b.ID) })
	for _, it := range clear {
		st, r := store.WorkResolved, creditCleared+": the balance is back to zero"
		if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ID: it.ID, Status: &st, Resolution: &r}); err != nil {
			return res, err
		}
		res.Resolved++
	}
	res.Credits = credits
	return res, nil
}

func closed(it store.WorklistItem) bool {
	return it.Status == store.WorkResolved || it.Status == store.WorkDismissed
}

func creditKey(c CreditBalance) string {
	if c.ClaimID != 0 {
		return "credit:claim:" + strconv.FormatInt(c.ClaimID, 10)
	}
	return "credit:patient:" + strconv.FormatInt(c.PatientID, 10)
}

var causeText = map[string]string{
	CreditOverpayment:       "overpayment",
	CreditDuplicate:         "duplicate payment",
	CreditSecondaryOverpaid: "secondary paid without regard to the primary",
	CreditReplacement:       "replacement paid on top of the original",
}

func creditTitle(c CreditBalance) string {
	if c.ClaimID == 0 {
		return fmt.Sprintf("Patient credit balance %s (%s): refund the patient", money.Cents(c.AmountCents), causeText[c.Cause])
	}
	return fmt.Sprintf("Credit balance %s (%s): refund the payer or await its take-back", money.Cents(c.AmountCents), causeText[c.Cause])
}

func creditDetails(c CreditBalance) (json.RawMessage, error) {
	d := map[string]any{"cause": c.Cause, "creditCents": c.AmountCents, "location": "ledger account " + AccountInsuranceAR}
	if c.ClaimID != 0 {
		d["claim"], d["patientControlNumber"], d["claimPayments"] = c.ClaimID, c.PatientControlNumber, c.Payments
		d["action"] = fmt.Sprintf("refund the payer (clearhouse claims refund %d --amount %s --to payer --reference CHECK) "+
			"or wait for its take-back (835 PLB WO or FB naming the claim, or a CLP02 22 reversal)", c.ClaimID, money.Cents(c.AmountCents))
	} else {
		d["patient"], d["location"] = c.PatientID, "ledger accounts "+AccountPatientAR+" and "+AccountPatientCredit
		d["action"] = "refund the patient (clearhouse payments refund PAYMENT_ID --amount A) or apply the credit to a new balance"
	}
	raw, err := json.Marshal(d)
	return raw, err
}

// findCredits is the credit balances of scope, read-only.
func findCredits(ctx context.Context, tx store.Tx, scope CreditScope) ([]CreditBalance, error) {
	out, _, err := scanCredits(ctx, tx, scope)
	return out, err
}

// scanCredits reads the balances of scope and returns the credits, with
// their causes, and the dedupe keys of every claim and patient the scope
// covered (in credit or not; all of them only when the scope is not the
// whole clinic, whose balances are read in credit only).
func scanCredits(ctx context.Context, tx store.Tx, scope CreditScope) ([]CreditBalance, map[string]bool, error) {
	neg := scope.all()
	claimSums, err := tx.LedgerSums(ctx, store.LedgerSumsParams{Accounts: []string{AccountInsuranceAR, AccountDeniedAR}, ClaimIDs: scope.ClaimIDs,
		PatientIDs: scope.PatientIDs, RemittanceIDs: scope.RemittanceIDs, Negative: neg})
	if err != nil {
		return nil, nil, err
	}
	patients := scope.PatientIDs
	if len(scope.ClaimIDs) > 0 {
		// The patients of the claims named: their accounts moved too.
		for _, s := range claimSums {
			if s.PatientID != 0 {
				patients = append(patients, s.PatientID)
			}
		}
		slices.Sort(patients)
		patients = slices.Compact(patients)
	}
	var patientSums []store.LedgerSum
	if neg || len(patients) > 0 || len(scope.RemittanceIDs) > 0 {
		p := store.LedgerSumsParams{Accounts: []string{AccountPatientAR, AccountPatientCredit}, ByPatient: true, PatientIDs: patients, Negative: neg}
		if len(scope.ClaimIDs) == 0 {
			p.RemittanceIDs = scope.RemittanceIDs
		}
		if patientSums, err = tx.LedgerSums(ctx, p); err != nil {
			return nil, nil, err
		}
	}
	seen := make(map[string]bool)
	var out []CreditBalance
	var claimIDs []int64
	for _, s := range claimSums {
		c := CreditBalance{ClaimID: s.ClaimID, PatientID: s.PatientID, AmountCents: ClaimCredit(s.AmountCents)}
		if !neg {
			seen[creditKey(c)] = true
		}
		if c.AmountCents > 0 {
			out = append(out, c)
			claimIDs = append(claimIDs, s.ClaimID)
		}
	}
	// A patient in credit whose claims still wait on a payer is not.
	var owing []int64
	for _, s := range patientSums {
		if !neg {
			seen[creditKey(CreditBalance{PatientID: s.PatientID})] = true
		}
		if s.AmountCents < 0 {
			owing = append(owing, s.PatientID)
		}
	}
	pending := map[int64]int64{}
	if len(owing) > 0 {
		ins, err := tx.LedgerSums(ctx, store.LedgerSumsParams{Accounts: []string{AccountInsuranceAR, AccountDeniedAR}, ByPatient: true, PatientIDs: owing})
		if err != nil {
			return nil, nil, err
		}
		for _, s := range ins {
			pending[s.PatientID] = s.AmountCents
		}
	}
	for _, s := range patientSums {
		// The patient account's sum is patient A/R plus cash on account.
		if n := PatientCredit(s.AmountCents, 0, pending[s.PatientID]); n > 0 {
			out = append(out, CreditBalance{PatientID: s.PatientID, AmountCents: n, Cause: CreditOverpayment})
		}
	}
	if len(claimIDs) > 0 {
		if err := claimCauses(ctx, tx, out, claimIDs); err != nil {
			return nil, nil, err
		}
	}
	if neg {
		for _, c := range out {
			seen[creditKey(c)] = true
		}
	}
	return out, seen, nil
}

// claimCauses fills the payer, claim number, payments and cause of the
// claim credits of out: one query for the claims, one for the claims they
// replaced, one for the payments of all of them.
func claimCauses(ctx context.Context, tx store.Tx, out []CreditBalance, claimIDs []int64) error {
	claims, err := tx.GetClaimsByIDs(ctx, store.IDsParams{IDs: claimIDs})
	if err != nil {
		return err
	}
	byID := make(map[int64]store.Claim, len(claims))
	var related []int64
	for _, c := range claims {
		byID[c.ID] = c
		related = append(related, c.ID)
		if c.OriginalClaimID != nil {
			related = append(related, *c.OriginalClaimID)
		}
	}
	slices.Sort(related)
	related = slices.Compact(related)
	pays, err := tx.ListClaimPaymentsByClaims(ctx, store.IDsParams{IDs: related})
	if err != nil {
		return err
	}
	paysOf := make(map[int64][]store.ClaimPayment)
	for _, p := range pays {
		paysOf[*p.ClaimID] = append(paysOf[*p.ClaimID], p)
	}
	for i := range out {
		cr := &out[i]
		if cr.ClaimID == 0 {
			continue
		}
		c := byID[cr.ClaimID]
		cr.PayerID, cr.PatientControlNumber = c.PayerID, c.PatientControlNumber
		if cr.PatientID == 0 {
			cr.PatientID = c.PatientID
		}
		open := inForce(paysOf[c.ID])
		for _, p := range open {
			cr.Payments = append(cr.Payments, p.ID)
		}
		var origOpen []store.ClaimPayment
		if c.OriginalClaimID != nil {
			origOpen = inForce(paysOf[*c.OriginalClaimID])
		}
		cr.Cause = creditCause(c, open, origOpen)
		if cr.Cause == CreditReplacement {
			for _, p := range origOpen {
				cr.Payments = append(cr.Payments, p.ID)
			}
		}
	}
	return nil
}

// inForce are the payments of a claim that neither a reversal (CLP02 22)
// nor a later payment (an overturned denial) took back, reversals left out.
func inForce(ps []store.ClaimPayment) []store.ClaimPayment {
	gone := make(map[int64]bool)
	for _, x := range ps {
		var d paymentDocument
		if json.Unmarshal(x.Document, &d) != nil {
			continue
		}
		if x.StatusCode == x835.StatusReversal && d.Reverses != 0 {
			gone[d.Reverses] = true
		}
		if d.Supersedes != 0 {
			gone[d.Supersedes] = true
		}
	}
	var out []store.ClaimPayment
	for _, x := range ps {
		if x.StatusCode != x835.StatusReversal && !gone[x.ID] {
			out = append(out, x)
		}
	}
	return out
}

// creditCause reads why a claim is in credit from its payments in force
// (open) and those of the claim it replaced (origOpen): two payments with
// money make a duplicate; a replacement paid while its original's payment
// stands is a replacement credit; a claim billed with a prior payer's
// adjudication (a secondary) paid past its balance is a secondary
// overpayment; anything else an overpayment.
func creditCause(c store.Claim, open, origOpen []store.ClaimPayment) string {
	paid := 0
	for _, p := range open {
		if p.PaidCents > 0 {
			paid++
		}
	}
	if paid >= 2 {
		return CreditDuplicate
	}
	for _, p := range origOpen {
		if p.PaidCents > 0 {
			return CreditReplacement
		}
	}
	if c.OriginalClaimID != nil && c.FrequencyCode == "7" && paid > 0 && len(origOpen) > 0 {
		return CreditReplacement
	}
	for _, p := range open {
		var d paymentDocument
		if json.Unmarshal(p.Document, &d) == nil && d.PriorPayerCents > 0 {
			return CreditSecondaryOverpaid
		}
	}
	if doc, err := loadDocument(c); err == nil && len(doc.OtherPayers) > 0 {
		return CreditSecondaryOverpaid
	}
	return CreditOverpayment
}

// PayerRefundParams record a refund to a payer of a claim's credit.
type PayerRefundParams struct {
	ClinicID int64
	ClaimID  int64
	// AmountCents is what is paid back, at most the claim's credit.
	AmountCents int64
	// Reference is the refund check or transfer number.
	Reference string
	Reason    string
	Actor     string
	// Date is the day the refund was sent; default today.
	Date time.Time
}

// PayerRefund is a recorded refund and what it left.
type PayerRefund struct {
	ClaimID       int64
	AmountCents   int64
	TransactionID int64
	// CreditCents is the claim's credit after the refund.
	CreditCents int64
	// Credits is what the check of the claim's balance did (the item
	// resolved when the credit is gone).
	Credits CreditResult
}

// RefundPayer records a refund of a claim's credit balance to its payer, in
// one transaction: the ledger transaction (insurance A/R debited, cash
// credited against the remittance whose payment is returned), an audit
// event, and the credit check of the claim, which resolves its
// credit_balance item once the credit is gone. The amount must be positive
// and at most the credit. Recording the same refund again (same claim,
// amount, reference and balance) posts nothing more.
func (s *Service) RefundPayer(ctx context.Context, p PayerRefundParams) (PayerRefund, error) {
	out := PayerRefund{ClaimID: p.ClaimID, AmountCents: p.AmountCents}
	if p.AmountCents <= 0 {
		return out, fmt.Errorf("%w: a refund needs a positive amount", ErrInput)
	}
	if p.Actor == "" {
		p.Actor = s.opts.Actor
	}
	if p.Date.IsZero() {
		p.Date = s.today()
	}
	err := s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		c, err := tx.GetClaim(ctx, store.Ref{ID: p.ClaimID})
		if err != nil {
			return err
		}
		ar, err := tx.LedgerBalance(ctx, store.LedgerBalanceParams{Account: AccountInsuranceAR, ClaimID: c.ID})
		if err != nil {
			return err
		}
		credit := ClaimCredit(ar)
		if p.AmountCents > credit {
			return fmt.Errorf("%w: claim %s has a credit of %s; a refund of %s would leave the payer owing", ErrInput, c.PatientControlNumber,
				money.Cents(credit), money.Cents(p.AmountCents))
		}
		pays, err := tx.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClaimID: c.ID})
		if err != nil {
			return err
		}
		var remID *int64
		if open := inForce(pays); len(open) > 0 {
			id := open[len(open)-1].RemittanceID
			remID = &id
		}
		pid := c.PatientID
		key := fmt.Sprintf("payer-refund:%d:%d:%d:%s", c.ID, ar, p.AmountCents, p.Reference)
		t, created, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: key,
			Description: fmt.Sprintf("refund to payer of claim %s %s", c.PatientControlNumber, p.Reference), EffectiveDate: p.Date,
			Lines: []store.LedgerLine{
				{Account: AccountInsuranceAR, AmountCents: p.AmountCents, ClaimID: &c.ID, PatientID: &pid, RemittanceID: remID},
				{Account: AccountCash, AmountCents: -p.AmountCents, ClaimID: &c.ID, RemittanceID: remID},
			}})
		if err != nil {
			return err
		}
		out.TransactionID = t.ID
		out.CreditCents = credit
		if !created {
			return nil // recorded before
		}
		out.CreditCents = credit - p.AmountCents
		raw, err := json.Marshal(map[string]any{"claim": c.ID, "patientControlNumber": c.PatientControlNumber, "payerId": c.PayerID,
			"amountCents": p.AmountCents, "reference": p.Reference, "reason": p.Reason, "to": "payer", "creditBeforeCents": credit,
			"ledgerTransaction": t.ID})
		if err != nil {
			return err
		}
		if _, err := tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: p.Actor, Action: AuditPayerRefund, EntityType: "claim",
			EntityID: strconv.FormatInt(c.ID, 10), Details: raw}); err != nil {
			return err
		}
		out.Credits, err = CheckCredits(ctx, tx, CreditScope{ClaimIDs: []int64{c.ID}})
		return err
	})
	return out, err
}

// takeBackReasons are the PLB03-1 adjustment reasons (005010X221A1) by
// which a payer takes back money it paid on a claim: WO overpayment
// recovery and FB forwarding balance. L6 (interest owed) is money the
// payer adds, not a take-back, and stays a provider adjustment.
var takeBackReasons = map[string]bool{x835.ReasonOverpaymentRecovery: true, x835.ReasonForwardingBalance: true}

// takeBackClaims finds the claims the take-backs (PLB WO and FB) of rem
// name in their PLB03-2 reference: a patient control number or a payer
// claim control number (the claim's, or a CLP07 of its payments; the whole
// reference, or one of its words), with the claims' payments in force, a
// query each for the set. A take-back
// whose claim is not found stays a provider adjustment.
func (p *poster) takeBackClaims(ctx context.Context, rem *x835.Remittance) (map[int]takenClaim, error) {
	refs := make(map[int][]string)
	var keys []string
	for i, a := range rem.ProviderAdjustments {
		if !takeBackReasons[a.Reason] || a.AmountCents == 0 || strings.TrimSpace(a.Reference) == "" {
			continue
		}
		words := append([]string{strings.TrimSpace(a.Reference)}, strings.FieldsFunc(a.Reference, func(r rune) bool {
			return r == ' ' || r == '/' || r == ','
		})...)
		refs[i] = words
		keys = append(keys, words...)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	keys = uniqueStrings(keys)
	byPCN, err := p.tx.GetClaimsByPatientControlNumbers(ctx, store.KeysParams{ClinicID: p.clinicID, Keys: keys})
	if err != nil {
		return nil, err
	}
	byICN, err := p.tx.GetClaimsByPayerClaimControlNumbers(ctx, store.KeysParams{ClinicID: p.clinicID, Keys: keys})
	if err != nil {
		return nil, err
	}
	pcn := make(map[string]store.Claim, len(byPCN))
	for _, c := range byPCN {
		pcn[c.PatientControlNumber] = c
	}
	icn := make(map[string]store.Claim, len(byICN))
	for _, c := range byICN {
		icn[c.PayerClaimControlNumber] = c // the latest wins
	}
	// The payer's ICN as its 835s gave it (CLP07) for claims the 277CA
	// did not number.
	var rest []string
	for _, k := range keys {
		if _, ok := pcn[k]; !ok {
			if _, ok := icn[k]; !ok {
				rest = append(rest, k)
			}
		}
	}
	if len(rest) > 0 {
		pays, err := p.tx.ListClaimPaymentsByPayerClaimControlNumbers(ctx, store.KeysParams{ClinicID: p.clinicID, Keys: rest})
		if err != nil {
			return nil, err
		}
		claimOf := make(map[string]int64)
		var ids []int64
		for _, x := range pays {
			if x.ClaimID != nil {
				claimOf[x.PayerClaimControlNumber] = *x.ClaimID
				ids = append(ids, *x.ClaimID)
			}
		}
		if len(ids) > 0 {
			cs, err := p.tx.GetClaimsByIDs(ctx, store.IDsParams{ClinicID: p.clinicID, IDs: unique(ids)})
			if err != nil {
				return nil, err
			}
			byID := index(cs, func(c store.Claim) int64 { return c.ID })
			for k, id := range claimOf {
				if c, ok := byID[id]; ok {
					icn[k] = c
				}
			}
		}
	}
	out := make(map[int]takenClaim, len(refs))
	var ids []int64
	for i, words := range refs {
		for _, w := range words {
			c, ok := pcn[w]
			if !ok {
				c, ok = icn[w]
			}
			if ok {
				out[i] = takenClaim{claim: c}
				ids = append(ids, c.ID)
				break
			}
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	pays, err := p.tx.ListClaimPaymentsByClaims(ctx, store.IDsParams{ClinicID: p.clinicID, IDs: unique(ids)})
	if err != nil {
		return nil, err
	}
	byClaim := make(map[int64][]store.ClaimPayment)
	for _, x := range pays {
		byClaim[*x.ClaimID] = append(byClaim[*x.ClaimID], x)
	}
	for i, t := range out {
		t.inForce = inForce(byClaim[t.claim.ID])
		out[i] = t
	}
	return out, nil
}

// takenClaim is the claim a take-back names, with its payments in force.
type takenClaim struct {
	claim   store.Claim
	inForce []store.ClaimPayment
}

// takeBack is the ledger transaction of a PLB take-back of a claim: the
// payer keeps the amount from this payment (cash lower). When the claim was
// paid twice and the amount is the later payment's, the take-back undoes
// that duplicate's posting whole (its payment, adjustments and patient
// share, as a reversal would); otherwise the amount is charged back to the
// claim's insurance A/R, which its credit had left negative (a negative
// amount, a forwarding balance given back, moves the other way).
func takeBack(row store.Remittance, i int, a x835.ProviderAdjustment, t takenClaim, date time.Time) store.PostLedgerTransactionParams {
	c := t.claim
	pid := c.PatientID
	tx := store.PostLedgerTransactionParams{
		IdempotencyKey: "plb:" + strconv.FormatInt(row.ID, 10) + ":" + strconv.Itoa(i),
		Description:    "provider adjustment " + a.Reason + " " + a.Reference + " taken back on claim " + c.PatientControlNumber, EffectiveDate: date,
		Lines: []store.LedgerLine{
			{Account: AccountInsuranceAR, AmountCents: a.AmountCents, ClaimID: &c.ID, PatientID: &pid, RemittanceID: &row.ID},
			{Account: AccountCash, AmountCents: -a.AmountCents, ClaimID: &c.ID, RemittanceID: &row.ID},
		}}
	paid := 0
	for _, p := range t.inForce {
		if p.PaidCents > 0 {
			paid++
		}
	}
	if last := len(t.inForce) - 1; paid >= 2 && t.inForce[last].PaidCents == a.AmountCents {
		dup := t.inForce[last]
		lines := ledgerLines(dup, pid, dup.RemittanceID)
		for j := range lines {
			lines[j].AmountCents = -lines[j].AmountCents
			lines[j].RemittanceID = &row.ID
		}
		tx.Lines = lines
		tx.Description += " (duplicate payment " + strconv.FormatInt(dup.ID, 10) + " undone)"
	}
	return tx
}

// checkPostedCredits runs CheckCredits, in one transaction, over the claims
// and patients the remittances of runs touched (those posted now; a
// remittance posted before touched nothing new).
func (s *Service) checkPostedCredits(ctx context.Context, clinicID int64, runs []*remitRun, res *RemitResult) error {
	var ids []int64
	for _, r := range runs {
		if r.started && !r.skip && r.row.ID != 0 {
			ids = append(ids, r.row.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		cr, err := CheckCredits(ctx, tx, CreditScope{RemittanceIDs: ids})
		res.Credits = cr
		return err
	})
}

// creditItems loads the credit_balance items with these dedupe keys,
// through the store's chunked look-up by key.
func creditItems(ctx context.Context, tx store.Tx, keys []string) ([]store.WorklistItem, error) {
	items, err := tx.GetWorklistItemsByDedupeKeys(ctx, store.KeysParams{Keys: keys})
	return slices.DeleteFunc(items, func(w store.WorklistItem) bool { return w.Kind != WorkCreditBalance }), err
}
