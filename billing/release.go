package billing

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

// ErrNotReleasable: the file or claim payment is not in a state the
// release or discard applies to (it was posted, discarded or released
// before, or is being processed).
var ErrNotReleasable = errors.New("billing: refused")

// Audit actions of releases.
const (
	// AuditReleaseRemittance: staff confirmed a held 835 and posted it.
	AuditReleaseRemittance = "inbound.release"
	// AuditReleasePayment: staff confirmed a held claim payment and
	// posted it.
	AuditReleasePayment = "inbound.release_payment"
)

// ReleaseParams names what staff release and why.
type ReleaseParams struct {
	ClinicID      int64
	InboundFileID int64
	// Actor is the user who confirmed the release (the audit actor).
	// Required.
	Actor string
	// Reason is the operator's words, kept in the audit log and on the
	// resolved worklist items.
	Reason string
	// HeldPaymentItem, when set, limits ReleaseHeldPayments to the claim
	// payment of that WorkHeldPayment item.
	HeldPaymentItem int64
}

// ReleaseResult says what a release posted.
type ReleaseResult struct {
	// Remit is what posting the file did (ReleaseRemittance), or the one
	// claim payment (ReleaseHeldPayments adds them up).
	Remit RemitResult
	// Payments counts the held claim payments released and posted.
	Payments int
	// ResolvedItems are the hold items resolved, in order.
	ResolvedItems []int64
	// Refused are the held claim payments ReleaseHeldPayments could not
	// post, each with why (a claim the payment still cannot move); their
	// items stay open.
	Refused []string
}

// ReleaseRemittance posts an 835 held whole (state held, a
// WorkHeldRemittance item) as it is: staff confirmed the file-level holds
// (CheckRemittance). The confirmation, with the holds it overrides, is
// appended to the audit log and the hold item resolved in one transaction;
// then the file is posted from its stored content as PostRemittance would,
// except that the file-level checks are skipped. The claim payments are
// still checked one by one (CheckClaimPayment) and may be held.
//
// Posting is keyed by the payer and trace number (TRN) as always, so a
// release that is run twice, or that crashed half-way and is run again,
// posts each payment once.
func (s *Service) ReleaseRemittance(ctx context.Context, p ReleaseParams) (ReleaseResult, error) {
	var res ReleaseResult
	if strings.TrimSpace(p.Actor) == "" {
		return res, fmt.Errorf("%w: the acting user is required (audit actor)", store.ErrInvalid)
	}
	f, err := s.st.GetInboundFile(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.InboundFileID})
	if err != nil {
		return res, err
	}
	if f.State != store.InboundHeld || f.FileType != "835" {
		return res, fmt.Errorf("%w: inbound file %d %s is %s %s, not a held 835", ErrNotReleasable, f.ID, f.FileName, f.FileType, f.State)
	}
	err = s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		items, err := openFileItems(ctx, tx, f.ID, WorkHeldRemittance)
		if err != nil {
			return err
		}
		var holds json.RawMessage
		for _, it := range items {
			var d struct {
				Holds json.RawMessage `json:"holds"`
			}
			if json.Unmarshal(it.Details, &d) == nil && d.Holds != nil {
				holds = d.Holds
			}
		}
		raw, err := json.Marshal(map[string]any{"inboundFileId": f.ID, "file": f.FileName, "reason": p.Reason, "holds": holds,
			"confirmed": "posted as received, the file-level holds overridden"})
		if err != nil {
			return err
		}
		if _, err := tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: p.Actor, Action: AuditReleaseRemittance,
			EntityType: "inbound_file", EntityID: strconv.FormatInt(f.ID, 10), Details: raw}); err != nil {
			return err
		}
		res.ResolvedItems, err = resolveItems(ctx, tx, items, store.WorkResolved, releaseResolution(p))
		return err
	})
	if err != nil {
		return res, err
	}
	body, err := s.st.OpenContent(ctx, f.ContentID)
	if err != nil {
		return res, err
	}
	defer body.Close()
	res.Remit, err = s.postRemittance(ctx, p.ClinicID, f.ID, body, true, nil)
	return res, err
}

