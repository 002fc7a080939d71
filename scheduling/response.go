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

// eligibilityChunk is how many 271 answers one transaction applies.
const eligibilityChunk = 1000

// ApplyEligibilityResponse applies a 271 file a chunk of answers at a
// time: each answer is matched to its coverage by its trace number (TRN*2
// TRN02, see TraceNumber) and recorded on it (status, plan, dates and cost
// sharing as an Eligibility document), unless the coverage holds a newer
// answer. Worklist items (kind eligibility, due at the appointment) are
// raised for inactive coverage, for unknown coverage and for AAA
// rejections (with the reject reason and follow-up action); an AAA in
// Loop 2100A or 2100B, which answers no patient, raises one for every
// inquiry of the batch. Inquiries of an answered batch that the file does
// not answer are raised as unknown ("no 271 answer"); an item of that kind
// is resolved when its answer comes. When inboundFileID is set, the
// inbound file is marked processed (file type 271) in the last
// transaction, with the batches' unanswered inquiries.
//
// A chunk of eligibilityChunk answers is one transaction of a few
// statements: its coverages and open items loaded in one query each, the
// eligibility written in one multi-row statement, the appointments of the
// items' days listed once a day and the items created in one statement.
// Applying the same file again, or again after a crash between chunks,
// changes nothing already applied: eligibility is written only when newer
// and worklist items are keyed by trace number.
func (s *Service) ApplyEligibilityResponse(ctx context.Context, clinicID, inboundFileID int64, r io.Reader) (ApplyResult, error) {
	var res ApplyResult
	resps, err := x270.DecodeResponses(r)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrResponse, err)
	}
	if len(resps) == 0 {
		return res, fmt.Errorf("%w: no 271 transaction set", ErrResponse)
	}
	a := s.newApplier(clinicID, inboundFileID, &res)
	var answers []pendingAnswer
	for _, resp := range resps {
		got, err := a.response(ctx, s.cfg.Store, resp)
		if err != nil {
			return res, err
		}
		answers = append(answers, got...)
	}
	for start := 0; start < len(answers); start += eligibilityChunk {
		chunk := answers[start:min(start+eligibilityChunk, len(answers))]
		var part ApplyResult
		err := s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
			part = ApplyResult{}
			return a.chunk(ctx, tx, chunk, &part)
		})
		if err != nil {
			return res, err
		}
		res.add(part)
	}
	var part ApplyResult
	err = s.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		part = ApplyResult{}
		if err := a.unanswered(ctx, tx, &part); err != nil {
			return err
		}
		if inboundFileID != 0 {
			now := s.cfg.Now().UTC()
			if _, err := tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ID: inboundFileID, State: store.InboundProcessed,
				FileType: "271", ProcessedAt: &now}); err != nil {
				return fmt.Errorf("inbound file %d: %w", inboundFileID, err)
			}
		}
		total := res
		total.add(part)
		details, _ := json.Marshal(total)
		_, err := tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: DefaultActor, Action: "eligibility.apply",
			EntityType: "inbound_file", EntityID: strconv.FormatInt(inboundFileID, 10), Details: details})
		return err
	})
	if err != nil {
		return res, err
	}
	res.add(part)
	return res, nil
}

// applyResponses applies decoded 271 transaction sets inside tx, as
// ApplyEligibilityResponse does a file's chunks (a real-time answer is one
// inquiry's).
func (s *Service) applyResponses(ctx context.Context, tx store.Tx, clinicID, inboundFileID int64, resps []*x270.Response, res *ApplyResult) error {
	a := s.newApplier(clinicID, inboundFileID, res)
	var answers []pendingAnswer
	for _, resp := range resps {
		got, err := a.response(ctx, tx, resp)
		if err != nil {
			return err
		}
		answers = append(answers, got...)
	}
	for start := 0; start < len(answers); start += eligibilityChunk {
		if err := a.chunk(ctx, tx, answers[start:min(start+eligibilityChunk, len(answers))], res); err != nil {
			return err
		}
	}
	return a.unanswered(ctx, tx, res)
}

