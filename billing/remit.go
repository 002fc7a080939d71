package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// RemitResult says what PostRemittance did.
type RemitResult struct {
	// Remittances counts the 835 transaction sets read; AlreadyPosted
	// those skipped because the same payer and trace number (TRN) were
	// posted before.
	Remittances   int
	AlreadyPosted int
	// Posted counts claim payments posted to matched claims (reversals
	// included); Unmatched those put in the unmatched queue; NotPosted
	// those refused for balancing or syntax errors.
	Posted    int
	Unmatched int
	NotPosted int
	Reversals int
	Denials   int
	// Underpayments counts claims paid below the expected allowed amount.
	Underpayments int
	// Held counts claim payments held for review and not posted (see
	// CheckClaimPayment); HeldFile is set when the whole file was held
	// (see CheckRemittance) and nothing of it posted. Holds are the
	// reasons, file holds first.
	Held     int
	HeldFile bool
	Holds    []Hold
	// SecondaryClaims are the secondary claims built after primaries paid.
	SecondaryClaims []int64
}

// paymentDocument is the claim payment's JSON document: what the store's
// columns do not hold.
type paymentDocument struct {
	Kind     string     `json:"kind"`
	Reverses int64      `json:"reverses,omitempty"`
	Lines    []paidLine `json:"lines,omitempty"`
	Remarks  []string   `json:"remarks,omitempty"`
	Position string     `json:"position"`
	// ServiceDate is the claim's first date of service (DTM*232 or the
	// lines' DTM*472).
	ServiceDate string `json:"serviceDate,omitempty"`
	// ServiceThrough is its last date of service (DTM*233, or the lines'
	// latest DTM*472 or 151).
	ServiceThrough string `json:"serviceThrough,omitempty"`
	// PriorPayerCents is, on a secondary (or tertiary) claim, the part of
	// the charge the prior payers already settled: the charge less the
	// patient responsibility transferred to this claim's insurance A/R.
	// The payer reports it as CAS CARC 23 (or folds it into other
	// adjustments); it was posted on the primary claim and is not posted
	// again.
	PriorPayerCents int64 `json:"priorPayerCents,omitempty"`
	// Supersedes is the denial this payment replaced (a claim paid after a
	// successful appeal without a CLP02 22 reversal of the denial): the
	// denial's posting was reversed before this payment was posted.
	Supersedes int64 `json:"supersedes,omitempty"`
}

// paidLine is one 835 service line (Loop 2110).
type paidLine struct {
	ProcedureCode string                  `json:"procedureCode"`
	Modifiers     []string                `json:"modifiers,omitempty"`
	ControlNumber string                  `json:"controlNumber,omitempty"`
	ChargeCents   int64                   `json:"chargeCents"`
	PaidCents     int64                   `json:"paidCents"`
	Units         claim.Quantity          `json:"units"`
	Adjustments   []store.ClaimAdjustment `json:"adjustments,omitempty"`
}

// PostRemittance reads an 835 from r (recorded as inbound file
// inboundFileID, or 0) claim payment by claim payment and posts it.
//
// The file is read in full once before anything posts: a file that cannot
// be read fails with the decoder's positioned error, and a transaction set
// that CheckRemittance holds (BPR02 not the sum of its claim payments less
// its provider adjustments, a payee that is not the clinic) holds the whole
// file: nothing posts, the file is marked held and one worklist item
// (WorkHeldRemittance) gives the reasons. Then each claim payment is checked
// with CheckClaimPayment against its claim and the payments recorded before
// it: a suspected duplicate (posted before under another trace, not after a
// reversal of it), a payment above the charge, a negative contractual
// adjustment, or a claim the payment cannot move (never submitted, rejected
// by the 277CA) is held: nothing of it posts and one worklist item
// (WorkHeldPayment) says why, with the amounts; the rest of the file posts.
//
// Each transaction set (one payment, BPR/TRN) is posted in one store
// transaction, keyed by the payer's TRN03 and trace number TRN02: a file
// posted again, or the same payment resent in another file, posts nothing
// the second time, and a crash mid-file leaves each payment either fully
// posted or not at all, so running the file again finishes the job. (A
// per-claim transaction would commit more often but would let a crash leave a
// payment half-applied against its BPR total.)
//
// Each claim payment is matched to a claim by patient control number (CLP01),
// then payer claim control number (CLP07), then patient name, date of service
// and charge; it is recorded with its adjustments and posted to the ledger:
// insurance payment (cash), contractual adjustments (CO), transfer to patient
// responsibility (PR), other adjustments (OA, PI, CR), all against the
// claim's insurance A/R, denials included (see ledgerLines for denials and
// for secondary claims, whose prior payer's share is not posted twice). The
// claim moves to paid, partially_paid or denied.
// Denials (with a suggested action per CARC) and payments below the payer's
// expected allowed amount become worklist items. A reversal (CLP02 22) undoes
// exactly what the reversed payment posted; the correction that follows it
// posts as a new payment. An unmatched payment goes to the unmatched queue
// (unapplied cash and a worklist item). A claim payment that does not balance
// is not posted: a worklist item records it with its position. When a primary
// claim leaves patient responsibility and the patient has a secondary
// coverage, the secondary claim is built as a draft.
func (s *Service) PostRemittance(ctx context.Context, clinicID, inboundFileID int64, r io.Reader) (RemitResult, error) {
	return s.postRemittance(ctx, clinicID, inboundFileID, r, false)
}

