package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// PostChunkSize is how many claim payments of an 835 transaction set
// PostRemittance posts in one store transaction.
const PostChunkSize = 500

// remitRun is the posting of one 835 transaction set, chunk after chunk.
type remitRun struct {
	rem *x835.Remittance
	row store.Remittance
	// started is set once the remittance row is known; skip when it was
	// posted before (by this file or another) and nothing is to be done.
	started, skip bool
	// reversed holds the patient and payer claim control numbers of the
	// reversals (CLP02 22) read so far in the transaction set.
	reversed map[string]bool
	// wrote is set once a chunk of this run was committed (claim payments
	// posted or the remittance finished), not merely skipped as posted
	// before.
	wrote bool
}

// postRun posts cps, the next claim payments of run's transaction set, in
// one store transaction or more (see poster.postChunk); with finish, they
// are its last and the set's provider adjustments and errors are posted
// and the remittance marked posted with them.
func (s *Service) postRun(ctx context.Context, clinicID int64, file store.InboundFile, prof *ClinicProfile, run *remitRun, cps []*x835.ClaimPayment,
	finish bool, res *RemitResult) error {
	for {
		var part RemitResult
		row, started, skip := run.row, run.started, run.skip
		rest := cps
		var wrote bool
		err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
			part, wrote = RemitResult{}, false
			p := &poster{s: s, tx: tx, clinicID: clinicID, file: file, profile: prof, res: &part, run: run}
			if !started {
				var created bool
				var err error
				if row, created, err = p.remittance(ctx, run.rem); err != nil {
					return err
				}
				started = true
				if !created && (row.PostedAt != nil || !sameFile(row, file)) {
					skip = true
					part.AlreadyPosted++
					if sameFile(row, file) {
						return nil // this file again: posted once
					}
					// Another file carries a payment already recorded
					// under the same trace number: never posted twice,
					// never dropped unseen.
					return p.traceReusedItem(ctx, row, run.rem)
				}
			}
			if skip {
				return nil
			}
			// Claim payments an interrupted run handled already.
			for len(rest) > 0 && rest[0].Position.Segment <= row.PostedThrough {
				p.noteReversal(rest[0])
				rest = rest[1:]
			}
			through := row.PostedThrough
			if len(rest) > 0 {
				n, err := p.postChunk(ctx, row, rest)
				if err != nil {
					return err
				}
				through = rest[n-1].Position.Segment
				rest = rest[n:]
			}
			done := finish && len(rest) == 0
			if done {
				if err := p.finishRemittance(ctx, row, run.rem); err != nil {
					return err
				}
			}
			if through == row.PostedThrough && !done {
				return nil
			}
			row.PostedThrough = through
			wrote = true
			return tx.UpdateRemittancePosting(ctx, store.UpdateRemittancePostingParams{ClinicID: clinicID, ID: row.ID, PostedThrough: through,
				Complete: done})
		})
		if err != nil {
			return err
		}
		run.row, run.started, run.skip = row, started, skip
		run.wrote = run.wrote || wrote
		res.add(part)
		if skip || len(rest) == 0 {
			return nil
		}
		cps = rest
	}
}

// sameFile reports whether a remittance row was recorded by posting file
// (the same inbound file, or the same unrecorded content): a row of another
// file is the same payment resent.
func sameFile(row store.Remittance, file store.InboundFile) bool {
	if row.FileChecksum != file.Checksum {
		return false
	}
	if row.InboundFileID == nil {
		return file.ID == 0
	}
	return *row.InboundFileID == file.ID
}

