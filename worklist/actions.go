package worklist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// CorrectParams correct a claim. Give the edits as Set pairs on the claim's
// JSON document ("lines.0.modifiers=[\"25\"]", "diagnoses.1.code=I10"), as a
// whole edited Document, or both (the document first, then the pairs).
type CorrectParams struct {
	ClinicID int64
	ClaimID  int64
	// Set are "path=value" edits: a dotted path of JSON keys and 0-based
	// array indexes; the value is JSON, or a plain string where the field
	// holds a string (or the text is not valid JSON).
	Set []string
	// Document is the whole edited claim (claim.Claim JSON).
	Document json.RawMessage
	Reason   string
	Actor    string
}

// ClaimActionResult says what a claim action did.
type ClaimActionResult struct {
	// Original is the claim acted on, as it is now.
	Original store.Claim
	// New is the replacement (frequency 7) or void (frequency 8) claim,
	// created as a draft for the normal scrub and submit path; nil when the
	// claim was corrected in place or voided before the payer had it.
	New *store.Claim
	// ResolvedItems are the claim's open items the action resolved.
	ResolvedItems []int64
	// Item is the appeal item (Appeal only).
	Item *store.WorklistItem
	// DeniedCents is the denied A/R (billing.AccountDeniedAR) the action
	// moved: back to insurance A/R awaiting payment (an appeal won, a
	// replacement), written off or billed to the patient (an appeal lost),
	// or withdrawn with the charge (a void).
	DeniedCents int64
}

// Correct applies edits to a claim. A claim the payer accepted (it has the
// payer's claim control number from the 277CA or 835, and the state machine
// allows replaced) is resubmitted as a replacement: a new draft claim with
// frequency code 7 (CLM05-3) and the payer claim control number (Loop 2300
// REF*F8), while the original moves to replaced and its outstanding
// insurance A/R, denied A/R included (a denied claim corrected and rebilled),
// moves to the replacement, so the replacement's payment settles it. A claim the payer never accepted
// (scrub_failed, rejected, draft, ready) is corrected in place and goes back
// to draft. Either way the claim's open items are resolved and an audit
// event records the edits, in one transaction.
func (s *Service) Correct(ctx context.Context, p CorrectParams) (ClaimActionResult, error) {
	if err := requireActor(p.Actor); err != nil {
		return ClaimActionResult{}, err
	}
	if len(p.Set) == 0 && len(p.Document) == 0 {
		return ClaimActionResult{}, fmt.Errorf("%w: no edits (give field=value pairs or an edited document)", ErrInvalid)
	}
	var res ClaimActionResult
	clinicID, err := s.claimClinic(ctx, p.ClinicID, p.ClaimID)
	if err != nil {
		return res, err
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		orig, err := tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: p.ClaimID})
		if err != nil {
			return err
		}
		if orig.Status == claim.StatusReplaced || orig.Status == claim.StatusVoided {
			return fmt.Errorf("%w: claim %d is %s: correct its successor instead", ErrNotAllowed, orig.ID, orig.Status)
		}
		doc, err := editDocument(orig.Document, p.Document, p.Set)
		if err != nil {
			return err
		}
		from, to := doc.ServiceSpan()
		total := doc.LineChargeTotal()
		if len(doc.Lines) == 0 {
			total = doc.TotalChargeCents
		}
		doc.TotalChargeCents = total
		replace := orig.PayerClaimControlNumber != "" && claim.CanTransition(orig.Status, claim.StatusReplaced)
		details := map[string]any{"set": p.Set, "document": len(p.Document) > 0, "reason": p.Reason}
		if !replace {
			if !claim.CanTransition(orig.Status, claim.StatusDraft) {
				return fmt.Errorf("%w: claim %d is %s: it cannot be corrected in place, and without the payer's claim control number it cannot be replaced",
					ErrNotAllowed, orig.ID, orig.Status)
			}
			doc.PatientControlNumber = orig.PatientControlNumber
			raw, err := marshalDoc(doc)
			if err != nil {
				return err
			}
			upd := store.UpdateClaimParams{ClinicID: clinicID, ID: orig.ID, Document: raw, TotalChargeCents: &total}
			if !from.IsZero() {
				f, t := from.Time(), to.Time()
				upd.ServiceDateFrom, upd.ServiceDateTo = &f, &t
			}
			if _, err := tx.UpdateClaim(ctx, upd); err != nil {
				return err
			}
			if err := adjustCharge(ctx, tx, orig, orig.ID, total-orig.TotalChargeCents, s.today(), "correction"); err != nil {
				return err
			}
			if orig.Status != claim.StatusDraft {
				if _, err := tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: clinicID, ID: orig.ID, From: orig.Status,
					Status: claim.StatusDraft, Reason: reasonOr(p.Reason, "corrected"), Actor: p.Actor}); err != nil {
					return err
				}
			}
			if res.ResolvedItems, err = resolveClaimItems(ctx, tx, orig.ID, "corrected by "+p.Actor); err != nil {
				return err
			}
			if res.Original, err = tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: orig.ID}); err != nil {
				return err
			}
			details["mode"] = "in place"
			details["resolvedItems"] = res.ResolvedItems
			return audit(ctx, tx, p.Actor, "claim.correct", "claim", orig.ID, details)
		}
		nc, err := s.successor(ctx, tx, orig, doc, claim.FrequencyReplacement, claim.StatusReplaced, p.Reason, p.Actor)
		if err != nil {
			return err
		}
		res.New = &nc
		if res.DeniedCents, err = s.moveInsuranceAR(ctx, tx, orig, nc.ID, "replaced by "+nc.PatientControlNumber, p.Actor); err != nil {
			return err
		}
		if res.DeniedCents != 0 {
			details["deniedCents"] = res.DeniedCents
		}
		if err := adjustCharge(ctx, tx, orig, nc.ID, nc.TotalChargeCents-orig.TotalChargeCents, s.today(), "replacement"); err != nil {
			return err
		}
		if res.ResolvedItems, err = resolveClaimItems(ctx, tx, orig.ID, fmt.Sprintf("replaced by claim %d (%s)", nc.ID, nc.PatientControlNumber)); err != nil {
			return err
		}
		if res.Original, err = tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: orig.ID}); err != nil {
			return err
		}
		details["mode"] = "replacement"
		details["newClaim"] = nc.ID
		details["payerClaimControlNumber"] = orig.PayerClaimControlNumber
		details["resolvedItems"] = res.ResolvedItems
		return audit(ctx, tx, p.Actor, "claim.correct", "claim", orig.ID, details)
	})
	return res, err
}