// postRemittance is PostRemittance; released skips the file-level checks
// (CheckRemittance) that staff confirmed by releasing a held file.
func (s *Service) postRemittance(ctx context.Context, clinicID, inboundFileID int64, r io.Reader, released bool) (RemitResult, error) {
	var res RemitResult
	var file store.InboundFile
	if inboundFileID != 0 {
		fs, err := s.st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: clinicID, AfterID: inboundFileID - 1, Limit: 1})
		if err != nil {
			return res, err
		}
		if len(fs) == 0 || fs[0].ID != inboundFileID {
			return res, fmt.Errorf("inbound file %d: %w", inboundFileID, store.ErrNotFound)
		}
		file = fs[0]
	}
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(r)
		if err != nil {
			return res, err
		}
		rs = bytes.NewReader(b)
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return res, err
	}
	// First pass: the file-level checks, before anything posts.
	if !released {
		if held, err := s.holdFile(ctx, clinicID, file, rs, &res); err != nil || held {
			return res, err
		}
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return res, err
	}
	er := edi.NewReader(rs)
	er.File = file.FileName
	dec := x835.NewDecoderReader(er)
	prof, _ := s.profile(ctx, clinicID)
	handled := make(map[*x835.Remittance]bool)
	more := dec.Next()
	for more {
		rem := dec.Claim().Remittance
		handled[rem] = true
		res.Remittances++
		var part RemitResult
		err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
			part = RemitResult{}
			p := &poster{s: s, tx: tx, clinicID: clinicID, file: file, profile: prof, res: &part}
			row, created, err := p.remittance(ctx, rem)
			if err != nil {
				return err
			}
			for more && dec.Claim().Remittance == rem {
				if created {
					if err := p.claimPayment(ctx, row, dec.Claim()); err != nil {
						return err
					}
				}
				more = dec.Next()
			}
			if !created {
				part.AlreadyPosted++
				return nil
			}
			return p.finishRemittance(ctx, row, rem)
		})
		if err != nil {
			return res, err
		}
		res.add(part)
	}
	if err := dec.Err(); err != nil {
		return res, err
	}
	for _, rem := range dec.Remittances() {
		if handled[rem] {
			continue
		}
		res.Remittances++
		var part RemitResult
		err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
			part = RemitResult{}
			p := &poster{s: s, tx: tx, clinicID: clinicID, file: file, profile: prof, res: &part}
			row, created, err := p.remittance(ctx, rem)
			if err != nil {
				return err
			}
			if !created {
				part.AlreadyPosted++
				return nil
			}
			return p.finishRemittance(ctx, row, rem)
		})
		if err != nil {
			return res, err
		}
		res.add(part)
	}
	if inboundFileID != 0 {
		now := s.now()
		if _, err := s.st.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: clinicID, ID: inboundFileID, State: store.InboundProcessed,
			FileType: "835", ProcessedAt: &now}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// holdFile reads the whole 835 once and checks each transaction set with
// CheckRemittance. When a check fails, nothing of the file posts: the file
// is marked held (when recorded) and one worklist item lists every reason
// with its amounts. A file that cannot be read fails with the decoder's
// positioned error, before anything posts.
func (s *Service) holdFile(ctx context.Context, clinicID int64, file store.InboundFile, r io.Reader, res *RemitResult) (bool, error) {
	er := edi.NewReader(r)
	er.File = file.FileName
	dec := x835.NewDecoderReader(er)
	for dec.Next() {
	}
	if err := dec.Err(); err != nil {
		return false, err
	}
	clinic, err := s.st.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID})
	if err != nil {
		return false, err
	}
	id := ClinicIdentity{TaxID: clinic.TaxID}
	if clinic.NPI != "" {
		id.NPIs = []string{clinic.NPI}
	}
	var holds []Hold
	var traces []string
	var total int64
	for _, rem := range dec.Remittances() {
		traces = append(traces, rem.TraceNumber)
		total += rem.TotalPaidCents
		holds = append(holds, CheckRemittance(rem, id)...)
	}
	if len(holds) == 0 {
		return false, nil
	}
	res.Remittances = len(dec.Remittances())
	res.HeldFile = true
	res.Holds = holds
	name := file.FileName
	if name == "" {
		name = "835 trace " + strings.Join(traces, ", ")
	}
	key := "held-file:" + strconv.FormatInt(file.ID, 10)
	if file.ID == 0 {
		key = "held-file:trace:" + strings.Join(traces, ",")
	}
	title := fmt.Sprintf("835 %s held, nothing posted (%s): %s", name, edi.FormatAmount(total), holds[0].Message)
	if len(holds) > 1 {
		title += fmt.Sprintf(" (and %d more)", len(holds)-1)
	}
	raw, err := json.Marshal(map[string]any{"inboundFileId": file.ID, "file": file.FileName, "traces": traces, "paymentCents": total,
		"holds": holds, "position": holds[0].Position,
		"action": heldFileAction(file.ID)})
	if err != nil {
		return false, err
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		if file.ID != 0 {
			if _, err := tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: clinicID, ID: file.ID, State: store.InboundHeld,
				FileType: "835", Error: holds[0].Message}); err != nil {
				return err
			}
		}
		_, _, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkHeldRemittance, Priority: 3, AmountCents: total,
			Title: title, Details: raw, DedupeKey: key})
		return err
	})
	return true, err
}