// poster posts claim payments of one remittance inside one transaction. The
// rules (CheckClaimPayment, ledgerLines, adjudicatedStatus, the denial and
// underpayment items) read the loaded chunk only; the rows they make are
// collected and written by flush with bulk statements.
type poster struct {
	s        *Service
	tx       store.Tx
	clinicID int64
	file     store.InboundFile
	profile  *ClinicProfile
	res      *RemitResult
	run      *remitRun
	// released posts a claim payment staff released from its hold: the
	// checks of CheckClaimPayment are skipped.
	released bool

	ledger []store.PostLedgerTransactionParams
	moves  []store.ClaimStatusMove
	items  []store.CreateWorklistItemParams
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

// finishRemittance posts what is known once the transaction set ended: its
// provider adjustments (PLB) and its transaction-level errors.
func (p *poster) finishRemittance(ctx context.Context, row store.Remittance, rem *x835.Remittance) error {
	taken, err := p.takeBackClaims(ctx, rem)
	if err != nil {
		return err
	}
	for i, a := range rem.ProviderAdjustments {
		if a.AmountCents == 0 {
			continue
		}
		if t, ok := taken[i]; ok {
			// A take-back (PLB WO, FB) naming a claim: against its A/R.
			p.ledger = append(p.ledger, takeBack(row, i, a, t, rem.PaymentDate))
			continue
		}
		// A positive PLB amount reduces the payment (a recovery): cash
		// received is lower, the provider adjustment account is debited.
		p.ledger = append(p.ledger, store.PostLedgerTransactionParams{
			IdempotencyKey: "plb:" + strconv.FormatInt(row.ID, 10) + ":" + strconv.Itoa(i),
			Description:    "provider adjustment " + a.Reason + " " + a.Reference, EffectiveDate: rem.PaymentDate,
			Lines: []store.LedgerLine{
				{Account: AccountProviderAdjustment, AmountCents: a.AmountCents, RemittanceID: &row.ID},
				{Account: AccountCash, AmountCents: -a.AmountCents, RemittanceID: &row.ID},
			}})
	}
	if len(rem.Errors) > 0 {
		if err := p.errorItem(row, "remittance "+rem.TraceNumber+" has errors", rem.Errors, 0, "st:"+rem.ControlNumber); err != nil {
			return err
		}
	}
	return p.flush(ctx)
}

func (p *poster) errorItem(row store.Remittance, title string, errs []*edi.Error, amount int64, key string) error {
	type errDetail struct {
		Position string `json:"position"`
		Message  string `json:"message"`
	}
	var ds []errDetail
	for _, e := range errs {
		ds = append(ds, errDetail{Position: e.Pos.String(), Message: e.Error()})
	}
	raw, err := json.Marshal(map[string]any{"remittance": row.ID, "trace": row.TraceNumber, "file": p.file.FileName, "inboundFileId": p.file.ID,
		"errors": ds, "action": "ask the payer for a corrected 835 or post the payment by hand"})
	if err != nil {
		return err
	}
	p.items = append(p.items, store.CreateWorklistItemParams{Kind: WorkRemittanceError, Priority: 3, PayerID: row.PayerID,
		AmountCents: amount, Title: title, Details: raw, DedupeKey: "remit-error:" + strconv.FormatInt(row.ID, 10) + ":" + key})
	return nil
}

// traceReusedItem raises one remittance_error item for a file whose 835
// transaction set names a payment (TRN02 and TRN03) recorded before from
// another file: what was posted stays, this file's copy is not posted, and a
// person compares the two (a corrected 835 is sent under a new trace, a
// reversal as CLP02 22).
func (p *poster) traceReusedItem(ctx context.Context, row store.Remittance, rem *x835.Remittance) error {
	first := ""
	if row.InboundFileID != nil {
		first = strconv.FormatInt(*row.InboundFileID, 10)
	}
	raw, err := json.Marshal(map[string]any{"remittance": row.ID, "trace": row.TraceNumber, "file": p.file.FileName,
		"inboundFileId": p.file.ID, "firstInboundFileId": first, "paidCents": rem.TotalPaidCents, "firstPaidCents": row.PaymentCents,
		"action": "compare the two files; ask the payer for a corrected 835 under a new trace number, or post by hand"})
	if err != nil {
		return err
	}
	title := fmt.Sprintf("835 %s carries trace %s, already recorded from inbound file %s with other content; not posted",
		p.file.FileName, row.TraceNumber, first)
	return p.tx.CreateWorklistItems(ctx, store.CreateWorklistItemsParams{ClinicID: p.clinicID, Items: []store.CreateWorklistItemParams{{
		Kind: WorkRemittanceError, Priority: 2, PayerID: row.PayerID, AmountCents: rem.TotalPaidCents, Title: title, Details: raw,
		DedupeKey: "trace-reused:" + strconv.FormatInt(row.ID, 10) + ":" + strconv.FormatInt(p.file.ID, 10)}}})
}

// claimPayment posts one claim payment (a released hold) in p.tx.
func (p *poster) claimPayment(ctx context.Context, row store.Remittance, cp *x835.ClaimPayment) error {
	if p.run == nil {
		p.run = &remitRun{}
	}
	_, err := p.postChunk(ctx, row, []*x835.ClaimPayment{cp})
	return err
}

// noteReversal remembers a reversal (CLP02 22) of the transaction set: the
// claim payment of the same claim after it is its correction.
func (p *poster) noteReversal(cp *x835.ClaimPayment) {
	if cp.Kind != x835.Reversal {
		return
	}
	if p.run.reversed == nil {
		p.run.reversed = make(map[string]bool)
	}
	p.run.reversed[cp.PatientControlNumber] = true
	if cp.PayerClaimControlNumber != "" {
		p.run.reversed[cp.PayerClaimControlNumber] = true
	}
}

// posting is one claim payment of a chunk that passed its checks.
type posting struct {
	cp         *x835.ClaimPayment
	claim      *store.Claim
	doc        paymentDocument
	claimPays  []store.ClaimPayment
	claimDoc   *claim.Claim
	reversed   *store.ClaimPayment
	superseded *store.ClaimPayment
}

// postChunk posts claim payments cps of remittance row: it matches them to
// claims with a few queries (matchAll), checks each with CheckClaimPayment
// against its claim and the payments recorded before it, and writes the
// payments, then their ledger transactions, status changes and worklist
// items (flush) with bulk statements. A claim payment that names a claim,
// patient control number or payer claim control number an earlier one of
// the chunk named (a reversal and its correction, a claim paid twice) ends
// the chunk before it, so each claim is moved once per transaction and
// sees the payments before it: postChunk returns how many of cps it
// handled, at least one.
func (p *poster) postChunk(ctx context.Context, row store.Remittance, cps []*x835.ClaimPayment) (int, error) {
	claims, err := p.matchAll(ctx, cps)
	if err != nil {
		return 0, err
	}
	n := chunkEnd(cps, claims)
	cps, claims = cps[:n], claims[:n]
	claimPays, byICN, err := p.priorPayments(ctx, cps, claims)
	if err != nil {
		return 0, err
	}
	var posts []posting
	var params []store.CreateClaimPaymentParams
	for i, cp := range cps {
		if len(cp.Errors) > 0 {
			p.res.NotPosted++
			if err := p.errorItem(row, "Claim payment "+cp.PatientControlNumber+" not posted: it does not balance or cannot be read",
				cp.Errors, cp.PaidCents, "clp:"+strconv.Itoa(cp.Position.Segment)); err != nil {
				return 0, err
			}
			continue
		}
		c := claims[i]
		pc := PaymentContext{Claim: c, AfterReversal: p.run.reversed[cp.PatientControlNumber] ||
			cp.PayerClaimControlNumber != "" && p.run.reversed[cp.PayerClaimControlNumber]}
		var pays []store.ClaimPayment
		if c != nil {
			pays = claimPays[c.ID]
		}
		pc.Prior = pays
		if cp.PayerClaimControlNumber != "" {
			for _, x := range byICN[cp.PayerClaimControlNumber] {
				if x.ClaimID == nil || c == nil || *x.ClaimID != c.ID {
					pc.Prior = append(pc.Prior[:len(pc.Prior):len(pc.Prior)], x)
				}
			}
		}
		if holds := CheckClaimPayment(cp, pc); len(holds) > 0 && !p.released {
			if err := p.holdPayment(row, c, cp, holds); err != nil {
				return 0, err
			}
			continue
		}
		p.noteReversal(cp)
		prm, doc := claimPaymentParams(row, cp)
		po := posting{cp: cp, claim: c, claimPays: pays}
		if c != nil {
			prm.ClaimID = &c.ID
			if cp.Kind == x835.Reversal {
				if po.reversed = lastOpenPayment(pays); po.reversed != nil {
					doc.Reverses = po.reversed.ID
				}
			} else {
				if po.claimDoc, err = loadDocument(*c); err != nil {
					return 0, err
				}
				doc.PriorPayerCents = priorPayerCents(po.claimDoc, cp.ChargeCents)
				// A payment after a denial the payer did not reverse (an
				// appeal won, a reprocessed claim) replaces the denial.
				if prev := lastOpenPayment(pays); prev != nil && prev.Adjudication().Denied() {
					po.superseded = prev
					doc.Supersedes = prev.ID
				}
			}
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return 0, err
		}
		prm.Document = raw
		po.doc = doc
		posts = append(posts, po)
		params = append(params, prm)
	}
	ids, err := p.tx.BulkInsertClaimPayments(ctx, store.BulkInsertClaimPaymentsParams{ClinicID: p.clinicID, Payments: params})
	if err != nil {
		return 0, err
	}
	type secondary struct {
		c      store.Claim
		stored store.ClaimPayment
		lines  []paidLine
	}
	var secondaries []secondary
	for i, po := range posts {
		prm := params[i]
		stored := store.ClaimPayment{ID: ids[i], ClinicID: p.clinicID, RemittanceID: row.ID, ClaimID: prm.ClaimID,
			PatientControlNumber: prm.PatientControlNumber, StatusCode: prm.StatusCode, ChargeCents: prm.ChargeCents, PaidCents: prm.PaidCents,
			PatientResponsibilityCents: prm.PatientResponsibilityCents, PayerClaimControlNumber: prm.PayerClaimControlNumber,
			Document: prm.Document, Adjustments: prm.Adjustments}
		if po.claim == nil {
			if err := p.unmatched(row, stored, po.cp); err != nil {
				return 0, err
			}
			continue
		}
		c := *po.claim
		p.res.Posted++
		if po.cp.Kind == x835.Reversal {
			if err := p.reversal(row, c, stored, po.reversed); err != nil {
				return 0, err
			}
			continue
		}
		if po.superseded != nil {
			p.reopenDenial(row, c, *po.superseded)
		}
		p.postLedger(stored, "insurance payment "+c.PatientControlNumber, row.PaymentDate, ledgerLines(stored, c.PatientID, row.ID))
		status, deniedLines := adjudicatedStatus(stored, po.doc.Lines)
		if err := p.move(&c, status, fmt.Sprintf("835 trace %s: paid %s", row.TraceNumber, money.Cents(stored.PaidCents))); err != nil {
			return 0, err
		}
		if status == claim.StatusDenied || len(deniedLines) > 0 {
			p.res.Denials++
			if err := p.denialItem(row, c, stored, po.doc, deniedLines); err != nil {
				return 0, err
			}
		}
		if status != claim.StatusDenied {
			if err := p.underpayment(row, c, po.claimDoc, stored, po.doc); err != nil {
				return 0, err
			}
			if stored.PatientResponsibilityCents > 0 {
				secondaries = append(secondaries, secondary{c, stored, po.doc.Lines})
			}
		}
	}
	if err := p.flush(ctx); err != nil {
		return 0, err
	}
	// The secondary and tertiary claims, built together (see
	// buildNextPayerClaims).
	if len(secondaries) > 0 {
		in := make([]nextPayerIn, len(secondaries))
		for i, sc := range secondaries {
			in[i] = nextPayerIn{prior: sc.c, cp: sc.stored, lines: sc.lines, paidDate: row.PaymentDate}
		}
		next, err := p.s.buildNextPayerClaims(ctx, p.tx, p.clinicID, in)
		if err != nil {
			return 0, err
		}
		for _, o := range next {
			if o.created {
				p.res.SecondaryClaims = append(p.res.SecondaryClaims, o.claim.ID)
			}
		}
	}
	return n, nil
}

// chunkEnd is how many of cps, in order, name no claim, patient control
// number or payer claim control number an earlier one names.
func chunkEnd(cps []*x835.ClaimPayment, claims []*store.Claim) int {
	seenClaim := make(map[int64]bool, len(cps))
	seenKey := make(map[string]bool, 2*len(cps))
	for i, cp := range cps {
		keys := [2]string{"pcn:" + cp.PatientControlNumber, ""}
		if cp.PayerClaimControlNumber != "" {
			keys[1] = "icn:" + cp.PayerClaimControlNumber
		}
		c := claims[i]
		if i > 0 && (seenKey[keys[0]] || keys[1] != "" && seenKey[keys[1]] || c != nil && seenClaim[c.ID]) {
			return i
		}
		seenKey[keys[0]] = true
		if keys[1] != "" {
			seenKey[keys[1]] = true
		}
		if c != nil {
			seenClaim[c.ID] = true
		}
	}
	return len(cps)
}

// move records a claim's status change to "to" (checked against the state
// machine), written by flush; c takes the new status.
func (p *poster) move(c *store.Claim, to claim.Status, reason string) error {
	if c.Status == to {
		return nil
	}
	if err := claim.Transition(c.ID, c.Status, to); err != nil {
		return err
	}
	p.moves = append(p.moves, store.ClaimStatusMove{ID: c.ID, From: c.Status, To: to, Reason: reason})
	c.Status = to
	return nil
}

// flush writes what the chunk's rules made: ledger transactions, status
// changes with their history, and worklist items, a few statements each.
func (p *poster) flush(ctx context.Context) error {
	if len(p.ledger) > 0 {
		if _, err := p.tx.PostLedgerTransactions(ctx, store.PostLedgerTransactionsParams{ClinicID: p.clinicID, Transactions: p.ledger}); err != nil {
			return err
		}
	}
	if len(p.moves) > 0 {
		if err := p.tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{ClinicID: p.clinicID, Moves: p.moves, Actor: p.s.opts.Actor}); err != nil {
			return err
		}
	}
	if len(p.items) > 0 {
		if err := p.tx.CreateWorklistItems(ctx, store.CreateWorklistItemsParams{ClinicID: p.clinicID, Items: p.items}); err != nil {
			return err
		}
	}
	p.ledger, p.moves, p.items = p.ledger[:0], p.moves[:0], p.items[:0]
	return nil
}

