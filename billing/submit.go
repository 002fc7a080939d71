package billing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x837"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
)

// ScrubResult says what Scrub did with each claim.
type ScrubResult struct {
	Ready  []int64
	Failed []int64
	// Findings are every claim's findings (warnings included), by claim ID.
	Findings map[int64][]scrub.Finding
}

// Scrub runs the scrubber over claims (all of the clinic's drafts when
// claimIDs is empty) and moves each to ready or, when a finding rejects it,
// to scrub_failed with one worklist item listing every finding: rule, SNIP
// type, X12 location and suggested fix, BuildChunkSize claims a transaction.
func (s *Service) Scrub(ctx context.Context, clinicID int64, claimIDs []int64) (ScrubResult, error) {
	if s.opts.Scrubber == nil {
		return ScrubResult{}, fmt.Errorf("%w: Scrub needs Options.Scrubber", ErrConfig)
	}
	res := ScrubResult{Findings: make(map[int64][]scrub.Finding)}
	if len(claimIDs) == 0 {
		for after := int64(0); ; {
			cs, err := s.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: clinicID, Statuses: []claim.Status{claim.StatusDraft}, AfterID: after, Limit: 500})
			if err != nil {
				return res, err
			}
			for _, c := range cs {
				claimIDs = append(claimIDs, c.ID)
			}
			if len(cs) < 500 {
				break
			}
			after = cs[len(cs)-1].ID
		}
	}
	return s.scrubClaims(ctx, clinicID, claimIDs, claim.DateOf(s.today()))
}