// VoidParams void a claim.
type VoidParams struct {
	ClinicID int64
	ClaimID  int64
	Reason   string
	Actor    string
}

// Void cancels a claim. A claim the payer accepted (it has the payer's
// claim control number) gets a void claim: a new draft copy with frequency
// code 8 (CLM05-3) and REF*F8, sent through the normal path so the payer
// takes back what it paid. A claim the payer never had is simply voided.
// The original moves to voided and its outstanding insurance A/R (denied
// A/R included) is reversed against revenue (the charge is withdrawn); its
// open items are
// resolved. All in one transaction with an audit event.
func (s *Service) Void(ctx context.Context, p VoidParams) (ClaimActionResult, error) {
	if err := requireActor(p.Actor); err != nil {
		return ClaimActionResult{}, err
	}
	var res ClaimActionResult
	clinicID, err := s.claimClinic(ctx, p.ClinicID, p.ClaimID)
	if err != nil {
		return res, err
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		orig, err := tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: p.ClaimID})
		if err != nil {
			return err
		}
		if !claim.CanTransition(orig.Status, claim.StatusVoided) || orig.Status == claim.StatusVoided {
			return fmt.Errorf("%w: claim %d is %s and cannot be voided", ErrNotAllowed, orig.ID, orig.Status)
		}
		details := map[string]any{"reason": p.Reason}
		if orig.PayerClaimControlNumber != "" {
			doc, err := editDocument(orig.Document, nil, nil)
			if err != nil {
				return err
			}
			nc, err := s.successor(ctx, tx, orig, doc, claim.FrequencyVoid, claim.StatusVoided, p.Reason, p.Actor)
			if err != nil {
				return err
			}
			res.New = &nc
			details["newClaim"] = nc.ID
			details["payerClaimControlNumber"] = orig.PayerClaimControlNumber
		} else if _, err := tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: clinicID, ID: orig.ID, From: orig.Status,
			Status: claim.StatusVoided, Reason: reasonOr(p.Reason, "voided"), Actor: p.Actor}); err != nil {
			return err
		}
		// A denied amount still open is withdrawn with the charge.
		if res.DeniedCents, err = s.reopenDenials(ctx, tx, orig.ID, "void", p.Actor); err != nil {
			return err
		}
		bal, err := claimBalance(ctx, tx, orig.ID, billing.AccountInsuranceAR)
		if err != nil {
			return err
		}
		rest, err := claimBalance(ctx, tx, orig.ID, billing.AccountDeniedAR)
		if err != nil {
			return err
		}
		if bal+rest != 0 {
			lines := []store.LedgerLine{{Account: billing.AccountRevenue, AmountCents: bal + rest, ClaimID: &orig.ID, PatientID: &orig.PatientID}}
			if bal != 0 {
				lines = append(lines, store.LedgerLine{Account: billing.AccountInsuranceAR, AmountCents: -bal, ClaimID: &orig.ID, PatientID: &orig.PatientID})
			}
			if rest != 0 {
				lines = append(lines, store.LedgerLine{Account: billing.AccountDeniedAR, AmountCents: -rest, ClaimID: &orig.ID, PatientID: &orig.PatientID})
				res.DeniedCents += rest
			}
			if _, _, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: "void:" + strconv.FormatInt(orig.ID, 10),
				Description: "void " + orig.PatientControlNumber, EffectiveDate: s.today(), Lines: lines}); err != nil {
				return err
			}
		}
		details["reversedCents"] = bal + rest
		if res.ResolvedItems, err = resolveClaimItems(ctx, tx, orig.ID, "voided by "+p.Actor); err != nil {
			return err
		}
		details["resolvedItems"] = res.ResolvedItems
		if res.Original, err = tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: orig.ID}); err != nil {
			return err
		}
		return audit(ctx, tx, p.Actor, "claim.void", "claim", orig.ID, details)
	})
	return res, err
}

