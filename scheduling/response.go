package scheduling

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/store"
)

// Worklist dedupe key suffixes of eligibility items; the key is
// "eligibility:<trace number>:<suffix>".
const (
	issueInactive = "inactive"
	issueUnknown  = "unknown"
	issueRejected = "rejected"
	issueNoAnswer = "no-answer"
)

// ApplyResult is what ApplyEligibilityResponse did.
type ApplyResult struct {
	// Answers counts the 271 answers (Loop 2000C/2000D) matched to a
	// coverage; Active, Inactive and Unknown split them by status.
	Answers, Active, Inactive, Unknown int
	// Recorded counts coverages whose eligibility was written (an answer
	// older than the coverage's last one is not).
	Recorded int
	// WorkItems counts worklist items created; items that already existed
	// (the file was applied before) are not counted.
	WorkItems int
	// NoAnswer counts inquiries of the answered batches that the file
	// leaves unanswered.
	NoAnswer int
	// Unmatched lists answers that name no coverage of the clinic, with the
	// reason.
	Unmatched []string
}

// ApplyEligibilityResponse applies a 271 file in one transaction: each
// answer is matched to its coverage by its trace number (TRN*2 TRN02, see
// TraceNumber) and recorded on it (status, plan, dates and cost sharing as
// an Eligibility document), unless the coverage holds a newer answer.
// Worklist items (kind eligibility, due at the appointment) are raised for
// inactive coverage, for unknown coverage and for AAA rejections (with the
// reject reason and follow-up action); an AAA in Loop 2100A or 2100B, which
// answers no patient, raises one for every inquiry of the batch. Inquiries
// of an answered batch that the file does not answer are raised as unknown
// ("no 271 answer"); an item of that kind is resolved when its answer comes.
// When inboundFileID is set, the inbound file is marked processed (file type
// 271) in the same transaction.
//
// Applying the same file again changes nothing: eligibility is written only
// when newer and worklist items are keyed by trace number.
func (s *Service) ApplyEligibilityResponse(ctx context.Context, clinicID, inboundFileID int64, r io.Reader) (ApplyResult, error) {
	var res ApplyResult
	resps, err := x270.DecodeResponses(r)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrResponse, err)
	}
	if len(resps) == 0 {
		return res, fmt.Errorf("%w: no 271 transaction set", ErrResponse)
	}
	err = s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		res = ApplyResult{}
		if err := s.applyResponses(ctx, tx, clinicID, inboundFileID, resps, &res); err != nil {
			return err
		}
		if inboundFileID != 0 {
			now := s.cfg.Now().UTC()
			if _, err := tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ID: inboundFileID, State: store.InboundProcessed,
				FileType: "271", ProcessedAt: &now}); err != nil {
				return fmt.Errorf("inbound file %d: %w", inboundFileID, err)
			}
		}
		details, _ := json.Marshal(res)
		_, err := tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: DefaultActor, Action: "eligibility.apply",
			EntityType: "inbound_file", EntityID: strconv.FormatInt(inboundFileID, 10), Details: details})
		return err
	})
	return res, err
}

// applyResponses applies decoded 271 transaction sets inside tx.
func (s *Service) applyResponses(ctx context.Context, tx store.Tx, clinicID, inboundFileID int64, resps []*x270.Response, res *ApplyResult) error {
	a := applier{s: s, tx: tx, clinicID: clinicID, fileID: inboundFileID, res: res,
		answered: map[string]bool{}, batches: map[batchKey]bool{}, payers: map[string]store.Payer{}}
	for _, resp := range resps {
		if err := a.response(ctx, resp); err != nil {
			return err
		}
	}
	return a.unanswered(ctx)
}

// batchKey names a 270 batch: the payer (registry ID) and ISA13.
type batchKey struct {
	payer       string
	interchange int64
}

// applier holds the state of one ApplyEligibilityResponse transaction.
type applier struct {
	s        *Service
	tx       store.Tx
	clinicID int64
	fileID   int64
	res      *ApplyResult
	answered map[string]bool   // trace numbers answered by the file
	batches  map[batchKey]bool // batches the file answers (true: all inquiries rejected at 2100A/2100B)
	rejected map[batchKey][]x270.RequestError
	payers   map[string]store.Payer
}

func (a *applier) payer(ctx context.Context, id string) (store.Payer, error) {
	if p, ok := a.payers[id]; ok {
		return p, nil
	}
	p, err := a.tx.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: a.clinicID, PayerID: id})
	if err != nil {
		return p, fmt.Errorf("%w: payer %q (Loop 2100A NM109): %w", ErrResponse, id, err)
	}
	a.payers[id] = p
	return p, nil
}