// matchAll finds the claim of each claim payment (nil when none): by
// patient control number, then by payer claim control number (the latest
// claim that has it), a query each for the chunk, then, for the rest, by
// patient name, date of service and total charge (only when exactly one
// claim fits).
func (p *poster) matchAll(ctx context.Context, cps []*x835.ClaimPayment) ([]*store.Claim, error) {
	out := make([]*store.Claim, len(cps))
	pcns := make([]string, 0, len(cps))
	for _, cp := range cps {
		if cp.PatientControlNumber != "" {
			pcns = append(pcns, cp.PatientControlNumber)
		}
	}
	byPCN := make(map[string]*store.Claim, len(cps))
	if len(pcns) > 0 {
		cs, err := p.tx.GetClaimsByPatientControlNumbers(ctx, store.KeysParams{ClinicID: p.clinicID, Keys: uniqueStrings(pcns)})
		if err != nil {
			return nil, err
		}
		for i := range cs {
			byPCN[cs[i].PatientControlNumber] = &cs[i]
		}
	}
	var icns []string
	for i, cp := range cps {
		if c := byPCN[cp.PatientControlNumber]; c != nil && cp.PatientControlNumber != "" {
			out[i] = c
		} else if cp.PayerClaimControlNumber != "" {
			icns = append(icns, cp.PayerClaimControlNumber)
		}
	}
	if len(icns) > 0 {
		cs, err := p.tx.GetClaimsByPayerClaimControlNumbers(ctx, store.KeysParams{ClinicID: p.clinicID, Keys: uniqueStrings(icns)})
		if err != nil {
			return nil, err
		}
		byICN := make(map[string]*store.Claim, len(cs))
		for i := range cs {
			byICN[cs[i].PayerClaimControlNumber] = &cs[i] // the latest wins
		}
		for i, cp := range cps {
			if out[i] == nil && cp.PayerClaimControlNumber != "" {
				out[i] = byICN[cp.PayerClaimControlNumber]
			}
		}
	}
	for i, cp := range cps {
		if out[i] != nil || len(cp.Errors) > 0 {
			continue
		}
		c, ok, err := p.matchByPatient(ctx, cp)
		if err != nil {
			return nil, err
		}
		if ok {
			out[i] = &c
		}
	}
	// Claims matched twice (by different keys) are one claim.
	byID := make(map[int64]*store.Claim, len(out))
	for i, c := range out {
		if c == nil {
			continue
		}
		if first, ok := byID[c.ID]; ok {
			out[i] = first
		} else {
			byID[c.ID] = c
		}
	}
	return out, nil
}