func (r *RemitResult) add(p RemitResult) {
	r.Held += p.Held
	r.Holds = append(r.Holds, p.Holds...)
	r.AlreadyPosted += p.AlreadyPosted
	r.Posted += p.Posted
	r.Unmatched += p.Unmatched
	r.NotPosted += p.NotPosted
	r.Reversals += p.Reversals
	r.Denials += p.Denials
	r.Underpayments += p.Underpayments
	r.SecondaryClaims = append(r.SecondaryClaims, p.SecondaryClaims...)
}

// poster posts the claim payments of one remittance inside its transaction.
type poster struct {
	s        *Service
	tx       store.Tx
	clinicID int64
	file     store.InboundFile
	profile  *ClinicProfile
	res      *RemitResult
	// reversed holds the patient and payer claim control numbers of the
	// reversals (CLP02 22) read so far in the transaction set.
	reversed map[string]bool
	// released posts a claim payment staff released from its hold: the
	// checks of CheckClaimPayment are skipped.
	released bool
}

func (p *poster) remittance(ctx context.Context, rem *x835.Remittance) (store.Remittance, bool, error) {
	var payerID *int64
	for _, id := range payerIdentifiers(rem) {
		py, err := p.tx.GetPayerByPayerID(ctx, store.GetPayerByPayerIDParams{ClinicID: p.clinicID, PayerID: id})
		if err == nil {
			payerID = &py.ID
			break
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Remittance{}, false, err
		}
	}
	var fileID *int64
	if p.file.ID != 0 {
		fileID = &p.file.ID
	}
	trace := rem.TraceNumber
	if trace == "" {
		// Without TRN02 the payment is keyed by its envelope.
		trace = "ISA" + rem.Interchange + "-ST" + rem.ControlNumber + "-" + p.file.Checksum
	}
	return p.tx.CreateRemittance(ctx, store.CreateRemittanceParams{InboundFileID: fileID, PayerID: payerID,
		PayerIdentifier: rem.TraceOriginator, TraceNumber: trace, PaymentMethod: rem.PaymentMethod, PaymentCents: rem.TotalPaidCents,
		PaymentDate: rem.PaymentDate, FileChecksum: p.file.Checksum})
}

// payerIdentifiers lists the payer IDs a remittance may name the payer by:
// N1*PR N104, REF*2U, TRN03 (without its leading 1 when it is a TIN).
func payerIdentifiers(rem *x835.Remittance) []string {
	var ids []string
	if rem.Payer.ID != "" {
		ids = append(ids, rem.Payer.ID)
	}
	for _, r := range rem.Payer.References {
		if r.Qualifier == "2U" {
			ids = append(ids, r.Value)
		}
	}
	if rem.TraceOriginator != "" {
		ids = append(ids, rem.TraceOriginator, strings.TrimPrefix(rem.TraceOriginator, "1"))
	}
	return ids
}

// finishRemittance posts what is known once the transaction set ended: its
// provider adjustments (PLB) and its transaction-level errors.
func (p *poster) finishRemittance(ctx context.Context, row store.Remittance, rem *x835.Remittance) error {
	for i, a := range rem.ProviderAdjustments {
		if a.AmountCents == 0 {
			continue
		}
		// A positive PLB amount reduces the payment (a recovery): cash
		// received is lower, the provider adjustment account is debited.
		if _, _, err := p.tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{
			IdempotencyKey: "plb:" + strconv.FormatInt(row.ID, 10) + ":" + strconv.Itoa(i),
			Description:    "provider adjustment " + a.Reason + " " + a.Reference, EffectiveDate: rem.PaymentDate,
			Lines: []store.LedgerLine{
				{Account: AccountProviderAdjustment, AmountCents: a.AmountCents, RemittanceID: &row.ID},
				{Account: AccountCash, AmountCents: -a.AmountCents, RemittanceID: &row.ID},
			}}); err != nil {
			return err
		}
	}
	if len(rem.Errors) > 0 {
		return p.errorItem(ctx, row, "remittance "+rem.TraceNumber+" has errors", rem.Errors, 0, "st:"+rem.ControlNumber)
	}
	return nil
}

func (p *poster) errorItem(ctx context.Context, row store.Remittance, title string, errs []*edi.Error, amount int64, key string) error {
	type errDetail struct {
		Position string `json:"position"`
		Message  string `json:"message"`
	}
	var ds []errDetail
	for _, e := range errs {
		ds = append(ds, errDetail{Position: e.Pos.String(), Message: e.Error()})
	}
	raw, err := json.Marshal(map[string]any{"remittance": row.ID, "trace": row.TraceNumber, "file": p.file.FileName, "errors": ds,
		"action": "ask the payer for a corrected 835 or post the payment by hand"})
	if err != nil {
		return err
	}
	_, _, err = p.tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkRemittanceError, Priority: 3, PayerID: row.PayerID,
		AmountCents: amount, Title: title, Details: raw, DedupeKey: "remit-error:" + strconv.FormatInt(row.ID, 10) + ":" + key})
	return err
}