func (a *applier) response(ctx context.Context, resp *x270.Response) error {
	payer, err := a.payer(ctx, resp.Source.ID)
	if err != nil {
		return err
	}
	answered := resp.Created
	if answered.IsZero() {
		answered = a.s.cfg.Now()
	}
	if len(resp.Summaries) == 0 {
		// Loop 2100A/2100B rejection: every inquiry of the batch.
		errs := append(slices.Clone(resp.SourceErrors), resp.ReceiverErrors...)
		_, ic, ok := parseBatchReference(resp.ReferenceID)
		if !ok || len(errs) == 0 {
			a.res.Unmatched = append(a.res.Unmatched, fmt.Sprintf("transaction set %s: no answers and no batch reference", resp.ControlNumber))
			return nil
		}
		k := batchKey{payer: resp.Source.ID, interchange: ic}
		a.batches[k] = true
		if a.rejected == nil {
			a.rejected = map[batchKey][]x270.RequestError{}
		}
		a.rejected[k] = append(a.rejected[k], errs...)
		return nil
	}
	for i := range resp.Summaries {
		sum := &resp.Summaries[i]
		trn, err := ParseTraceNumber(sum.TraceNumber)
		if err != nil {
			a.res.Unmatched = append(a.res.Unmatched, fmt.Sprintf("trace number %q: not one of ours", sum.TraceNumber))
			continue
		}
		c, err := a.tx.GetCoverage(ctx, store.Ref{ID: trn.CoverageID})
		if err != nil {
			a.res.Unmatched = append(a.res.Unmatched, fmt.Sprintf("trace number %q: coverage %d: %v", sum.TraceNumber, trn.CoverageID, err))
			continue
		}
		if c.PayerID != payer.ID {
			a.res.Unmatched = append(a.res.Unmatched, fmt.Sprintf("trace number %q: coverage %d is not with payer %s", sum.TraceNumber, c.ID, resp.Source.ID))
			continue
		}
		if k := (batchKey{payer: resp.Source.ID, interchange: trn.Interchange}); !a.batches[k] {
			a.batches[k] = false
		}
		a.answered[sum.TraceNumber] = true
		if err := a.answer(ctx, c, payer, trn, sum, answered); err != nil {
			return err
		}
	}
	return nil
}

// answer records one answer and raises its worklist items.
func (a *applier) answer(ctx context.Context, c store.Coverage, payer store.Payer, trn TraceNumber, sum *x270.Summary, answered time.Time) error {
	a.res.Answers++
	doc := eligibilityOf(sum, trn, answered, a.fileID)
	status := doc.Status
	switch status {
	case store.EligibilityActive:
		a.res.Active++
	case store.EligibilityInactive:
		a.res.Inactive++
	default:
		a.res.Unknown++
	}
	answered = answered.UTC().Truncate(time.Microsecond)
	if c.EligibilityChecked == nil || c.EligibilityChecked.Before(answered) {
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if _, err := a.tx.RecordEligibility(ctx, store.RecordEligibilityParams{CoverageID: c.ID, Status: status, CheckedAt: answered, Benefits: b}); err != nil {
			return err
		}
		a.res.Recorded++
	}
	if err := a.resolveNoAnswer(ctx, payer.ID, sum.TraceNumber); err != nil {
		return err
	}
	issue := ""
	var title string
	switch {
	case len(sum.Errors) > 0:
		issue = issueRejected
		e := sum.Errors[0]
		title = fmt.Sprintf("Eligibility rejected by %s (AAA %s %s; %s)", payer.PayerID, e.Reason, RejectReasonText(e.Reason), FollowUpText(e.FollowUp))
	case status == store.EligibilityInactive:
		issue = issueInactive
		title = fmt.Sprintf("Coverage inactive with %s for the visit on %s", payer.PayerID, isoDate(trn.ServiceDate))
	case status != store.EligibilityActive:
		issue = issueUnknown
		title = fmt.Sprintf("Coverage unknown with %s for the visit on %s: the 271 names no active or inactive benefit", payer.PayerID, isoDate(trn.ServiceDate))
	}
	if issue == "" {
		return nil
	}
	return a.raise(ctx, c, payer, trn, sum.TraceNumber, issue, title, map[string]any{"eligibility": doc})
}