func uniqueStrings(xs []string) []string {
	seen := make(map[string]bool, len(xs))
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// matchByPatient finds the one claim of the patient named in the claim
// payment with its date of service and total charge.
func (p *poster) matchByPatient(ctx context.Context, cp *x835.ClaimPayment) (store.Claim, bool, error) {
	dos := serviceDate(cp)
	if cp.Patient.Last == "" || dos.IsZero() {
		return store.Claim{}, false, nil
	}
	pts, err := p.tx.ListPatients(ctx, store.ListPatientsParams{ClinicID: p.clinicID, LastName: cp.Patient.Last, Limit: 50})
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

// priorPayments loads the claim payments recorded before for the chunk's
// matched claims (by claim, in order) and for its payer claim control
// numbers (CLP07), a query each.
func (p *poster) priorPayments(ctx context.Context, cps []*x835.ClaimPayment, claims []*store.Claim) (map[int64][]store.ClaimPayment,
	map[string][]store.ClaimPayment, error) {
	var ids []int64
	var icns []string
	for i, cp := range cps {
		if claims[i] != nil {
			ids = append(ids, claims[i].ID)
		}
		if cp.PayerClaimControlNumber != "" {
			icns = append(icns, cp.PayerClaimControlNumber)
		}
	}
	byClaim := make(map[int64][]store.ClaimPayment)
	if len(ids) > 0 {
		ps, err := p.tx.ListClaimPaymentsByClaims(ctx, store.IDsParams{ClinicID: p.clinicID, IDs: unique(ids)})
		if err != nil {
			return nil, nil, err
		}
		for _, x := range ps {
			byClaim[*x.ClaimID] = append(byClaim[*x.ClaimID], x)
		}
	}
	byICN := make(map[string][]store.ClaimPayment)
	if len(icns) > 0 {
		ps, err := p.tx.ListClaimPaymentsByPayerClaimControlNumbers(ctx, store.KeysParams{ClinicID: p.clinicID, Keys: uniqueStrings(icns)})
		if err != nil {
			return nil, nil, err
		}
		for _, x := range ps {
			byICN[x.PayerClaimControlNumber] = append(byICN[x.PayerClaimControlNumber], x)
		}
	}
	return byClaim, byICN, nil
}

// holdPayment keeps a claim payment from posting: no claim payment row, no
// ledger line, no status change; one worklist item says why, with the
// amounts and what the payment held.
func (p *poster) holdPayment(row store.Remittance, c *store.Claim, cp *x835.ClaimPayment, holds []Hold) error {
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
	p.items = append(p.items, item)
	return nil
}

// reopenDenial reverses the posting of a denial that a later payment of the
// same claim replaces (an appeal won, the claim reprocessed) when the payer
// sent no reversal (CLP02 22) of it: the denied amount goes back to
// insurance A/R (under the denial's reopenKey, so not twice when a person
// already reopened it), and so does what the denial adjusted, so the new
// payment settles the whole claim.
func (p *poster) reopenDenial(row store.Remittance, c store.Claim, denial store.ClaimPayment) {
	denied, rest := splitDenied(ledgerLines(denial, c.PatientID, denial.RemittanceID))
	desc := "denial " + strconv.FormatInt(denial.ID, 10) + " replaced by a later payment " + c.PatientControlNumber
	if denied != nil {
		p.ledger = append(p.ledger, store.PostLedgerTransactionParams{IdempotencyKey: reopenKey(denial.ID), Description: desc,
			EffectiveDate: row.PaymentDate, Lines: negated(denied, &row.ID)})
	}
	if rest != nil {
		p.ledger = append(p.ledger, store.PostLedgerTransactionParams{IdempotencyKey: "supersede:" + strconv.FormatInt(denial.ID, 10),
			Description: desc, EffectiveDate: row.PaymentDate, Lines: negated(rest, &row.ID)})
	}
}

// postLedger adds the ledger transaction of a claim payment.
func (p *poster) postLedger(cp store.ClaimPayment, desc string, date time.Time, lines []store.LedgerLine) {
	if len(lines) < 2 {
		return
	}
	p.ledger = append(p.ledger, store.PostLedgerTransactionParams{IdempotencyKey: "cp:" + strconv.FormatInt(cp.ID, 10),
		Description: desc, EffectiveDate: date, Lines: lines})
}

func (p *poster) denialItem(row store.Remittance, c store.Claim, cp store.ClaimPayment, doc paymentDocument, lines []int) error {
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
	p.items = append(p.items, store.CreateWorklistItemParams{Kind: store.WorkDenial, Priority: 3, ClaimID: &c.ID, PatientID: &c.PatientID,
		PayerID: &c.PayerID, AmountCents: amount, Title: title, Details: raw, DedupeKey: "denial:" + strconv.FormatInt(cp.ID, 10)})
	return nil
}

// underpayment compares what the payer allowed (paid plus patient
// responsibility) with the expected allowed amount of each line, and opens a
// worklist item when the claim's shortfall exceeds the tolerance.
func (p *poster) underpayment(row store.Remittance, c store.Claim, claimDoc *claim.Claim, cp store.ClaimPayment, doc paymentDocument) error {
	if p.profile == nil {
		return nil
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
	p.items = append(p.items, store.CreateWorklistItemParams{Kind: store.WorkUnderpayment, Priority: 2, ClaimID: &c.ID,
		PatientID: &c.PatientID, PayerID: &c.PayerID, AmountCents: total,
		Title:   fmt.Sprintf("Underpaid by %s against the expected allowed amount", money.Cents(total)),
		Details: raw, DedupeKey: "underpaid:" + strconv.FormatInt(cp.ID, 10)})
	return nil
}

func (p *poster) unmatched(row store.Remittance, cp store.ClaimPayment, x *x835.ClaimPayment) error {
	p.res.Unmatched++
	if cp.PaidCents != 0 {
		p.ledger = append(p.ledger, store.PostLedgerTransactionParams{IdempotencyKey: "cp:" + strconv.FormatInt(cp.ID, 10),
			Description: "unapplied payment " + cp.PatientControlNumber, EffectiveDate: row.PaymentDate,
			Lines: []store.LedgerLine{
				{Account: AccountCash, AmountCents: cp.PaidCents, RemittanceID: &row.ID},
				{Account: AccountUnapplied, AmountCents: -cp.PaidCents, RemittanceID: &row.ID},
			}})
	}
	details := map[string]any{"claimPayment": cp.ID, "patientControlNumber": cp.PatientControlNumber,
		"payerClaimControlNumber": cp.PayerClaimControlNumber, "patientLast": x.Patient.Last, "patientFirst": x.Patient.First,
		"chargeCents": cp.ChargeCents, "paidCents": cp.PaidCents, "trace": row.TraceNumber, "position": x.Position.String(),
		"remittance": row.ID, "action": "find the claim and apply the payment to it"}
	if p.file.ID != 0 {
		// The 835 that raised the item, so that inbound show lists it.
		details["file"], details["inboundFileId"] = p.file.FileName, p.file.ID
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	p.items = append(p.items, store.CreateWorklistItemParams{Kind: store.WorkUnmatchedPayment, Priority: 2, PayerID: row.PayerID,
		AmountCents: cp.PaidCents, Title: "Unmatched claim payment " + cp.PatientControlNumber, Details: raw,
		DedupeKey: "unmatched:" + strconv.FormatInt(cp.ID, 10)})
	return nil
}

// reversal takes back what orig, the claim's last open payment, posted and
// moves the claim back to accepted for the correction that follows.
func (p *poster) reversal(row store.Remittance, c store.Claim, cp store.ClaimPayment, orig *store.ClaimPayment) error {
	if orig == nil {
		p.res.Posted--
		p.res.NotPosted++
		e := &edi.Error{Msg: "reversal (CLP02 22) of claim " + c.PatientControlNumber + " finds no posted payment to reverse", Err: edi.ErrImplementation}
		return p.errorItem(row, "Reversal with nothing to reverse: "+c.PatientControlNumber, []*edi.Error{e}, cp.PaidCents, "rev:"+strconv.FormatInt(cp.ID, 10))
	}
	p.res.Reversals++
	// The denied part is reopened under the payment's reopenKey: not a
	// second time when a person already moved it back to insurance A/R
	// (an appeal won, a correction).
	denied, rest := splitDenied(ledgerLines(*orig, c.PatientID, orig.RemittanceID))
	desc := "reversal of payment " + strconv.FormatInt(orig.ID, 10) + " " + c.PatientControlNumber
	if denied != nil {
		p.ledger = append(p.ledger, store.PostLedgerTransactionParams{IdempotencyKey: reopenKey(orig.ID), Description: desc,
			EffectiveDate: row.PaymentDate, Lines: negated(denied, &row.ID)})
	}
	p.postLedger(cp, desc, row.PaymentDate, negated(rest, &row.ID))
	return p.move(&c, claim.StatusAccepted, "835 reversal (CLP02 22) trace "+row.TraceNumber)
}
