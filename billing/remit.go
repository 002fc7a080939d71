package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
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
	// SecondaryClaims are the claims built for the next payer after a
	// payment left patient responsibility: secondary claims after
	// primaries, tertiary claims after secondaries.
	SecondaryClaims []int64
	// Partial is set when PostRemittanceWithin stopped before the end of
	// the file: what it posted is committed and the file is not yet
	// marked processed; the next call goes on after the last chunk.
	Partial bool
	// Credits is what the credit check of the claims and patients the
	// file touched did (see CheckCredits).
	Credits CreditResult
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
	// DeniedOpen is set on every payment posted under the rule that keeps
	// denied amounts open (see ledgerLines): its adjustments for other
	// than contractual reasons went to denied A/R, not to an adjustment
	// account. A payment posted before that rule lacks it, so its reversal
	// still negates exactly what it posted.
	DeniedOpen bool `json:"deniedOpen,omitempty"`
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
// Each transaction set (one payment, BPR/TRN) is keyed by the payer's TRN03
// and trace number TRN02: a file posted again, or the same payment resent in
// another file, posts nothing the second time. Its claim payments are
// posted Options.PostChunkSize a store transaction (see poster.postChunk): the
// chunk's claims and earlier payments are loaded with a few queries, the
// rules run in memory, and the payments, ledger transactions, status
// changes and worklist items are written with bulk statements. Each chunk
// records on the remittance the last claim payment it handled, and the
// last one marks the remittance posted, so a crash mid-file leaves each
// claim payment either fully posted or not at all, and running the file
// again resumes after the last chunk committed.
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
// (or secondary) claim leaves patient responsibility and the patient has a
// secondary (or tertiary) coverage with another payer, the next payer's claim
// is built as a draft (see buildNextPayerClaim). Once the file is posted,
// the claims and patients its remittances touched are checked for credit
// balances (CheckCredits) in one more transaction; a PLB take-back (WO, FB)
// naming a claim posts against that claim (see takeBack).
func (s *Service) PostRemittance(ctx context.Context, clinicID, inboundFileID int64, r io.Reader) (RemitResult, error) {
	return s.postRemittance(ctx, clinicID, inboundFileID, r, false, nil)
}

// PostRemittanceWithin is PostRemittance in bounded runs: between chunks,
// once this call committed at least one chunk, it asks stop whether to go
// on; when stop says no and claim payments remain, it returns with
// RemitResult.Partial set. The file is then not yet marked processed, and
// the next call with the same file skips what was posted (the
// remittance's posted_through) and goes on. Each call reads the file in
// full again for its file-level checks, and posts at least one chunk, so a
// caller that calls until Partial is unset finishes the file.
func (s *Service) PostRemittanceWithin(ctx context.Context, clinicID, inboundFileID int64, r io.Reader, stop func() bool) (RemitResult, error) {
	return s.postRemittance(ctx, clinicID, inboundFileID, r, false, stop)
}