func (p *poster) claimPayment(ctx context.Context, row store.Remittance, cp *x835.ClaimPayment) error {
	if len(cp.Errors) > 0 {
		p.res.NotPosted++
		return p.errorItem(ctx, row, "Claim payment "+cp.PatientControlNumber+" not posted: it does not balance or cannot be read",
			cp.Errors, cp.PaidCents, "clp:"+strconv.Itoa(cp.Position.Segment))
	}
	c, matched, err := p.match(ctx, cp)
	if err != nil {
		return err
	}
	pc := PaymentContext{AfterReversal: p.reversed[cp.PatientControlNumber] || cp.PayerClaimControlNumber != "" && p.reversed[cp.PayerClaimControlNumber]}
	if matched {
		pc.Claim = &c
	}
	claimPays, err := p.priorPayments(ctx, c, matched, cp, &pc)
	if err != nil {
		return err
	}
	if holds := CheckClaimPayment(cp, pc); len(holds) > 0 && !p.released {
		return p.holdPayment(ctx, row, pc.Claim, cp, holds)
	}
	if cp.Kind == x835.Reversal {
		if p.reversed == nil {
			p.reversed = make(map[string]bool)
		}
		p.reversed[cp.PatientControlNumber] = true
		if cp.PayerClaimControlNumber != "" {
			p.reversed[cp.PayerClaimControlNumber] = true
		}
	}
	params, doc := claimPaymentParams(row, cp)
	if matched {
		params.ClaimID = &c.ID
	}
	var reversed, superseded *store.ClaimPayment
	if matched && cp.Kind == x835.Reversal {
		if reversed = lastOpenPayment(claimPays); reversed != nil {
			doc.Reverses = reversed.ID
		}
	}
	if matched && cp.Kind != x835.Reversal {
		if doc.PriorPayerCents, err = priorPayerCents(c, cp.ChargeCents); err != nil {
			return err
		}
		// A payment after a denial the payer did not reverse (an appeal
		// won, a reprocessed claim) replaces the denial.
		if prev := lastOpenPayment(claimPays); prev != nil && prev.Adjudication().Denied() {
			superseded = prev
			doc.Supersedes = prev.ID
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	params.Document = raw
	stored, err := p.tx.CreateClaimPayment(ctx, params)
	if err != nil {
		return err
	}
	if !matched {
		return p.unmatched(ctx, row, stored, cp)
	}
	p.res.Posted++
	if cp.Kind == x835.Reversal {
		return p.reversal(ctx, row, c, stored, reversed)
	}
	if superseded != nil {
		if err := p.reopenDenial(ctx, row, c, *superseded); err != nil {
			return err
		}
	}
	lines := ledgerLines(stored, c.PatientID, row.ID)
	if err := p.post(ctx, stored, "insurance payment "+c.PatientControlNumber, row.PaymentDate, lines); err != nil {
		return err
	}
	status, deniedLines := adjudicatedStatus(stored, doc.Lines)
	c, err = p.s.transition(ctx, p.tx, c, status, fmt.Sprintf("835 trace %s: paid %s", row.TraceNumber, money.Cents(stored.PaidCents)))
	if err != nil {
		return err
	}
	if status == claim.StatusDenied || len(deniedLines) > 0 {
		p.res.Denials++
		if err := p.denialItem(ctx, row, c, stored, doc, deniedLines); err != nil {
			return err
		}
	}
	if status != claim.StatusDenied {
		if err := p.underpayment(ctx, row, c, stored, doc); err != nil {
			return err
		}
		if sec, created, err := p.s.buildSecondary(ctx, p.tx, c, stored, doc.Lines, row.PaymentDate); err != nil {
			return err
		} else if created {
			p.res.SecondaryClaims = append(p.res.SecondaryClaims, sec.ID)
		}
	}
	return nil
}

// priorPayments loads the claim payments already recorded for the matched
// claim (returned, in order) and, with those, for the same payer claim
// control number (CLP07) into pc.Prior, for CheckClaimPayment.
func (p *poster) priorPayments(ctx context.Context, c store.Claim, matched bool, cp *x835.ClaimPayment, pc *PaymentContext) ([]store.ClaimPayment, error) {
	var claimPays []store.ClaimPayment
	if matched {
		var err error
		if claimPays, err = p.tx.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: p.clinicID, ClaimID: c.ID}); err != nil {
			return nil, err
		}
	}
	pc.Prior = claimPays
	if cp.PayerClaimControlNumber != "" {
		ps, err := p.tx.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: p.clinicID,
			PayerClaimControlNumbers: []string{cp.PayerClaimControlNumber}})
		if err != nil {
			return nil, err
		}
		for _, x := range ps {
			if x.ClaimID == nil || !matched || *x.ClaimID != c.ID {
				pc.Prior = append(pc.Prior[:len(pc.Prior):len(pc.Prior)], x)
			}
		}
	}
	return claimPays, nil
}