// Appeal statuses. An appeal is filed, may be pending with the payer, and
// ends won (the claim is reprocessed), lost or withdrawn.
const (
	AppealFiled     = "filed"
	AppealPending   = "pending"
	AppealWon       = "won"
	AppealLost      = "lost"
	AppealWithdrawn = "withdrawn"
)

// AppealEvent is one step of an appeal, kept in the appeal item's Details
// under "appeal".
type AppealEvent struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Note   string    `json:"note,omitempty"`
	// Level is the appeal level (1 first, 2 second, ...).
	Level int `json:"level"`
}

// AppealParams record a step of a claim's appeal.
type AppealParams struct {
	ClinicID int64
	ClaimID  int64
	// Status defaults to filed. Filing opens an appeal item (a second filing
	// after a lost appeal raises the level); the other statuses update the
	// claim's open appeal, and won, lost and withdrawn close it.
	Status string
	Note   string
	// DueAt is when to follow up (payers answer appeals in 30 to 60 days).
	DueAt *time.Time
	// Then, with Status lost, is what becomes of the claim's denied A/R:
	// AppealThenWriteOff writes it off, AppealThenPatient bills it to the
	// patient; empty leaves it open in denied A/R (a next level of appeal,
	// a correction).
	Then  string
	Actor string
}

// What a lost appeal's denied amount becomes (AppealParams.Then).
const (
	AppealThenWriteOff = "writeoff"
	AppealThenPatient  = "patient"
)