// postRemittance is PostRemittance; released skips the file-level checks
// (CheckRemittance) that staff confirmed by releasing a held file; stop,
// when set, ends the call between chunks (see PostRemittanceWithin).
func (s *Service) postRemittance(ctx context.Context, clinicID, inboundFileID int64, r io.Reader, released bool, stop func() bool) (RemitResult, error) {
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
	// wrote is set once this call committed a chunk; only then may stop
	// end it, so every call makes progress.
	var wrote bool
	stopNow := func(run *remitRun) bool {
		wrote = wrote || run.wrote
		return stop != nil && wrote && stop()
	}
	var posted []*remitRun
	// partial ends a bounded run: what it posted is checked for credit
	// balances like a whole file's remittances.
	partial := func(run *remitRun) (RemitResult, error) {
		res.Partial = true
		return res, s.checkPostedCredits(ctx, clinicID, append(posted, run), &res)
	}
	chunk := s.opts.PostChunkSize
	buf := make([]*x835.ClaimPayment, 0, chunk)
	more := dec.Next()
	for more {
		rem := dec.Claim().Remittance
		handled[rem] = true
		res.Remittances++
		run := &remitRun{rem: rem}
		buf = buf[:0]
		for more && dec.Claim().Remittance == rem {
			buf = append(buf, dec.Claim().Clone())
			more = dec.Next()
			if len(buf) == chunk && more && dec.Claim().Remittance == rem {
				// A full chunk with more of the set to come; its totals
				// (PLB, errors) are complete only after its SE.
				if err := s.postRun(ctx, clinicID, file, prof, run, buf, false, &res); err != nil {
					return res, err
				}
				buf = buf[:0]
				if stopNow(run) {
					return partial(run)
				}
			}
		}
		if err := s.postRun(ctx, clinicID, file, prof, run, buf, true, &res); err != nil {
			return res, err
		}
		if more && stopNow(run) {
			return partial(run)
		}
		posted = append(posted, run)
	}
	if err := dec.Err(); err != nil {
		return res, err
	}
	for _, rem := range dec.Remittances() {
		if handled[rem] {
			continue
		}
		res.Remittances++
		run := &remitRun{rem: rem}
		if err := s.postRun(ctx, clinicID, file, prof, run, nil, true, &res); err != nil {
			return res, err
		}
		posted = append(posted, run)
	}
	if err := s.checkPostedCredits(ctx, clinicID, posted, &res); err != nil {
		return res, err
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
	r.Credits.Credits = append(r.Credits.Credits, p.Credits.Credits...)
	r.Credits.Opened += p.Credits.Opened
	r.Credits.Updated += p.Credits.Updated
	r.Credits.Resolved += p.Credits.Resolved
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

func claimPaymentParams(row store.Remittance, cp *x835.ClaimPayment) (store.CreateClaimPaymentParams, paymentDocument) {
	params := store.CreateClaimPaymentParams{RemittanceID: row.ID, PatientControlNumber: cp.PatientControlNumber, StatusCode: cp.Status,
		ChargeCents: cp.ChargeCents, PaidCents: cp.PaidCents, PatientResponsibilityCents: cp.PatientResponsibilityCents,
		PayerClaimControlNumber: cp.PayerClaimControlNumber}
	doc := paymentDocument{Kind: strings.ToLower(cp.Kind.String()), Remarks: cp.RemarkCodes(), Position: cp.Position.String(), DeniedOpen: true}
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

// ledgerLines are the ledger lines of a posted claim payment, all against
// the claim's insurance A/R: CLP04 payment to cash, CAS adjustments for a
// contractual reason (claim.ContractualCARC: CO-45 and its kin) to
// contractual adjustments (group CO) or other adjustments (OA, PI, CR), PR
// to patient A/R, and every other adjustment (a denial reason: CO-197,
// CO-50, OA-18, PI-16, ...) to denied A/R, AccountDeniedAR. So for every
// claim, charge = insurance payments + adjustments + patient responsibility
// + write-offs + outstanding insurance A/R, denied A/R included.
//
// A denied amount is not adjusted away: it stays owed, in denied A/R, until
// a person writes it off, records the appeal's outcome (won: back to
// insurance A/R awaiting payment; lost: written off or billed to the
// patient), or corrects or voids the claim (see ReopenDenialsTx), or the
// payer reverses (CLP02 22) or reprocesses the denial: the denied part of a
// payment is reopened under its own idempotency key (reopenKey), so it
// moves back to insurance A/R once, whichever of these comes first (see
// splitDenied).
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
// recomputes and negates it exactly; a payment stored without DeniedOpen
// (posted before denied amounts were kept open) posts every CO adjustment
// as contractual and OA, PI and CR as other adjustments, as it did then.
func ledgerLines(cp store.ClaimPayment, patientID, remittanceID int64) []store.LedgerLine {
	claimID := cp.ClaimID
	var doc paymentDocument
	_ = json.Unmarshal(cp.Document, &doc)
	var byAccount [5]int64 // cash, contractual, patient, other, denied
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
		switch {
		case a.GroupCode == "PR":
			byAccount[2] += adjs[i]
		case doc.DeniedOpen && adjs[i] > 0 && !claim.ContractualCARC(a.ReasonCode):
			byAccount[4] += adjs[i]
		case a.GroupCode == "CO":
			byAccount[1] += adjs[i]
		default:
			byAccount[3] += adjs[i]
		}
	}
	accounts := [5]string{AccountCash, AccountContractual, AccountPatientAR, AccountOtherAdjustment, AccountDeniedAR}
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

// splitDenied splits a payment's ledger lines (ledgerLines) into the move
// of its denied amount from insurance A/R to denied A/R (nil when it denied
// nothing) and the rest.
func splitDenied(lines []store.LedgerLine) (denied, rest []store.LedgerLine) {
	var amount int64
	for _, l := range lines {
		if l.Account == AccountDeniedAR {
			amount += l.AmountCents
		}
	}
	if amount == 0 {
		return nil, lines
	}
	for _, l := range lines {
		switch l.Account {
		case AccountDeniedAR:
			denied = append(denied, l)
			continue
		case AccountInsuranceAR:
			d := l
			d.AmountCents = -amount
			denied = append(denied, d)
			l.AmountCents += amount
			if l.AmountCents == 0 {
				continue
			}
		}
		rest = append(rest, l)
	}
	if len(rest) < 2 {
		rest = nil
	}
	return denied, rest
}

// negated returns lines with every amount negated and the remittance set to
// remittanceID (nil: none).
func negated(lines []store.LedgerLine, remittanceID *int64) []store.LedgerLine {
	out := make([]store.LedgerLine, len(lines))
	for i, l := range lines {
		l.AmountCents = -l.AmountCents
		l.RemittanceID = remittanceID
		out[i] = l
	}
	return out
}

// reopenKey is the idempotency key of the transaction that moves the denied
// amount of claim payment id back from denied A/R to insurance A/R: the
// payer's reversal or reprocessing of the denial and a person's appeal won,
// correction or void post it under the same key, so it is posted once.
func reopenKey(id int64) string { return "reopen:" + strconv.FormatInt(id, 10) }

// priorPayerCents is the part of a claim's charge (CLP03 charge) its prior
// payers settled: for a claim billed with other payers' adjudication (Loop
// 2320 AMT*EAF, remaining patient liability), the charge less the
// liability the last of them left (on a tertiary claim, the secondary's,
// SBR01 S, after the primary's P); zero for a primary claim.
func priorPayerCents(doc *claim.Claim, chargeCents int64) int64 {
	var last *claim.OtherPayer
	for i := range doc.OtherPayers {
		op := &doc.OtherPayers[i]
		if op.RemainingPatientLiabilityCents != nil && (last == nil || claim.PayerOrder(op.PayerResponsibility) >= claim.PayerOrder(last.PayerResponsibility)) {
			last = op
		}
	}
	if last == nil {
		return 0
	}
	return max(0, chargeCents-*last.RemainingPatientLiabilityCents)
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

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// lastOpenPayment finds, among a claim's payments in order, the latest
// non-reversal payment not yet reversed or superseded: the payment a
// reversal takes back, or the denial a new payment replaces.
func lastOpenPayment(cps []store.ClaimPayment) *store.ClaimPayment {
	closed := closedPayments(cps)
	for i := len(cps) - 1; i >= 0; i-- {
		x := cps[i]
		if !isReversalPayment(x) && !closed[x.ID] {
			return &x
		}
	}
	return nil
}

func isReversalPayment(x store.ClaimPayment) bool { return x.StatusCode == x835.StatusReversal }

// closedPayments are the IDs of the payments among cps that a reversal
// reversed or a later payment superseded.
func closedPayments(cps []store.ClaimPayment) map[int64]bool {
	closed := make(map[int64]bool)
	for _, x := range cps {
		var d paymentDocument
		if json.Unmarshal(x.Document, &d) != nil {
			continue
		}
		if isReversalPayment(x) && d.Reverses != 0 {
			closed[d.Reverses] = true
		}
		if d.Supersedes != 0 {
			closed[d.Supersedes] = true
		}
	}
	return closed
}