// holdPayment keeps a claim payment from posting: no claim payment row, no
// ledger line, no status change; one worklist item says why, with the
// amounts and what the payment held.
func (p *poster) holdPayment(ctx context.Context, row store.Remittance, c *store.Claim, cp *x835.ClaimPayment, holds []Hold) error {
	p.res.Held++
	p.res.Holds = append(p.res.Holds, holds...)
	params, doc := claimPaymentParams(row, cp)
	reasons := make([]string, len(holds))
	for i, h := range holds {
		reasons[i] = h.Reason
	}
	details := map[string]any{"remittance": row.ID, "trace": row.TraceNumber, "file": p.file.FileName, "inboundFileId": p.file.ID,
		"position": cp.Position.String(), "patientControlNumber": cp.PatientControlNumber, "payerClaimControlNumber": cp.PayerClaimControlNumber,
		"claimStatusCode": cp.Status, "chargeCents": cp.ChargeCents, "paidCents": cp.PaidCents, "patientResponsibilityCents": cp.PatientResponsibilityCents,
		"adjustments": params.Adjustments, "lines": doc.Lines, "serviceDate": doc.ServiceDate, "serviceThrough": doc.ServiceThrough, "holds": holds,
		"action": heldPaymentAction(p.file.ID)}
	item := store.CreateWorklistItemParams{Kind: WorkHeldPayment, Priority: 3, PayerID: row.PayerID, AmountCents: cp.PaidCents,
		Title: fmt.Sprintf("835 payment %s of %s held (%s), not posted: %s", edi.FormatAmount(cp.PaidCents), cp.PatientControlNumber,
			strings.Join(reasons, ", "), holds[0].Message),
		DedupeKey: "held-payment:" + strconv.FormatInt(row.ID, 10) + ":" + strconv.Itoa(cp.Position.Segment)}
	if c != nil {
		item.ClaimID, item.PatientID = &c.ID, &c.PatientID
		details["claimStatus"] = c.Status
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	item.Details = raw
	_, _, err = p.tx.CreateWorklistItem(ctx, item)
	return err
}

func claimPaymentParams(row store.Remittance, cp *x835.ClaimPayment) (store.CreateClaimPaymentParams, paymentDocument) {
	params := store.CreateClaimPaymentParams{RemittanceID: row.ID, PatientControlNumber: cp.PatientControlNumber, StatusCode: cp.Status,
		ChargeCents: cp.ChargeCents, PaidCents: cp.PaidCents, PatientResponsibilityCents: cp.PatientResponsibilityCents,
		PayerClaimControlNumber: cp.PayerClaimControlNumber}
	doc := paymentDocument{Kind: strings.ToLower(cp.Kind.String()), Remarks: cp.RemarkCodes(), Position: cp.Position.String()}
	doc.ServiceDate, doc.ServiceThrough = serviceSpan(cp)
	for _, a := range cp.Adjustments {
		params.Adjustments = append(params.Adjustments, adjustment(0, a))
	}
	for i := range cp.ServiceLines {
		sl := &cp.ServiceLines[i]
		pl := paidLine{ProcedureCode: sl.Procedure.Code, ControlNumber: sl.Reference("6R"), ChargeCents: sl.ChargeCents, PaidCents: sl.PaidCents,
			Units: claim.Units(1)}
		for _, m := range sl.Procedure.Modifiers {
			if m != "" {
				pl.Modifiers = append(pl.Modifiers, m)
			}
		}
		if sl.Units != "" {
			if q, err := claim.ParseQuantity(sl.Units); err == nil {
				pl.Units = q
			}
		}
		for _, a := range sl.Adjustments {
			ca := adjustment(i+1, a)
			params.Adjustments = append(params.Adjustments, ca)
			pl.Adjustments = append(pl.Adjustments, ca)
		}
		doc.Lines = append(doc.Lines, pl)
	}
	return params, doc
}

func adjustment(line int, a x835.Adjustment) store.ClaimAdjustment {
	ca := store.ClaimAdjustment{ServiceLine: line, GroupCode: a.Group, ReasonCode: a.Reason, AmountCents: a.AmountCents}
	if a.Quantity != "" {
		if q, err := claim.ParseQuantity(a.Quantity); err == nil {
			ca.QuantityMilli = int64(q)
		}
	}
	return ca
}

func serviceDate(cp *x835.ClaimPayment) claim.Date {
	if t, ok := cp.Date("232"); ok {
		return claim.DateOf(t)
	}
	for i := range cp.ServiceLines {
		if t, ok := cp.ServiceLines[i].Date("472"); ok {
			return claim.DateOf(t)
		}
		if t, ok := cp.ServiceLines[i].Date("150"); ok {
			return claim.DateOf(t)
		}
	}
	return claim.Date{}
}

// match finds the claim of a claim payment: by patient control number, then
// by payer claim control number, then by patient name, date of service and
// total charge (only when exactly one claim fits).
func (p *poster) match(ctx context.Context, cp *x835.ClaimPayment) (store.Claim, bool, error) {
	if cp.PatientControlNumber != "" {
		c, err := p.tx.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: p.clinicID, PatientControlNumber: cp.PatientControlNumber})
		if err == nil {
			return c, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return c, false, err
		}
	}
	if cp.PayerClaimControlNumber != "" {
		c, err := p.tx.GetClaimByPayerClaimControlNumber(ctx, store.GetClaimByPayerClaimControlNumberParams{ClinicID: p.clinicID, PayerClaimControlNumber: cp.PayerClaimControlNumber})
		if err == nil {
			return c, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return c, false, err
		}
	}
	dos := serviceDate(cp)
	if cp.Patient.Last == "" || dos.IsZero() {
		return store.Claim{}, false, nil
	}
	pts, err := p.tx.ListPatients(ctx, store.ListPatientsParams{ClinicID: p.clinicID, Name: cp.Patient.Last, Limit: 50})
	if err != nil {
		return store.Claim{}, false, err
	}
	var found []store.Claim
	for _, pt := range pts {
		if !strings.EqualFold(pt.LastName, cp.Patient.Last) || (cp.Patient.First != "" && !strings.EqualFold(pt.FirstName, cp.Patient.First)) {
			continue
		}
		cs, err := p.tx.ListClaims(ctx, store.ListClaimsParams{ClinicID: p.clinicID, PatientID: pt.ID, ServiceFrom: dos.Time(), ServiceTo: dos.Time()})
		if err != nil {
			return store.Claim{}, false, err
		}
		for _, c := range cs {
			if c.TotalChargeCents == cp.ChargeCents && c.Status != claim.StatusVoided && c.Status != claim.StatusReplaced {
				found = append(found, c)
			}
		}
	}
	if len(found) == 1 {
		return found[0], true, nil
	}
	return store.Claim{}, false, nil
}