// Appeal files or updates the appeal of a claim the payer adjudicated. The
// appeal is an item of kind appeal whose Details keep its history; filing
// it resolves the claim's open denial and underpayment items.
//
// The outcome moves the claim's denied A/R (billing.AccountDeniedAR): won
// returns it to insurance A/R awaiting payment (billing.ReopenDenialsTx)
// and a denied claim to accepted, so the payer's next 835 settles it; lost
// with Then writes it off or bills it to the patient, and a denied claim
// with no insurance A/R left is closed; lost without Then leaves it open.
func (s *Service) Appeal(ctx context.Context, p AppealParams) (ClaimActionResult, error) {
	if err := requireActor(p.Actor); err != nil {
		return ClaimActionResult{}, err
	}
	if p.Status == "" {
		p.Status = AppealFiled
	}
	switch p.Status {
	case AppealFiled, AppealPending, AppealWon, AppealLost, AppealWithdrawn:
	default:
		return ClaimActionResult{}, fmt.Errorf("%w: appeal status %q: want filed, pending, won, lost or withdrawn", ErrInvalid, p.Status)
	}
	switch {
	case p.Then == "":
	case p.Status != AppealLost:
		return ClaimActionResult{}, fmt.Errorf("%w: --then %s is for a lost appeal", ErrInvalid, p.Then)
	case p.Then != AppealThenWriteOff && p.Then != AppealThenPatient:
		return ClaimActionResult{}, fmt.Errorf("%w: --then %q: want writeoff or patient", ErrInvalid, p.Then)
	}
	var res ClaimActionResult
	clinicID, err := s.claimClinic(ctx, p.ClinicID, p.ClaimID)
	if err != nil {
		return res, err
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		c, err := tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: p.ClaimID})
		if err != nil {
			return err
		}
		res.Original = c
		appeals, err := tx.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: clinicID, ClaimID: c.ID, Kinds: []string{KindAppeal}})
		if err != nil {
			return err
		}
		var open *store.WorklistItem
		for i := range appeals {
			if !closed(appeals[i]) {
				open = &appeals[i]
			}
		}
		ev := AppealEvent{Status: p.Status, At: s.now().UTC(), Actor: p.Actor, Note: p.Note, Level: 1}
		if p.Status == AppealFiled {
			if open != nil {
				return fmt.Errorf("%w: claim %d already has an open appeal (item %d)", ErrNotAllowed, c.ID, open.ID)
			}
			switch c.Status {
			case claim.StatusDenied, claim.StatusPartiallyPaid, claim.StatusPaid, claim.StatusClosed:
			default:
				return fmt.Errorf("%w: claim %d is %s: only an adjudicated claim (denied, paid, partially paid, closed) can be appealed",
					ErrNotAllowed, c.ID, c.Status)
			}
			ev.Level = len(appeals) + 1
			raw, err := json.Marshal(map[string]any{"patientControlNumber": c.PatientControlNumber,
				"payerClaimControlNumber": c.PayerClaimControlNumber, "appeal": []AppealEvent{ev},
				"action": "follow up with the payer on the appeal"})
			if err != nil {
				return err
			}
			w, _, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: KindAppeal, Status: store.WorkInProgress, Priority: 2,
				ClaimID: &c.ID, PatientID: &c.PatientID, PayerID: &c.PayerID, Assignee: p.Actor, AmountCents: openAmount(ctx, tx, c),
				Title: fmt.Sprintf("Appeal level %d of %s", ev.Level, c.PatientControlNumber), Details: raw, DueAt: p.DueAt,
				DedupeKey: "appeal:" + strconv.FormatInt(c.ID, 10) + ":" + strconv.Itoa(ev.Level)})
			if err != nil {
				return err
			}
			res.Item = &w
			resolved, err := tx.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: clinicID, ClaimID: c.ID,
				Kinds: []string{store.WorkDenial, store.WorkUnderpayment}, Statuses: []string{store.WorkOpen, store.WorkInProgress}})
			if err != nil {
				return err
			}
			st, note := store.WorkResolved, fmt.Sprintf("appealed (item %d)", w.ID)
			for _, r := range resolved {
				if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: clinicID, ID: r.ID, Status: &st, Resolution: &note}); err != nil {
					return err
				}
				res.ResolvedItems = append(res.ResolvedItems, r.ID)
			}
			return audit(ctx, tx, p.Actor, "claim.appeal", "claim", c.ID, map[string]any{"status": p.Status, "level": ev.Level,
				"item": w.ID, "note": p.Note, "resolvedItems": res.ResolvedItems})
		}
		if open == nil {
			return fmt.Errorf("%w: claim %d has no open appeal (file one first)", ErrNotAllowed, c.ID)
		}
		var d struct {
			Appeal []AppealEvent `json:"appeal"`
		}
		_ = json.Unmarshal(open.Details, &d)
		if len(d.Appeal) > 0 {
			ev.Level = d.Appeal[len(d.Appeal)-1].Level
		}
		raw, err := withDetail(open.Details, "appeal", append(d.Appeal, ev))
		if err != nil {
			return err
		}
		upd := store.UpdateWorklistItemParams{ClinicID: clinicID, ID: open.ID, Details: raw, DueAt: p.DueAt}
		if p.Status == AppealWon || p.Status == AppealLost || p.Status == AppealWithdrawn {
			st, resolution := store.WorkResolved, "appeal "+p.Status
			if p.Note != "" {
				resolution += ": " + p.Note
			}
			upd.Status, upd.Resolution = &st, &resolution
		}
		w, err := tx.UpdateWorklistItem(ctx, upd)
		if err != nil {
			return err
		}
		res.Item = &w
		if res.DeniedCents, err = s.appealOutcome(ctx, tx, c, p, ev.Level); err != nil {
			return err
		}
		if res.Original, err = tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: c.ID}); err != nil {
			return err
		}
		details := map[string]any{"status": p.Status, "level": ev.Level, "item": w.ID, "note": p.Note}
		if p.Then != "" {
			details["then"] = p.Then
		}
		if res.DeniedCents != 0 {
			details["deniedCents"] = res.DeniedCents
		}
		return audit(ctx, tx, p.Actor, "claim.appeal", "claim", c.ID, details)
	})
	return res, err
}