func (s *Service) newApplier(clinicID, inboundFileID int64, res *ApplyResult) *applier {
	return &applier{s: s, clinicID: clinicID, fileID: inboundFileID, res: res,
		answered: map[string]bool{}, batches: map[batchKey]bool{}, payers: map[string]store.Payer{}}
}

// add adds the counts and unmatched answers of part.
func (r *ApplyResult) add(part ApplyResult) {
	r.Answers += part.Answers
	r.Active += part.Active
	r.Inactive += part.Inactive
	r.Unknown += part.Unknown
	r.Recorded += part.Recorded
	r.WorkItems += part.WorkItems
	r.NoAnswer += part.NoAnswer
	r.Unmatched = append(r.Unmatched, part.Unmatched...)
}

// batchKey names a 270 batch: the payer (registry ID) and ISA13.
type batchKey struct {
	payer       string
	interchange int64
}

// pendingAnswer is one 271 answer (Loop 2000C/2000D) to apply.
type pendingAnswer struct {
	payer    store.Payer
	source   string // the payer's registry ID (Loop 2100A NM109)
	trn      TraceNumber
	sum      *x270.Summary
	answered time.Time
}

// applier holds the state of one ApplyEligibilityResponse: what the file
// answers, across its chunks.
type applier struct {
	s        *Service
	clinicID int64
	fileID   int64
	res      *ApplyResult      // unmatched answers found reading the file
	answered map[string]bool   // trace numbers answered by the file
	batches  map[batchKey]bool // batches the file answers (true: all inquiries rejected at 2100A/2100B)
	rejected map[batchKey][]x270.RequestError
	payers   map[string]store.Payer
}

// payerReader finds a payer, on a Store or in a transaction (on SQLite a
// Store call waits for the transaction open around it, so the transaction
// reads itself).
type payerReader interface {
	GetPayerByPayerID(ctx context.Context, p store.GetPayerByPayerIDParams) (store.Payer, error)
}

func (a *applier) payer(ctx context.Context, q payerReader, id string) (store.Payer, error) {
	if p, ok := a.payers[id]; ok {
		return p, nil
	}
	p, err := q.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: a.clinicID, PayerID: id})
	if err != nil {
		return p, fmt.Errorf("%w: payer %q (Loop 2100A NM109): %w", ErrResponse, id, err)
	}
	a.payers[id] = p
	return p, nil
}

// response reads one transaction set: its answers to apply, or the batch
// it rejects at Loop 2100A/2100B.
func (a *applier) response(ctx context.Context, q payerReader, resp *x270.Response) ([]pendingAnswer, error) {
	payer, err := a.payer(ctx, q, resp.Source.ID)
	if err != nil {
		return nil, err
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
			return nil, nil
		}
		k := batchKey{payer: resp.Source.ID, interchange: ic}
		a.batches[k] = true
		if a.rejected == nil {
			a.rejected = map[batchKey][]x270.RequestError{}
		}
		a.rejected[k] = append(a.rejected[k], errs...)
		return nil, nil
	}
	var out []pendingAnswer
	for i := range resp.Summaries {
		sum := &resp.Summaries[i]
		trn, err := ParseTraceNumber(sum.TraceNumber)
		if err != nil {
			a.res.Unmatched = append(a.res.Unmatched, fmt.Sprintf("trace number %q: not one of ours", sum.TraceNumber))
			continue
		}
		out = append(out, pendingAnswer{payer: payer, source: resp.Source.ID, trn: trn, sum: sum, answered: answered})
	}
	return out, nil
}