// ReleaseHeldPayments posts the claim payments of an 835 that
// CheckClaimPayment held (open WorkHeldPayment items of the file) as they
// are: for each, in one transaction, the payment is posted from the file's
// stored content with the checks skipped, the confirmation appended to the
// audit log and its item resolved. The item is read again (and locked)
// inside the transaction, so a payment released twice posts once.
// A payment whose claim still cannot move (HoldClaimStatus: the claim was
// never submitted or was rejected) is refused by the state machine: nothing
// of it posts, its item stays open, the refusal is in Refused and the
// other payments are released; when none could be, the first refusal is
// the error.
func (s *Service) ReleaseHeldPayments(ctx context.Context, p ReleaseParams) (ReleaseResult, error) {
	var res ReleaseResult
	if strings.TrimSpace(p.Actor) == "" {
		return res, fmt.Errorf("%w: the acting user is required (audit actor)", store.ErrInvalid)
	}
	f, err := s.st.GetInboundFile(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.InboundFileID})
	if err != nil {
		return res, err
	}
	var items []store.WorklistItem
	err = s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		items, err = openFileItems(ctx, tx, f.ID, WorkHeldPayment)
		return err
	})
	if err != nil {
		return res, err
	}
	if p.HeldPaymentItem != 0 {
		i := slices.IndexFunc(items, func(it store.WorklistItem) bool { return it.ID == p.HeldPaymentItem })
		if i < 0 {
			return res, fmt.Errorf("%w: item %d is not an open held claim payment of inbound file %d %s", ErrNotReleasable, p.HeldPaymentItem, f.ID, f.FileName)
		}
		items = items[i : i+1]
	}
	if len(items) == 0 {
		return res, fmt.Errorf("%w: inbound file %d %s is %s and has no held claim payment to release", ErrNotReleasable, f.ID, f.FileName, f.State)
	}
	// The claim payments of the file, by segment ordinal.
	body, err := s.st.OpenContent(ctx, f.ContentID)
	if err != nil {
		return res, err
	}
	defer body.Close()
	er := edi.NewReader(body)
	er.File = f.FileName
	dec := x835.NewDecoderReader(er)
	bySegment := make(map[int]*x835.ClaimPayment)
	for dec.Next() {
		cp := *dec.Claim()
		bySegment[cp.Position.Segment] = &cp
	}
	if err := dec.Err(); err != nil {
		return res, err
	}
	prof, _ := s.profile(ctx, p.ClinicID)
	for _, it := range items {
		remID, seg, ok := heldPaymentKey(it.DedupeKey)
		cp := bySegment[seg]
		if !ok || cp == nil {
			return res, fmt.Errorf("inbound file %d %s: held claim payment of item %d (%s) is not in the file", f.ID, f.FileName, it.ID, it.DedupeKey)
		}
		var part RemitResult
		released := false
		err := s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
			part = RemitResult{}
			// Touch the item first: a concurrent release waits here, then
			// sees it resolved.
			status := it.Status
			if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: p.ClinicID, ID: it.ID, Status: &status}); err != nil {
				return err
			}
			cur, err := tx.GetWorklistItem(ctx, store.Ref{ClinicID: p.ClinicID, ID: it.ID})
			if err != nil {
				return err
			}
			if cur.Status == store.WorkResolved || cur.Status == store.WorkDismissed {
				return nil
			}
			row, err := tx.GetRemittance(ctx, store.Ref{ClinicID: p.ClinicID, ID: remID})
			if err != nil {
				return err
			}
			pst := &poster{s: s, tx: tx, clinicID: p.ClinicID, file: f, profile: prof, res: &part, released: true}
			if err := pst.claimPayment(ctx, row, cp); err != nil {
				return fmt.Errorf("inbound file %d %s: claim payment %s at %s: %w", f.ID, f.FileName, cp.PatientControlNumber, cp.Position, err)
			}
			if part.Credits, err = CheckCredits(ctx, tx, CreditScope{RemittanceIDs: []int64{row.ID}}); err != nil {
				return err
			}
			raw, err := json.Marshal(map[string]any{"inboundFileId": f.ID, "file": f.FileName, "item": it.ID, "reason": p.Reason,
				"patientControlNumber": cp.PatientControlNumber, "paidCents": cp.PaidCents, "position": cp.Position.String(),
				"holds": json.RawMessage(holdsOf(cur.Details)), "confirmed": "posted as received, the claim payment's holds overridden"})
			if err != nil {
				return err
			}
			if _, err := tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: p.Actor, Action: AuditReleasePayment,
				EntityType: "inbound_file", EntityID: strconv.FormatInt(f.ID, 10), Details: raw}); err != nil {
				return err
			}
			if _, err := resolveItems(ctx, tx, []store.WorklistItem{cur}, store.WorkResolved, releaseResolution(p)); err != nil {
				return err
			}
			released = true
			return nil
		})
		if errors.Is(err, claim.ErrIllegalTransition) {
			res.Refused = append(res.Refused, fmt.Sprintf("item %d: %v", it.ID, err))
			continue
		}
		if err != nil {
			return res, err
		}
		if released {
			res.Payments++
			res.ResolvedItems = append(res.ResolvedItems, it.ID)
			res.Remit.add(part)
		}
	}
	if res.Payments == 0 && len(res.Refused) > 0 {
		return res, fmt.Errorf("%w: %s", ErrNotReleasable, res.Refused[0])
	}
	if res.Payments == 0 {
		return res, fmt.Errorf("%w: the held claim payments of inbound file %d %s were released before", ErrNotReleasable, f.ID, f.FileName)
	}
	return res, nil
}