// ledgerLines are the ledger lines of a posted claim payment, all against
// the claim's insurance A/R: CLP04 payment to cash, CAS group CO to
// contractual adjustments, PR to patient A/R, OA, PI and CR to other
// adjustments. So for every claim, charge = insurance payments + adjustments
// + patient responsibility + outstanding insurance A/R.
//
// A denial (CLP02 4) is posted like any other adjudication: the payer's CO
// adjustment (CO-50, CO-197, ...) is posted as reported, leaving no
// insurance A/R, and a PR denial (PR-204) moves the charge to patient A/R.
// The denial worklist item, not the A/R, carries the appeal; if the appeal
// succeeds, the payer's reversal (CLP02 22), or failing that the next
// payment of the claim, reverses the denial's posting (see reopenDenial).
//
// On a secondary claim, whose insurance A/R holds only the primary's patient
// responsibility, the adjustments the secondary payer reports for the prior
// payer's adjudication (CARC 23, or other adjustments standing for it) were
// posted on the primary claim: up to the payment's PriorPayerCents they are
// not posted again, CARC 23 first, then CO, then the other groups (on a
// claim billed without a prior payer, CARC 23 posts like any adjustment, so
// the claim still balances). What the
// secondary pays beyond the balance it was billed is a credit balance, to
// refund. The result depends only on the stored payment, so a reversal
// recomputes and negates it exactly.
func ledgerLines(cp store.ClaimPayment, patientID, remittanceID int64) []store.LedgerLine {
	claimID := cp.ClaimID
	var doc paymentDocument
	_ = json.Unmarshal(cp.Document, &doc)
	var byAccount [4]int64 // cash, contractual, patient, other
	byAccount[0] = cp.PaidCents
	prior := doc.PriorPayerCents
	absorb := func(amount int64) int64 {
		if prior <= 0 || amount <= 0 {
			return amount
		}
		n := min(prior, amount)
		prior -= n
		return amount - n
	}
	adjs := make([]int64, len(cp.Adjustments))
	for i, a := range cp.Adjustments {
		adjs[i] = a.AmountCents
	}
	// The prior payer's share: CARC 23 first, then CO, then OA, PI, CR.
	for pass := 0; pass < 3 && prior > 0; pass++ {
		for i, a := range cp.Adjustments {
			if a.GroupCode == "PR" {
				continue
			}
			switch {
			case pass == 0 && a.ReasonCode == "23",
				pass == 1 && a.ReasonCode != "23" && a.GroupCode == "CO",
				pass == 2 && a.ReasonCode != "23" && a.GroupCode != "CO":
				adjs[i] = absorb(adjs[i])
			}
		}
	}
	for i, a := range cp.Adjustments {
		switch a.GroupCode {
		case "CO":
			byAccount[1] += adjs[i]
		case "PR":
			byAccount[2] += adjs[i]
		default:
			byAccount[3] += adjs[i]
		}
	}
	accounts := [4]string{AccountCash, AccountContractual, AccountPatientAR, AccountOtherAdjustment}
	var lines []store.LedgerLine
	var total int64
	for i, acct := range accounts {
		if byAccount[i] == 0 {
			continue
		}
		total += byAccount[i]
		lines = append(lines, store.LedgerLine{Account: acct, AmountCents: byAccount[i], ClaimID: claimID, PatientID: &patientID, RemittanceID: &remittanceID})
	}
	if total != 0 {
		lines = append(lines, store.LedgerLine{Account: AccountInsuranceAR, AmountCents: -total, ClaimID: claimID, PatientID: &patientID, RemittanceID: &remittanceID})
	}
	return lines
}

// priorPayerCents is the part of a claim's charge (CLP03 charge) its prior
// payers settled: for a claim billed with other payers' adjudication (Loop
// 2320 AMT*EAF, remaining patient liability), the charge less that
// remaining liability; zero for a primary claim.
func priorPayerCents(c store.Claim, chargeCents int64) (int64, error) {
	doc, err := loadDocument(c)
	if err != nil {
		return 0, err
	}
	for _, op := range doc.OtherPayers {
		if op.RemainingPatientLiabilityCents != nil {
			return max(0, chargeCents-*op.RemainingPatientLiabilityCents), nil
		}
	}
	return 0, nil
}