// WriteOffParams write off a claim's balance.
type WriteOffParams struct {
	ClinicID int64
	ClaimID  int64
	// AmountCents zero writes off the whole outstanding balance.
	AmountCents int64
	// FromPatient writes off patient responsibility instead of insurance
	// A/R.
	FromPatient bool
	// Reason is required (timely filing, small balance, bundled, ...).
	Reason string
	Actor  string
}

// WriteOffResult says what WriteOff posted.
type WriteOffResult struct {
	Claim         store.Claim
	AmountCents   int64
	ResolvedItems []int64
}

// WriteOff writes off part or all of a claim's insurance (or patient)
// balance to the write-off account through billing.Service.WriteOffTx, in
// one transaction with an audit event. Writing off the whole insurance
// balance resolves the claim's open denial and underpayment items. A
// balance that does not cover the write-off (nothing outstanding, such as
// a denial whose contractual adjustment already cleared it, or less than
// asked) fails with ErrNotAllowed wrapping billing's *WriteOffError.
func (s *Service) WriteOff(ctx context.Context, p WriteOffParams) (WriteOffResult, error) {
	var res WriteOffResult
	if err := requireActor(p.Actor); err != nil {
		return res, err
	}
	if strings.TrimSpace(p.Reason) == "" {
		return res, fmt.Errorf("%w: a write-off needs a reason", ErrInvalid)
	}
	if p.AmountCents < 0 {
		return res, fmt.Errorf("%w: negative write-off amount", ErrInvalid)
	}
	clinicID, err := s.claimClinic(ctx, p.ClinicID, p.ClaimID)
	if err != nil {
		return res, err
	}
	bs, err := billing.New(s.st, billing.Options{Now: s.now, Actor: p.Actor})
	if err != nil {
		return res, err
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		earlier, err := tx.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: clinicID, ClaimID: p.ClaimID, Account: billing.AccountWriteOff})
		if err != nil {
			return err
		}
		ref := "claim:" + strconv.FormatInt(p.ClaimID, 10) + ":" + strconv.Itoa(len(earlier)+1)
		wo, err := bs.WriteOffTx(ctx, tx, billing.WriteOffParams{ClaimID: p.ClaimID, AmountCents: p.AmountCents, FromPatient: p.FromPatient,
			Reference: ref, Reason: p.Reason, Date: s.today()})
		if errors.Is(err, billing.ErrNothingToWriteOff) || errors.Is(err, billing.ErrWriteOffExceedsBalance) {
			return fmt.Errorf("%w: %w", ErrNotAllowed, err)
		}
		if err != nil {
			return err
		}
		c := wo.Claim
		res.Claim, res.AmountCents = c, wo.AmountCents
		if !p.FromPatient && wo.AmountCents == wo.BalanceCents {
			items, err := tx.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: clinicID, ClaimID: c.ID,
				Kinds: []string{store.WorkDenial, store.WorkUnderpayment, store.WorkRejection, store.WorkScrubFailure}, Statuses: []string{store.WorkOpen, store.WorkInProgress}})
			if err != nil {
				return err
			}
			st, note := store.WorkResolved, "written off: "+p.Reason
			for _, w := range items {
				if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: clinicID, ID: w.ID, Status: &st, Resolution: &note}); err != nil {
					return err
				}
				res.ResolvedItems = append(res.ResolvedItems, w.ID)
			}
		}
		return audit(ctx, tx, p.Actor, "claim.writeoff", "claim", c.ID, map[string]any{"amountCents": wo.AmountCents, "account": wo.Account,
			"reason": p.Reason, "reference": ref, "resolvedItems": res.ResolvedItems})
	})
	return res, err
}