// chunk applies answers in tx: their coverages and the open "no answer"
// items of their trace numbers loaded in one query each, the eligibility
// recorded in one statement, the items raised in a few.
func (a *applier) chunk(ctx context.Context, tx store.Tx, answers []pendingAnswer, res *ApplyResult) error {
	ids := make([]int64, 0, len(answers))
	keys := make([]string, 0, len(answers))
	for _, an := range answers {
		ids = append(ids, an.trn.CoverageID)
		keys = append(keys, noAnswerKey(an.sum.TraceNumber))
	}
	covs, err := tx.GetCoveragesByIDs(ctx, store.IDsParams{ClinicID: a.clinicID, IDs: ids})
	if err != nil {
		return err
	}
	coverage := make(map[int64]*store.Coverage, len(covs))
	for i := range covs {
		coverage[covs[i].ID] = &covs[i]
	}
	open, err := a.openItems(ctx, tx, keys)
	if err != nil {
		return err
	}
	var records []store.RecordEligibilityParams
	recorded := make(map[int64]int) // coverage ID: index in records
	var resolve []store.WorklistItem
	var items []pendingItem
	for _, an := range answers {
		sum, trn := an.sum, an.trn
		c := coverage[trn.CoverageID]
		if c == nil {
			res.Unmatched = append(res.Unmatched, fmt.Sprintf("trace number %q: coverage %d: %v", sum.TraceNumber, trn.CoverageID, store.ErrNotFound))
			continue
		}
		if c.PayerID != an.payer.ID {
			res.Unmatched = append(res.Unmatched, fmt.Sprintf("trace number %q: coverage %d is not with payer %s", sum.TraceNumber, c.ID, an.source))
			continue
		}
		if k := (batchKey{payer: an.source, interchange: trn.Interchange}); !a.batches[k] {
			a.batches[k] = false
		}
		a.answered[sum.TraceNumber] = true
		res.Answers++
		doc := eligibilityOf(sum, trn, an.answered, a.fileID)
		status := doc.Status
		switch status {
		case store.EligibilityActive:
			res.Active++
		case store.EligibilityInactive:
			res.Inactive++
		default:
			res.Unknown++
		}
		answered := an.answered.UTC().Truncate(time.Microsecond)
		if c.EligibilityChecked == nil || c.EligibilityChecked.Before(answered) {
			b, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			r := store.RecordEligibilityParams{CoverageID: c.ID, Status: status, CheckedAt: answered, Benefits: b}
			if i, ok := recorded[c.ID]; ok {
				// A later answer of the chunk for the same coverage.
				records[i] = r
			} else {
				recorded[c.ID] = len(records)
				records = append(records, r)
				res.Recorded++
			}
			c.EligibilityChecked = &answered
		}
		if it, ok := open[noAnswerKey(sum.TraceNumber)]; ok {
			resolve = append(resolve, it)
			delete(open, noAnswerKey(sum.TraceNumber))
		}
		issue := ""
		var title string
		switch {
		case len(sum.Errors) > 0:
			issue = issueRejected
			e := sum.Errors[0]
			title = fmt.Sprintf("Eligibility rejected by %s (AAA %s %s; %s)", an.payer.PayerID, e.Reason, RejectReasonText(e.Reason), FollowUpText(e.FollowUp))
		case status == store.EligibilityInactive:
			issue = issueInactive
			title = fmt.Sprintf("Coverage inactive with %s for the visit on %s", an.payer.PayerID, isoDate(trn.ServiceDate))
		case status != store.EligibilityActive:
			issue = issueUnknown
			title = fmt.Sprintf("Coverage unknown with %s for the visit on %s: the 271 names no active or inactive benefit", an.payer.PayerID, isoDate(trn.ServiceDate))
		}
		if issue != "" {
			items = append(items, pendingItem{c: *c, payer: an.payer, trn: trn, trace: sum.TraceNumber, issue: issue, title: title,
				details: map[string]any{"eligibility": doc}})
		}
	}
	if len(records) > 0 {
		if err := tx.RecordEligibilities(ctx, store.RecordEligibilitiesParams{ClinicID: a.clinicID, Records: records}); err != nil {
			return err
		}
	}
	// Open "no answer" items of answered inquiries are few (an earlier
	// file left them unanswered): one update each.
	for _, it := range resolve {
		resolved, note := store.WorkResolved, "the 271 answer arrived"
		if _, err := tx.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ID: it.ID, Status: &resolved, Resolution: &note}); err != nil {
			return err
		}
	}
	created, err := a.raise(ctx, tx, items)
	res.WorkItems += created
	return err
}