// reopenDenial reverses the posting of a denial that a later payment of the
// same claim replaces (an appeal won, the claim reprocessed) when the payer
// sent no reversal (CLP02 22) of it: the denied amount goes back to
// insurance A/R, so the new payment settles it.
func (p *poster) reopenDenial(ctx context.Context, row store.Remittance, c store.Claim, denial store.ClaimPayment) error {
	lines := ledgerLines(denial, c.PatientID, denial.RemittanceID)
	if len(lines) < 2 {
		return nil
	}
	for i := range lines {
		lines[i].AmountCents = -lines[i].AmountCents
		lines[i].RemittanceID = &row.ID
	}
	_, _, err := p.tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: "reopen:" + strconv.FormatInt(denial.ID, 10),
		Description:   "denial " + strconv.FormatInt(denial.ID, 10) + " replaced by a later payment " + c.PatientControlNumber,
		EffectiveDate: row.PaymentDate, Lines: lines})
	return err
}

func (p *poster) post(ctx context.Context, cp store.ClaimPayment, desc string, date time.Time, lines []store.LedgerLine) error {
	if len(lines) < 2 {
		return nil
	}
	_, _, err := p.tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: "cp:" + strconv.FormatInt(cp.ID, 10),
		Description: desc, EffectiveDate: date, Lines: lines})
	return err
}

// adjudicatedStatus is the claim status after a payment, and the 1-based
// lines the payer denied (paid nothing, left nothing to the patient).
func adjudicatedStatus(cp store.ClaimPayment, lines []paidLine) (claim.Status, []int) {
	if cp.Adjudication().Denied() {
		return claim.StatusDenied, nil
	}
	var denied []int
	for i, l := range lines {
		if l.PaidCents != 0 || l.ChargeCents == 0 {
			continue
		}
		pr := int64(0)
		contractualOnly := true
		for _, a := range l.Adjustments {
			if a.GroupCode == "PR" {
				pr += a.AmountCents
			} else if !claim.ContractualCARC(a.ReasonCode) {
				contractualOnly = false
			}
		}
		if pr == 0 && !contractualOnly {
			denied = append(denied, i+1)
		}
	}
	if len(denied) > 0 {
		return claim.StatusPartiallyPaid, denied
	}
	return claim.StatusPaid, nil
}

// DenialReason is one adjustment reason of a denial worklist item.
type DenialReason struct {
	Line   int    `json:"line,omitempty"`
	Group  string `json:"group"`
	Reason string `json:"reason"`
	Amount int64  `json:"amountCents"`
	DenialAction
}

func (p *poster) denialItem(ctx context.Context, row store.Remittance, c store.Claim, cp store.ClaimPayment, doc paymentDocument, lines []int) error {
	var reasons []DenialReason
	for _, a := range cp.Adjustments {
		if a.GroupCode == "PR" || claim.ContractualCARC(a.ReasonCode) {
			continue
		}
		if len(lines) > 0 && !containsInt(lines, a.ServiceLine) {
			continue
		}
		reasons = append(reasons, DenialReason{Line: a.ServiceLine, Group: a.GroupCode, Reason: a.ReasonCode, Amount: a.AmountCents,
			DenialAction: ActionFor(a.GroupCode, a.ReasonCode)})
	}
	if len(reasons) == 0 {
		for _, a := range cp.Adjustments {
			reasons = append(reasons, DenialReason{Line: a.ServiceLine, Group: a.GroupCode, Reason: a.ReasonCode, Amount: a.AmountCents,
				DenialAction: ActionFor(a.GroupCode, a.ReasonCode)})
		}
	}
	title := "Denied"
	amount := cp.ChargeCents
	if len(lines) > 0 {
		title = "Lines denied"
		amount = 0
		for _, r := range reasons {
			amount += r.Amount
		}
	}
	if len(reasons) > 0 {
		title += fmt.Sprintf(": %s-%s: %s", reasons[0].Group, reasons[0].Reason, reasons[0].Action)
	}
	raw, err := json.Marshal(map[string]any{"patientControlNumber": c.PatientControlNumber, "payerClaimControlNumber": cp.PayerClaimControlNumber,
		"trace": row.TraceNumber, "reasons": reasons, "remarks": doc.Remarks, "lines": lines, "location": "Loop 2100/2110 CAS"})
	if err != nil {
		return err
	}
	_, _, err = p.tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkDenial, Priority: 3, ClaimID: &c.ID, PatientID: &c.PatientID,
		PayerID: &c.PayerID, AmountCents: amount, Title: title, Details: raw, DedupeKey: "denial:" + strconv.FormatInt(cp.ID, 10)})
	return err
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// underpayment compares what the payer allowed (paid plus patient
// responsibility) with the expected allowed amount of each line, and opens a
// worklist item when the claim's shortfall exceeds the tolerance.
func (p *poster) underpayment(ctx context.Context, row store.Remittance, c store.Claim, cp store.ClaimPayment, doc paymentDocument) error {
	if p.profile == nil {
		return nil
	}
	claimDoc, err := loadDocument(c)
	if err != nil {
		return err
	}
	if len(claimDoc.OtherPayers) > 0 {
		return nil // a secondary's allowed amount is the primary's business
	}
	type lineShort struct {
		Line          int    `json:"line"`
		Procedure     string `json:"procedure"`
		ExpectedCents int64  `json:"expectedAllowedCents"`
		AllowedCents  int64  `json:"allowedCents"`
	}
	var short []lineShort
	var total int64
	for i, l := range doc.Lines {
		allowed := l.PaidCents
		for _, a := range l.Adjustments {
			if a.GroupCode == "PR" {
				allowed += a.AmountCents
			}
		}
		if allowed == 0 {
			continue // denied line: a denial, not an underpayment
		}
		exp, ok := p.profile.ExpectedAllowed(claimDoc.Payer.ID, l.ProcedureCode, l.Modifiers, l.Units)
		if !ok || allowed >= exp {
			continue
		}
		short = append(short, lineShort{Line: i + 1, Procedure: l.ProcedureCode + modSuffix(l.Modifiers), ExpectedCents: exp, AllowedCents: allowed})
		total += exp - allowed
	}
	if total <= p.s.opts.UnderpaymentToleranceCents {
		return nil
	}
	p.res.Underpayments++
	raw, err := json.Marshal(map[string]any{"patientControlNumber": c.PatientControlNumber, "trace": row.TraceNumber, "lines": short,
		"action": "compare with the payer contract and request reprocessing or appeal the underpayment"})
	if err != nil {
		return err
	}
	_, _, err = p.tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkUnderpayment, Priority: 2, ClaimID: &c.ID,
		PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: total,
		Title:   fmt.Sprintf("Underpaid by %s against the expected allowed amount", money.Cents(total)),
		Details: raw, DedupeKey: "underpaid:" + strconv.FormatInt(cp.ID, 10)})
	return err
}