func (s *Service) today() time.Time {
	t := s.now().UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (s *Service) claimClinic(ctx context.Context, clinicID, claimID int64) (int64, error) {
	if clinicID != 0 {
		return clinicID, nil
	}
	c, err := s.FindClaim(ctx, 0, claimID)
	if err != nil {
		return 0, err
	}
	return c.ClinicID, nil
}

func reasonOr(reason, def string) string {
	if reason != "" {
		return reason
	}
	return def
}

// successor creates the replacement (7) or void (8) claim of orig and moves
// orig to status.
func (s *Service) successor(ctx context.Context, tx store.Tx, orig store.Claim, doc *claim.Claim, freq string, status claim.Status, reason, actor string) (store.Claim, error) {
	if !claim.CanTransition(orig.Status, status) {
		return store.Claim{}, fmt.Errorf("%w: claim %d is %s and cannot become %s", ErrNotAllowed, orig.ID, orig.Status, status)
	}
	suffix := "R"
	if freq == claim.FrequencyVoid {
		suffix = "V"
	}
	pcn, err := nextControlNumber(ctx, tx, rootNumber(orig.PatientControlNumber), suffix)
	if err != nil {
		return store.Claim{}, err
	}
	doc.PatientControlNumber = pcn
	doc.FrequencyCode = freq
	doc.PayerClaimControlNumber = orig.PayerClaimControlNumber
	raw, err := marshalDoc(doc)
	if err != nil {
		return store.Claim{}, err
	}
	from, to := doc.ServiceSpan()
	p := store.CreateClaimParams{PayerID: orig.PayerID, PatientID: orig.PatientID, EncounterID: orig.EncounterID,
		PatientControlNumber: pcn, Kind: orig.Kind, Status: claim.StatusDraft, FrequencyCode: freq, OriginalClaimID: &orig.ID,
		PayerClaimControlNumber: orig.PayerClaimControlNumber, TotalChargeCents: doc.TotalChargeCents,
		ServiceDateFrom: orig.ServiceDateFrom, ServiceDateTo: orig.ServiceDateTo, Document: raw, Actor: actor}
	if !from.IsZero() {
		p.ServiceDateFrom, p.ServiceDateTo = from.Time(), to.Time()
	}
	nc, err := tx.CreateClaim(ctx, p)
	if err != nil {
		return store.Claim{}, err
	}
	why := fmt.Sprintf("%s by claim %d (%s)", status, nc.ID, pcn)
	if reason != "" {
		why += ": " + reason
	}
	_, err = tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: orig.ClinicID, ID: orig.ID, From: orig.Status, Status: status,
		Reason: why, Actor: actor})
	if err != nil {
		return store.Claim{}, err
	}
	return nc, nil
}

// rootNumber strips the replacement and void suffixes this package adds
// ("E12R1" -> "E12"), so a chain of corrections numbers from its root.
func rootNumber(pcn string) string {
	for {
		i := strings.LastIndexAny(pcn, "RV")
		if i <= 0 || i == len(pcn)-1 {
			return pcn
		}
		if _, err := strconv.Atoi(pcn[i+1:]); err != nil {
			return pcn
		}
		pcn = pcn[:i]
	}
}

// nextControlNumber returns the first free CLM01 root+suffix+n. The store
// keeps patient control numbers unique per clinic, so a replacement cannot
// reuse the original's; the payer ties them together by REF*F8.
func nextControlNumber(ctx context.Context, tx store.Tx, root, suffix string) (string, error) {
	for n := 1; n < 1000; n++ {
		pcn := root + suffix + strconv.Itoa(n)
		_, err := tx.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: tx.ClinicID(), PatientControlNumber: pcn})
		if errors.Is(err, store.ErrNotFound) {
			return pcn, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%w: no free patient control number for %s", ErrNotAllowed, root)
}

func claimBalance(ctx context.Context, tx store.Tx, claimID int64, account string) (int64, error) {
	return tx.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: tx.ClinicID(), Account: account, ClaimID: claimID})
}

func openAmount(ctx context.Context, tx store.Tx, c store.Claim) int64 {
	bal, err := openAmountAll(ctx, tx, c.ID)
	if err != nil || bal < 0 {
		return 0
	}
	return bal
}