func noAnswerKey(trace string) string { return "eligibility:" + trace + ":" + issueNoAnswer }

// openItems returns the open or in-progress eligibility items of keys, by
// dedupe key.
func (a *applier) openItems(ctx context.Context, tx store.Tx, keys []string) (map[string]store.WorklistItem, error) {
	items, err := tx.GetWorklistItemsByDedupeKeys(ctx, store.KeysParams{ClinicID: a.clinicID, Keys: keys})
	if err != nil {
		return nil, err
	}
	open := make(map[string]store.WorklistItem)
	for _, it := range items {
		if it.Kind == store.WorkEligibility && (it.Status == store.WorkOpen || it.Status == store.WorkInProgress) {
			open[it.DedupeKey] = it
		}
	}
	return open, nil
}

// pendingItem is an eligibility worklist item to raise for an inquiry.
type pendingItem struct {
	c                   store.Coverage
	payer               store.Payer
	trn                 TraceNumber
	trace, issue, title string
	details             map[string]any
}

// raise creates eligibility worklist items, each linked to its
// appointment and due at its start, and returns how many were new: the
// appointments of the items' days listed once a day, the items that
// already exist found with one query and the new ones created with one
// statement.
func (a *applier) raise(ctx context.Context, tx store.Tx, items []pendingItem) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	// The booked and checked-in appointments of each day, by patient.
	type dayKey struct {
		day     time.Time
		patient int64
	}
	appointments := make(map[dayKey][]store.Appointment)
	listed := make(map[time.Time]bool)
	params := make([]store.CreateWorklistItemParams, 0, len(items))
	keys := make([]string, 0, len(items))
	for _, it := range items {
		day := time.Date(it.trn.ServiceDate.Year(), it.trn.ServiceDate.Month(), it.trn.ServiceDate.Day(), 0, 0, 0, 0, a.s.cfg.Location)
		if !listed[day] {
			listed[day] = true
			as, err := tx.ListAppointments(ctx, store.ListAppointmentsParams{From: day, To: day.AddDate(0, 0, 1),
				Statuses: []string{store.AppointmentBooked, store.AppointmentCheckedIn}})
			if err != nil {
				return 0, err
			}
			for _, ap := range as {
				k := dayKey{day, ap.PatientID}
				appointments[k] = append(appointments[k], ap)
			}
		}
		it.details["trace_number"] = it.trace
		it.details["coverage_id"] = it.c.ID
		it.details["issue"] = it.issue
		it.details["service_date"] = isoDate(it.trn.ServiceDate)
		if a.fileID != 0 {
			it.details["inbound_file_id"] = a.fileID
		}
		b, err := json.Marshal(it.details)
		if err != nil {
			return 0, err
		}
		pid, payerID := it.c.PatientID, it.payer.ID
		p := store.CreateWorklistItemParams{Kind: store.WorkEligibility, Priority: 1, PatientID: &pid, PayerID: &payerID, Title: it.title,
			Details: b, DedupeKey: "eligibility:" + it.trace + ":" + it.issue}
		for _, ap := range appointments[dayKey{day, it.c.PatientID}] {
			if ap.CoverageID == nil || *ap.CoverageID == it.c.ID {
				id, due := ap.ID, ap.StartsAt
				p.AppointmentID, p.DueAt = &id, &due
				break
			}
		}
		params = append(params, p)
		keys = append(keys, p.DedupeKey)
	}
	existing, err := tx.GetWorklistItemsByDedupeKeys(ctx, store.KeysParams{ClinicID: a.clinicID, Keys: keys})
	if err != nil {
		return 0, err
	}
	taken := make(map[string]bool, len(existing))
	for _, it := range existing {
		taken[it.DedupeKey] = true
	}
	created := 0
	for _, k := range keys {
		if !taken[k] {
			taken[k] = true
			created++
		}
	}
	return created, tx.CreateWorklistItems(ctx, store.CreateWorklistItemsParams{ClinicID: a.clinicID, Items: params})
}