// AuditDiscard is the audit action of an inbound file staff discarded.
const AuditDiscard = "inbound.discard"

// DiscardInboundFile sets a quarantined, held or failed file aside for
// good: in one transaction its state becomes discarded (the reason kept as
// its error), its open quarantine and hold items are dismissed with the
// reason, and the discard is appended to the audit log. Nothing of it is
// applied, ever; its content is kept. The reason is required. A file in
// another state fails with ErrNotReleasable (a received file is being
// processed; a processed one was applied: its held claim payments are
// worklist items of their own).
func (s *Service) DiscardInboundFile(ctx context.Context, p ReleaseParams) (ReleaseResult, error) {
	var res ReleaseResult
	if strings.TrimSpace(p.Actor) == "" {
		return res, fmt.Errorf("%w: the acting user is required (audit actor)", store.ErrInvalid)
	}
	if strings.TrimSpace(p.Reason) == "" {
		return res, fmt.Errorf("%w: a discard needs a reason", store.ErrInvalid)
	}
	err := s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		f, err := tx.GetInboundFile(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.InboundFileID})
		if err != nil {
			return err
		}
		switch f.State {
		case store.InboundQuarantined, store.InboundHeld, store.InboundFailed:
		default:
			return fmt.Errorf("%w: inbound file %d %s is %s; only a quarantined, held or failed file is discarded", ErrNotReleasable, f.ID, f.FileName, f.State)
		}
		raw, err := json.Marshal(map[string]any{"inboundFileId": f.ID, "file": f.FileName, "reason": p.Reason, "state": f.State,
			"quarantineReason": f.QuarantineReason, "error": f.Error})
		if err != nil {
			return err
		}
		if _, err := tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: p.Actor, Action: AuditDiscard,
			EntityType: "inbound_file", EntityID: strconv.FormatInt(f.ID, 10), Details: raw}); err != nil {
			return err
		}
		// Appending holds the clinic's audit chain until commit: read
		// again, a release or discard that committed meanwhile shows.
		if cur, err := tx.GetInboundFile(ctx, store.Ref{ClinicID: p.ClinicID, ID: f.ID}); err != nil {
			return err
		} else if cur.State != f.State {
			return fmt.Errorf("%w: inbound file %d %s became %s meanwhile", ErrNotReleasable, f.ID, f.FileName, cur.State)
		}
		kinds := append([]string{store.WorkQuarantinedFile}, HoldItemKinds()...)
		if res.ResolvedItems, err = ResolveFileItems(ctx, tx, f.ID, store.WorkDismissed, "discarded by "+p.Actor+": "+p.Reason, kinds...); err != nil {
			return err
		}
		_, err = tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: p.ClinicID, ID: f.ID, State: store.InboundDiscarded,
			QuarantineReason: f.QuarantineReason, Error: "discarded by " + p.Actor + ": " + p.Reason})
		return err
	})
	return res, err
}