func (p *poster) unmatched(ctx context.Context, row store.Remittance, cp store.ClaimPayment, x *x835.ClaimPayment) error {
	p.res.Unmatched++
	if cp.PaidCents != 0 {
		if _, _, err := p.tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{IdempotencyKey: "cp:" + strconv.FormatInt(cp.ID, 10),
			Description: "unapplied payment " + cp.PatientControlNumber, EffectiveDate: row.PaymentDate,
			Lines: []store.LedgerLine{
				{Account: AccountCash, AmountCents: cp.PaidCents, RemittanceID: &row.ID},
				{Account: AccountUnapplied, AmountCents: -cp.PaidCents, RemittanceID: &row.ID},
			}}); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(map[string]any{"claimPayment": cp.ID, "patientControlNumber": cp.PatientControlNumber,
		"payerClaimControlNumber": cp.PayerClaimControlNumber, "patientLast": x.Patient.Last, "patientFirst": x.Patient.First,
		"chargeCents": cp.ChargeCents, "paidCents": cp.PaidCents, "trace": row.TraceNumber, "position": x.Position.String(),
		"action": "find the claim and apply the payment to it"})
	if err != nil {
		return err
	}
	_, _, err = p.tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkUnmatchedPayment, Priority: 2, PayerID: row.PayerID,
		AmountCents: cp.PaidCents, Title: "Unmatched claim payment " + cp.PatientControlNumber, Details: raw,
		DedupeKey: "unmatched:" + strconv.FormatInt(cp.ID, 10)})
	return err
}

// lastOpenPayment finds, among a claim's payments in order, the latest
// non-reversal payment not yet reversed or superseded: the payment a
// reversal takes back, or the denial a new payment replaces.
func lastOpenPayment(cps []store.ClaimPayment) *store.ClaimPayment {
	reversed := make(map[int64]bool)
	for _, x := range cps {
		var d paymentDocument
		if json.Unmarshal(x.Document, &d) != nil {
			continue
		}
		if x.StatusCode == x835.StatusReversal && d.Reverses != 0 {
			reversed[d.Reverses] = true
		}
		if d.Supersedes != 0 {
			reversed[d.Supersedes] = true
		}
	}
	for i := len(cps) - 1; i >= 0; i-- {
		x := cps[i]
		if x.StatusCode != x835.StatusReversal && !reversed[x.ID] {
			return &x
		}
	}
	return nil
}

func (p *poster) reversal(ctx context.Context, row store.Remittance, c store.Claim, cp store.ClaimPayment, orig *store.ClaimPayment) error {
	if orig == nil {
		p.res.Posted--
		p.res.NotPosted++
		e := &edi.Error{Msg: "reversal (CLP02 22) of claim " + c.PatientControlNumber + " finds no posted payment to reverse", Err: edi.ErrImplementation}
		return p.errorItem(ctx, row, "Reversal with nothing to reverse: "+c.PatientControlNumber, []*edi.Error{e}, cp.PaidCents, "rev:"+strconv.FormatInt(cp.ID, 10))
	}
	p.res.Reversals++
	origRem, err := p.tx.GetRemittance(ctx, store.Ref{ClinicID: p.clinicID, ID: orig.RemittanceID})
	if err != nil {
		return err
	}
	lines := ledgerLines(*orig, c.PatientID, origRem.ID)
	for i := range lines {
		lines[i].AmountCents = -lines[i].AmountCents
		lines[i].RemittanceID = &row.ID
	}
	if err := p.post(ctx, cp, "reversal of payment "+strconv.FormatInt(orig.ID, 10)+" "+c.PatientControlNumber, row.PaymentDate, lines); err != nil {
		return err
	}
	_, err = p.s.transition(ctx, p.tx, c, claim.StatusAccepted, "835 reversal (CLP02 22) trace "+row.TraceNumber)
	return err
}