// unanswered raises items for the inquiries of the batches the file
// answers that have no answer in it, and for every inquiry of batches
// rejected at Loop 2100A/2100B: each batch's coverages loaded in one query
// and its items raised in a few statements.
func (a *applier) unanswered(ctx context.Context, tx store.Tx, res *ApplyResult) error {
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
		payer, err := a.payer(ctx, tx, k.payer)
		if err != nil {
			return err
		}
		if a.s.cfg.Payers == nil {
			return fmt.Errorf("%w: Config.Payers (the payer registry) is required to find the 270 batches", ErrInvalid)
		}
		rp, ok := a.s.cfg.Payers.Get(k.payer)
		if !ok {
			res.Unmatched = append(res.Unmatched, fmt.Sprintf("batch %d: payer %s is not in the payer registry", k.interchange, k.payer))
			continue
		}
		ic, err := tx.FindInterchange(ctx, store.FindInterchangeParams{SenderID: rp.Envelope.SenderID, ReceiverID: rp.Envelope.ReceiverID,
			ControlNumber: k.interchange})
		if err != nil {
			res.Unmatched = append(res.Unmatched, fmt.Sprintf("batch %d of payer %s: %v", k.interchange, k.payer, err))
			continue
		}
		full, err := tx.GetInterchange(ctx, store.Ref{ID: ic.ID})
		if err != nil {
			return err
		}
		reqs, err := decodeStored270(ctx, tx, full)
		if err != nil {
			return fmt.Errorf("interchange %d: %w", ic.ID, err)
		}
		type inquiry struct {
			trace string
			trn   TraceNumber
		}
		var missing []inquiry
		var ids []int64
		for _, req := range reqs {
			for _, in := range req.Inquiries {
				if a.answered[in.TraceNumber] {
					continue
				}
				trn, err := ParseTraceNumber(in.TraceNumber)
				if err != nil {
					continue
				}
				missing = append(missing, inquiry{in.TraceNumber, trn})
				ids = append(ids, trn.CoverageID)
			}
		}
		covs, err := tx.GetCoveragesByIDs(ctx, store.IDsParams{ClinicID: a.clinicID, IDs: ids})
		if err != nil {
			return err
		}
		coverage := make(map[int64]store.Coverage, len(covs))
		for _, c := range covs {
			coverage[c.ID] = c
		}
		var items []pendingItem
		for _, in := range missing {
			c, ok := coverage[in.trn.CoverageID]
			if !ok {
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
				items = append(items, pendingItem{c: c, payer: payer, trn: in.trn, trace: in.trace, issue: issueRejected, title: title,
					details: map[string]any{"errors": rs}})
				continue
			}
			res.NoAnswer++
			title := fmt.Sprintf("Coverage unknown with %s for the visit on %s: no 271 answer", k.payer, isoDate(in.trn.ServiceDate))
			items = append(items, pendingItem{c: c, payer: payer, trn: in.trn, trace: in.trace, issue: issueNoAnswer, title: title,
				details: map[string]any{"interchange_id": ic.ID}})
		}
		created, err := a.raise(ctx, tx, items)
		if err != nil {
			return err
		}
		res.WorkItems += created
	}
	return nil
}