// HoldItemKinds are the worklist kinds that hold an inbound file or part
// of it, besides the pipeline's quarantine (store.WorkQuarantinedFile).
func HoldItemKinds() []string { return []string{WorkHeldRemittance, WorkHeldPayment} }

// FileItems returns the worklist items raised for an inbound file (their
// details name it by inboundFileId), of the kinds given, open or closed
// when all is set, else open only; in ID order.
func FileItems(ctx context.Context, tx store.Tx, fileID int64, all bool, kinds ...string) ([]store.WorklistItem, error) {
	p := store.ListWorklistItemsParams{ClinicID: tx.ClinicID(), Kinds: kinds}
	if all {
		p.Statuses = []string{store.WorkOpen, store.WorkInProgress, store.WorkResolved, store.WorkDismissed}
	} else {
		p.Statuses = []string{store.WorkOpen, store.WorkInProgress}
	}
	items, err := tx.ListWorklistItems(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []store.WorklistItem
	for _, it := range items {
		var d struct {
			InboundFileID int64 `json:"inboundFileId"`
		}
		if json.Unmarshal(it.Details, &d) == nil && d.InboundFileID == fileID {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b store.WorklistItem) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func openFileItems(ctx context.Context, tx store.Tx, fileID int64, kinds ...string) ([]store.WorklistItem, error) {
	return FileItems(ctx, tx, fileID, false, kinds...)
}

// resolveItems closes items with a status (resolved or dismissed) and a
// resolution, returning their IDs.
func resolveItems(ctx context.Context, tx store.Tx, items []store.WorklistItem, status, resolution string) ([]int64, error) {
	var ids []int64
	for _, it := range items {
		st, r := status, resolution
		if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: tx.ClinicID(), ID: it.ID, Status: &st, Resolution: &r}); err != nil {
			return nil, err
		}
		ids = append(ids, it.ID)
	}
	return ids, nil
}

// ResolveFileItems closes the open worklist items of an inbound file of the
// kinds given; see FileItems.
func ResolveFileItems(ctx context.Context, tx store.Tx, fileID int64, status, resolution string, kinds ...string) ([]int64, error) {
	items, err := openFileItems(ctx, tx, fileID, kinds...)
	if err != nil {
		return nil, err
	}
	return resolveItems(ctx, tx, items, status, resolution)
}

func releaseResolution(p ReleaseParams) string {
	r := "released by " + p.Actor
	if p.Reason != "" {
		r += ": " + p.Reason
	}
	return r
}

// heldPaymentKey reads the remittance ID and the CLP segment ordinal from
// a held payment's dedupe key ("held-payment:REMITTANCE:SEGMENT").
func heldPaymentKey(key string) (int64, int, bool) {
	rest, ok := strings.CutPrefix(key, "held-payment:")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, 0, false
	}
	rem, err1 := strconv.ParseInt(a, 10, 64)
	seg, err2 := strconv.Atoi(b)
	return rem, seg, err1 == nil && err2 == nil
}

func holdsOf(details json.RawMessage) []byte {
	var d struct {
		Holds json.RawMessage `json:"holds"`
	}
	if json.Unmarshal(details, &d) != nil || d.Holds == nil {
		return []byte("null")
	}
	return d.Holds
}

// heldFileAction is the next step of a held 835's item.
func heldFileAction(fileID int64) string {
	if fileID == 0 {
		return "check the 835 with the payer; post it as it is, or ask for a corrected 835"
	}
	return fmt.Sprintf("check the 835 with the payer; post it as it is with clearhouse inbound release %d, "+
		"or set it aside with clearhouse inbound discard %d --reason TEXT and ask for a corrected 835", fileID, fileID)
}

// heldPaymentAction is the next step of a held claim payment's item.
func heldPaymentAction(fileID int64) string {
	if fileID == 0 {
		return "compare with the payer and the claim's payments; post it by hand if it stands, or ask the payer for a corrected 835"
	}
	return fmt.Sprintf("compare with the payer and the claim's payments; if it stands, post it with clearhouse inbound release %d "+
		"(which posts every held payment of the file); if not, dismiss this item and ask the payer for a corrected 835", fileID)
}