// moveInsuranceAR transfers the original claim's outstanding insurance A/R
// to its replacement, so payments on the replacement settle it: its denied
// A/R too, first reopened (see reopenDenials), so the payer's later
// reversal of the denial reopens nothing a second time. It returns the
// denied amount moved.
func (s *Service) moveInsuranceAR(ctx context.Context, tx store.Tx, orig store.Claim, to int64, desc, actor string) (int64, error) {
	denied, err := s.reopenDenials(ctx, tx, orig.ID, desc, actor)
	if err != nil {
		return 0, err
	}
	bal, err := claimBalance(ctx, tx, orig.ID, billing.AccountInsuranceAR)
	if err != nil {
		return 0, err
	}
	rest, err := claimBalance(ctx, tx, orig.ID, billing.AccountDeniedAR)
	if err != nil || bal+rest == 0 {
		return denied, err
	}
	lines := []store.LedgerLine{{Account: billing.AccountInsuranceAR, AmountCents: bal + rest, ClaimID: &to, PatientID: &orig.PatientID}}
	if bal != 0 {
		lines = append(lines, store.LedgerLine{Account: billing.AccountInsuranceAR, AmountCents: -bal, ClaimID: &orig.ID, PatientID: &orig.PatientID})
	}
	if rest != 0 {
		lines = append(lines, store.LedgerLine{Account: billing.AccountDeniedAR, AmountCents: -rest, ClaimID: &orig.ID, PatientID: &orig.PatientID})
	}
	_, _, err = tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: "replace:" + strconv.FormatInt(orig.ID, 10),
		Description: desc, EffectiveDate: s.today(), Lines: lines})
	return denied + rest, err
}

// reopenDenials moves a claim's denied A/R back to insurance A/R awaiting
// payment (billing.ReopenDenialsTx) and returns the amount.
func (s *Service) reopenDenials(ctx context.Context, tx store.Tx, claimID int64, why, actor string) (int64, error) {
	bs, err := billing.New(s.st, billing.Options{Now: s.now, Actor: actor})
	if err != nil {
		return 0, err
	}
	return bs.ReopenDenialsTx(ctx, tx, billing.ReopenDenialsParams{ClaimID: claimID, Why: why, Date: s.today()})
}

// appealOutcome moves the claim's denied A/R as the appeal's outcome says
// (see Appeal) and returns the amount moved.
func (s *Service) appealOutcome(ctx context.Context, tx store.Tx, c store.Claim, p AppealParams, level int) (int64, error) {
	var moved int64
	var err error
	switch {
	case p.Status == AppealWon:
		if moved, err = s.reopenDenials(ctx, tx, c.ID, "appeal won", p.Actor); err != nil {
			return 0, err
		}
		if c.Status == claim.StatusDenied {
			_, err = tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: tx.ClinicID(), ID: c.ID, From: c.Status, Status: claim.StatusAccepted,
				Reason: reasonOr(p.Note, "appeal won: awaiting the payer's payment"), Actor: p.Actor})
		}
		return moved, err
	case p.Status != AppealLost || p.Then == "":
		return 0, nil
	}
	denied, err := billing.DeniedBalance(ctx, tx, c.ID)
	if err != nil {
		return 0, err
	}
	if denied <= 0 {
		return 0, fmt.Errorf("%w: claim %d has no denied balance open to %s", ErrNotAllowed, c.ID, p.Then)
	}
	bs, err := billing.New(s.st, billing.Options{Now: s.now, Actor: p.Actor})
	if err != nil {
		return 0, err
	}
	ref := "appeal:" + strconv.FormatInt(c.ID, 10) + ":" + strconv.Itoa(level)
	reason := "appeal level " + strconv.Itoa(level) + " lost"
	if p.Note != "" {
		reason += ": " + p.Note
	}
	if p.Then == AppealThenWriteOff {
		wo, err := bs.WriteOffTx(ctx, tx, billing.WriteOffParams{ClaimID: c.ID, AmountCents: denied, Reference: ref, Reason: reason, Date: s.today()})
		if err != nil {
			return 0, err
		}
		moved = wo.AmountCents
	} else if moved, err = bs.DeniedToPatientTx(ctx, tx, billing.DeniedToPatientParams{ClaimID: c.ID, Reference: ref, Reason: reason,
		Date: s.today()}); err != nil {
		return 0, err
	}
	left, err := openAmountAll(ctx, tx, c.ID)
	if err != nil || left != 0 || c.Status != claim.StatusDenied {
		return moved, err
	}
	_, err = tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: tx.ClinicID(), ID: c.ID, From: c.Status, Status: claim.StatusClosed,
		Reason: reason + ": denied amount " + map[string]string{AppealThenWriteOff: "written off", AppealThenPatient: "billed to the patient"}[p.Then],
		Actor:  p.Actor})
	return moved, err
}