// ScrubFindingDetail is one finding in a scrub-failure worklist item.
type ScrubFindingDetail struct {
	Rule     string `json:"rule"`
	SNIP     int    `json:"snip"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Location string `json:"location"`
	Fix      string `json:"fix"`
}

func (s *Service) scrubWorkItem(ctx context.Context, q store.Queries, c store.Claim, fs []scrub.Finding) error {
	details := struct {
		PatientControlNumber string               `json:"patientControlNumber"`
		Findings             []ScrubFindingDetail `json:"findings"`
	}{PatientControlNumber: c.PatientControlNumber}
	h := sha256.New()
	for _, f := range fs {
		details.Findings = append(details.Findings, ScrubFindingDetail{Rule: f.RuleID, SNIP: f.SNIP, Severity: severityName(f.Severity),
			Message: f.Message, Location: f.Location.String(), Fix: f.Fix})
		h.Write([]byte(f.RuleID + "|" + f.Location.String() + "\n"))
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Scrub failed: %s: %s", fs[0].RuleID, fs[0].Message)
	if len(fs) > 1 {
		title = fmt.Sprintf("Scrub failed (%d findings): %s: %s", len(fs), fs[0].RuleID, fs[0].Message)
	}
	_, _, err = q.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkScrubFailure, Priority: 2, ClaimID: &c.ID,
		PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: c.TotalChargeCents, Title: title, Details: raw,
		DedupeKey: "scrub:" + strconv.FormatInt(c.ID, 10) + ":" + hex.EncodeToString(h.Sum(nil)[:8])})
	return err
}

func severityName(s scrub.Severity) string {
	if s == scrub.Warn {
		return "warn"
	}
	return "reject"
}

// SubmissionParams choose the claims of one submission file.
type SubmissionParams struct {
	ClinicID int64
	// PayerID is the payer's store ID.
	PayerID int64
	// Kind limits the file to 837P or 837I claims; empty takes the kind
	// of the oldest ready claim.
	Kind claim.Kind
	// MaxClaims caps the claims; zero means the payer's max_claims_per_file.
	MaxClaims int
}

// Submission is an 837 file recorded for upload.
type Submission struct {
	// Interchange is the stored interchange; its file is in the file store
	// under ContentID (Store.OpenContent).
	Interchange store.Interchange
	ClaimIDs    []int64
	// Unencodable are claims the 837 encoder refused (moved back to draft
	// with a worklist item), by claim ID.
	Unencodable map[int64]error
}

// PrepareSubmission selects the payer's ready claims (up to the payer's
// claims per file), allocates control numbers, encodes the 837 with the
// payer's envelope, records the interchange and moves the claims to submitted,
// all in one transaction. It returns nil when no claim is ready.
//
// The caller uploads the file (Store.OpenContent of Interchange.ContentID)
// under Interchange.FileName and then calls MarkTransferred. If it crashes in between, PendingSubmissions returns
// the same interchange (same bytes) to upload again: the claims are already
// submitted, so no second file is ever made for them.
func (s *Service) PrepareSubmission(ctx context.Context, p SubmissionParams) (*Submission, error) {
	var out *Submission
	err := s.st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		var err error
		out, err = s.prepareSubmission(ctx, tx, p)
		return err
	})
	return out, err
}

func (s *Service) prepareSubmission(ctx context.Context, tx store.Tx, p SubmissionParams) (*Submission, error) {
	payer, err := tx.GetPayer(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.PayerID})
	if err != nil {
		return nil, fmt.Errorf("payer %d: %w", p.PayerID, err)
	}
	if s.opts.Payers == nil {
		return nil, fmt.Errorf("%w: PrepareSubmission needs Options.Payers", ErrConfig)
	}
	reg, err := s.opts.Payers.Lookup(payer.PayerID)
	if err != nil {
		return nil, err
	}
	max := p.MaxClaims
	if max <= 0 || (reg.MaxClaimsPerFile > 0 && max > reg.MaxClaimsPerFile) {
		max = reg.MaxClaimsPerFile
	}
	if max <= 0 {
		max = x837.DefaultMaxClaimsPerSet
	}
	kind := p.Kind
	var claims []store.Claim
	var docs []claim.Claim
	for after := int64(0); len(claims) < max; {
		// Claims another submission is taking (a second worker, staff
		// submitting by hand) are skipped rather than waited for.
		page, err := tx.ListClaims(ctx, store.ListClaimsParams{ClinicID: p.ClinicID, Statuses: []claim.Status{claim.StatusReady}, PayerID: payer.ID,
			AfterID: after, Limit: 500, SkipLocked: true})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			if kind == "" {
				kind = claim.Kind(c.Kind)
			}
			if claim.Kind(c.Kind) != kind || len(claims) == max {
				continue
			}
			doc, err := loadDocument(c)
			if err != nil {
				return nil, err
			}
			claims = append(claims, c)
			docs = append(docs, *doc)
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(claims) == 0 {
		return nil, nil
	}
	tx837 := payers.Tx837P
	if kind == claim.Institutional {
		tx837 = payers.Tx837I
	}
	if !reg.Accepts(tx837) {
		return nil, fmt.Errorf("%w: payer %s does not accept %s", ErrNotBillable, reg.ID, tx837)
	}
	clinic, err := tx.GetClinic(ctx, store.GetClinicParams{ClinicID: p.ClinicID})
	if err != nil {
		return nil, err
	}
	prof, err := s.profile(ctx, p.ClinicID)
	if err != nil {
		return nil, err
	}
	cn, err := tx.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: reg.Envelope.SenderID, ReceiverID: reg.Envelope.ReceiverID, Groups: 1, TransactionSets: 1})
	if err != nil {
		return nil, err
	}
	now := s.now()
	submitter := clinic.SubmitterID
	if submitter == "" {
		submitter = reg.Envelope.SenderID
	}
	usage, err := store.UsageFor(ctx, tx, p.ClinicID, payer.ID, string(reg.Usage))
	if err != nil {
		return nil, err
	}
	env := x837.Envelope{SubmitterName: strings.ToUpper(clinic.Name), SubmitterID: submitter, ContactName: prof.ContactName,
		ContactPhone: prof.ContactPhone, ContactEmail: prof.ContactEmail, ReceiverName: strings.ToUpper(reg.Name), ReceiverID: reg.ID,
		SenderQualifier: reg.Envelope.SenderQualifier, SenderID: reg.Envelope.SenderID, ReceiverQualifier: reg.Envelope.ReceiverQualifier,
		InterchangeReceiverID: reg.Envelope.ReceiverID, ApplicationSender: reg.Envelope.GSSender, ApplicationReceiver: reg.Envelope.GSReceiver,
		Usage: usage, Time: now, Controls: x837.ControlNumbers{Interchange: cn.Interchange, Group: cn.FirstGroup, Set: cn.FirstTransactionSet},
		// One transaction set per file, so a 999 set rejection names
		// exactly the claims of the file.
		MaxClaimsPerSet: len(claims)}
	var buf bytes.Buffer
	enc := x837.NewEncoder(&buf, env)
	sub := &Submission{Unencodable: make(map[int64]error)}
	var sent []store.Claim
	for i := range docs {
		if err := enc.Encode(&docs[i]); err != nil {
			var ce *x837.ClaimError
			if !errors.As(err, &ce) {
				return nil, err
			}
			sub.Unencodable[claims[i].ID] = err
			if err := s.encodeFailure(ctx, tx, claims[i], ce); err != nil {
				return nil, err
			}
			continue
		}
		sent = append(sent, claims[i])
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if len(sent) == 0 {
		return sub, nil
	}
	name := reg.FileName(payers.FileNameParams{Transaction: tx837, Date: now.Format("20060102"), Time: now.Format("150405"),
		Control: fmt.Sprintf("%09d", cn.Interchange)})
	ic, err := tx.CreateInterchange(ctx, store.CreateInterchangeParams{PayerID: &payer.ID, SenderID: reg.Envelope.SenderID,
		ReceiverID: reg.Envelope.ReceiverID, ControlNumber: cn.Interchange, GroupControlNumber: cn.FirstGroup,
		FirstSetControlNumber: cn.FirstTransactionSet, SetCount: 1, TransactionSet: string(tx837), ClaimCount: len(sent),
		FileName: name, Body: bytes.NewReader(buf.Bytes())})
	if err != nil {
		return nil, err
	}
	reason := fmt.Sprintf("interchange %d (ISA13 %09d) file %s", ic.ID, cn.Interchange, name)
	// The file's claims move to submitted and into the interchange in one
	// row write each; claims sent again while submitted only change
	// interchange.
	moves := make([]store.ClaimStatusMove, 0, len(sent))
	var resent []int64
	for _, c := range sent {
		sub.ClaimIDs = append(sub.ClaimIDs, c.ID)
		if c.Status == claim.StatusSubmitted {
			resent = append(resent, c.ID)
			continue
		}
		if err := claim.Transition(c.ID, c.Status, claim.StatusSubmitted); err != nil {
			return nil, err
		}
		moves = append(moves, store.ClaimStatusMove{ID: c.ID, From: c.Status, To: claim.StatusSubmitted, Reason: reason, InterchangeID: ic.ID})
	}
	if len(resent) > 0 {
		if err := tx.SetClaimInterchange(ctx, store.SetClaimInterchangeParams{ClinicID: p.ClinicID, InterchangeID: ic.ID, ClaimIDs: resent}); err != nil {
			return nil, err
		}
	}
	if err := tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{ClinicID: p.ClinicID, Moves: moves, Actor: s.opts.Actor}); err != nil {
		return nil, err
	}
	sub.Interchange = ic
	return sub, nil
}

// encodeFailure moves a claim the encoder refused back to draft with a
// scrub-failure item naming every problem.
func (s *Service) encodeFailure(ctx context.Context, q store.Queries, c store.Claim, ce *x837.ClaimError) error {
	c, err := s.transition(ctx, q, c, claim.StatusDraft, "837 encoder refused the claim")
	if err != nil {
		return err
	}
	fs := make([]scrub.Finding, 0, len(ce.Problems))
	for _, p := range ce.Problems {
		fs = append(fs, scrub.Finding{RuleID: "X837", SNIP: 2, Severity: scrub.Reject, Message: p.Msg,
			Location: p.Location, Fix: "correct the claim and scrub it again"})
	}
	if len(fs) == 0 {
		fs = append(fs, scrub.Finding{RuleID: "X837", SNIP: 2, Severity: scrub.Reject, Message: ce.Error()})
	}
	return s.scrubWorkItem(ctx, q, c, fs)
}

// PendingSubmissions returns the clinic's 837 interchanges recorded but not
// yet uploaded (created, or failed on an earlier attempt), with their
// content, oldest first: what a restarted worker uploads again.
func (s *Service) PendingSubmissions(ctx context.Context, clinicID int64) ([]store.Interchange, error) {
	list, err := s.st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: clinicID,
		Statuses: []string{store.InterchangeCreated, store.InterchangeUploading, store.InterchangeFailed}})
	if err != nil {
		return nil, err
	}
	var out []store.Interchange
	for _, ic := range list {
		if ic.TransactionSet != string(payers.Tx837P) && ic.TransactionSet != string(payers.Tx837I) {
			continue
		}
		full, err := s.st.GetInterchange(ctx, store.Ref{ClinicID: clinicID, ID: ic.ID})
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// MarkTransferred records that an interchange was uploaded to remotePath.
func (s *Service) MarkTransferred(ctx context.Context, clinicID, interchangeID int64, remotePath string) (store.Interchange, error) {
	now := s.now()
	return s.st.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: clinicID, ID: interchangeID,
		Status: store.InterchangeUploaded, Attempt: true, RemotePath: remotePath, UploadedAt: &now})
}

// MarkTransferFailed records a failed upload attempt; the interchange stays
// pending for the next attempt.
func (s *Service) MarkTransferFailed(ctx context.Context, clinicID, interchangeID int64, cause error) (store.Interchange, error) {
	return s.st.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: clinicID, ID: interchangeID,
		Status: store.InterchangeFailed, Attempt: true, LastError: cause.Error()})
}