// raise creates an eligibility worklist item for an inquiry, linked to the
// appointment and due at its start.
func (a *applier) raise(ctx context.Context, c store.Coverage, payer store.Payer, trn TraceNumber, trace, issue, title string, details map[string]any) error {
	details["trace_number"] = trace
	details["coverage_id"] = c.ID
	details["issue"] = issue
	details["service_date"] = isoDate(trn.ServiceDate)
	if a.fileID != 0 {
		details["inbound_file_id"] = a.fileID
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	pid, payerID := c.PatientID, payer.ID
	p := store.CreateWorklistItemParams{Kind: store.WorkEligibility, Priority: 1, PatientID: &pid, PayerID: &payerID, Title: title,
		Details: b, DedupeKey: "eligibility:" + trace + ":" + issue}
	day := time.Date(trn.ServiceDate.Year(), trn.ServiceDate.Month(), trn.ServiceDate.Day(), 0, 0, 0, 0, a.s.cfg.Location)
	as, err := a.tx.ListAppointments(ctx, store.ListAppointmentsParams{PatientID: c.PatientID, From: day, To: day.AddDate(0, 0, 1),
		Statuses: []string{store.AppointmentBooked, store.AppointmentCheckedIn}})
	if err != nil {
		return err
	}
	for _, ap := range as {
		if ap.CoverageID == nil || *ap.CoverageID == c.ID {
			id, due := ap.ID, ap.StartsAt
			p.AppointmentID, p.DueAt = &id, &due
			break
		}
	}
	_, created, err := a.tx.CreateWorklistItem(ctx, p)
	if err != nil {
		return err
	}
	if created {
		a.res.WorkItems++
	}
	return nil
}

// resolveNoAnswer resolves an open "no 271 answer" item of the trace
// number, now that the answer came.
func (a *applier) resolveNoAnswer(ctx context.Context, payerID int64, trace string) error {
	key := "eligibility:" + trace + ":" + issueNoAnswer
	items, err := a.tx.ListWorklistItems(ctx, store.ListWorklistItemsParams{Kinds: []string{store.WorkEligibility},
		Statuses: []string{store.WorkOpen, store.WorkInProgress}, PayerID: payerID})
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.DedupeKey != key {
			continue
		}
		resolved, note := store.WorkResolved, "the 271 answer arrived"
		if _, err := a.tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ID: it.ID, Status: &resolved, Resolution: &note}); err != nil {
			return err
		}
	}
	return nil
}

// unanswered raises items for the inquiries of the batches the file
// answers that have no answer in it, and for every inquiry of batches
// rejected at Loop 2100A/2100B.
func (a *applier) unanswered(ctx context.Context) error {
	keys := make([]batchKey, 0, len(a.batches))
	for k := range a.batches {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y batchKey) int {
		if c := strings.Compare(x.payer, y.payer); c != 0 {
			return c
		}
		return int(x.interchange - y.interchange)
	})
	for _, k := range keys {
		payer, err := a.payer(ctx, k.payer)
		if err != nil {
			return err
		}
		if a.s.cfg.Payers == nil {
			return fmt.Errorf("%w: Config.Payers (the payer registry) is required to find the 270 batches", ErrInvalid)
		}
		rp, ok := a.s.cfg.Payers.Get(k.payer)
		if !ok {
			a.res.Unmatched = append(a.res.Unmatched, fmt.Sprintf("batch %d: payer %s is not in the payer registry", k.interchange, k.payer))
			continue
		}
		ic, err := a.tx.FindInterchange(ctx, store.FindInterchangeParams{SenderID: rp.Envelope.SenderID, ReceiverID: rp.Envelope.ReceiverID,
			ControlNumber: k.interchange})
		if err != nil {
			a.res.Unmatched = append(a.res.Unmatched, fmt.Sprintf("batch %d of payer %s: %v", k.interchange, k.payer, err))
			continue
		}
		full, err := a.tx.GetInterchange(ctx, store.Ref{ID: ic.ID})
		if err != nil {
			return err
		}
		reqs, err := decodeStored270(ctx, a.tx, full)
		if err != nil {
			return fmt.Errorf("interchange %d: %w", ic.ID, err)
		}
		for _, req := range reqs {
			for _, in := range req.Inquiries {
				if a.answered[in.TraceNumber] {
					continue
				}
				trn, err := ParseTraceNumber(in.TraceNumber)
				if err != nil {
					continue
				}
				c, err := a.tx.GetCoverage(ctx, store.Ref{ID: trn.CoverageID})
				if err != nil {
					continue
				}
				if errs := a.rejected[k]; len(errs) > 0 {
					e := errs[0]
					title := fmt.Sprintf("Eligibility batch rejected by %s (AAA %s %s in Loop %s; %s)", k.payer, e.Reason,
						RejectReasonText(e.Reason), e.Loop, FollowUpText(e.FollowUp))
					var rs []RejectReason
					for _, e := range errs {
						rs = append(rs, RejectReason{Loop: e.Loop, Reason: e.Reason, FollowUp: e.FollowUp})
					}
					if err := a.raise(ctx, c, payer, trn, in.TraceNumber, issueRejected, title, map[string]any{"errors": rs}); err != nil {
						return err
					}
					continue
				}
				a.res.NoAnswer++
				title := fmt.Sprintf("Coverage unknown with %s for the visit on %s: no 271 answer", k.payer, isoDate(trn.ServiceDate))
				if err := a.raise(ctx, c, payer, trn, in.TraceNumber, issueNoAnswer, title, map[string]any{"interchange_id": ic.ID}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