// openAmountAll is a claim's insurance A/R, denied A/R included.
func openAmountAll(ctx context.Context, tx store.Tx, claimID int64) (int64, error) {
	bal, err := claimBalance(ctx, tx, claimID, billing.AccountInsuranceAR)
	if err != nil {
		return 0, err
	}
	denied, err := claimBalance(ctx, tx, claimID, billing.AccountDeniedAR)
	return bal + denied, err
}

// adjustCharge posts a change of a claim's total charge (a corrected line
// amount): insurance A/R and revenue move by diff.
func adjustCharge(ctx context.Context, tx store.Tx, orig store.Claim, claimID, diff int64, day time.Time, why string) error {
	if diff == 0 {
		return nil
	}
	events, err := tx.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: tx.ClinicID(), ClaimID: claimID, Account: billing.AccountRevenue})
	if err != nil {
		return err
	}
	key := fmt.Sprintf("charge-change:%d:%d", claimID, len(events))
	_, _, err = tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: key,
		Description: why + " charge change " + orig.PatientControlNumber, EffectiveDate: day, Lines: []store.LedgerLine{
			{Account: billing.AccountInsuranceAR, AmountCents: diff, ClaimID: &claimID, PatientID: &orig.PatientID},
			{Account: billing.AccountRevenue, AmountCents: -diff, ClaimID: &claimID, PatientID: &orig.PatientID},
		}})
	return err
}

func marshalDoc(doc *claim.Claim) (json.RawMessage, error) {
	doc.ID = ""
	return json.Marshal(doc)
}

// editDocument applies an edited document, then the Set pairs, to a claim
// document and decodes the result strictly (an unknown field is an error).
func editDocument(current, edited json.RawMessage, set []string) (*claim.Claim, error) {
	base := current
	if len(edited) > 0 {
		base = edited
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(base))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("%w: claim document: %v", ErrInvalid, err)
	}
	for _, kv := range set {
		path, value, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(path) == "" {
			return nil, fmt.Errorf("%w: --set %q: want path=value", ErrInvalid, kv)
		}
		var err error
		if tree, err = setPath(tree, strings.Split(strings.TrimSpace(path), "."), value); err != nil {
			return nil, fmt.Errorf("%w: --set %s: %v", ErrInvalid, path, err)
		}
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	var doc claim.Claim
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: edited claim: %v", ErrInvalid, err)
	}
	return &doc, nil
}

// setPath sets the value at path in a decoded JSON tree. An object key may
// be new (the claim decoder rejects unknown ones); an array index must
// exist or be the length (append).
func setPath(node any, path []string, value string) (any, error) {
	if len(path) == 0 {
		return parseValue(node, value), nil
	}
	key := path[0]
	switch n := node.(type) {
	case map[string]any:
		v, err := setPath(n[key], path[1:], value)
		if err != nil {
			return nil, err
		}
		n[key] = v
		return n, nil
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i > len(n) {
			return nil, fmt.Errorf("index %q out of range (length %d)", key, len(n))
		}
		if i == len(n) {
			n = append(n, nil)
		}
		v, err := setPath(n[i], path[1:], value)
		if err != nil {
			return nil, err
		}
		n[i] = v
		return n, nil
	case nil:
		if _, err := strconv.Atoi(key); err == nil {
			return nil, fmt.Errorf("index %q into a missing array", key)
		}
		v, err := setPath(nil, path[1:], value)
		if err != nil {
			return nil, err
		}
		return map[string]any{key: v}, nil
	default:
		return nil, fmt.Errorf("%q is inside a %T, not an object or array", key, node)
	}
}

// parseValue reads a --set value: a plain string where the field holds a
// string, else JSON when it parses, else a string.
func parseValue(old any, value string) any {
	if _, isString := old.(string); isString {
		return value
	}
	dec := json.NewDecoder(strings.NewReader(value))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		return v
	}
	return value
}

// CorrectedDocument is the claim document Correct would store for these
// edits of current (a stored claim's document): the edits applied and the
// total recomputed from the lines, before anything is saved, so the
// correction can be scrubbed first.
func CorrectedDocument(current, edited json.RawMessage, set []string) (*claim.Claim, error) {
	doc, err := editDocument(current, edited, set)
	if err != nil {
		return nil, err
	}
	if len(doc.Lines) > 0 {
		doc.TotalChargeCents = doc.LineChargeTotal()
	}
	return doc, nil
}
