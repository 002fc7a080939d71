package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/guide"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/pgp"
)

// Inbound file outcomes, the values of clearhouse_inbound_files_total's
// outcome label.
const (
	InboundOutcomeRecorded    = "recorded"
	InboundOutcomeProcessed   = "processed"
	InboundOutcomeQuarantined = "quarantined"
	// InboundOutcomeHeld: an 835 read in full and held for review, nothing
	// of it posted (billing.CheckRemittance).
	InboundOutcomeHeld = "held"
)

// RecordInbound implements transport.InboundRecorder: it stores a
// downloaded file and inserts its process_inbound job in one store
// transaction, so a file is processed once however often it is fetched and
// whenever the worker dies. seen reports a file stored before.
//
// The file is streamed from the inbox into the file store (only its head,
// sniffHead bytes, is read into memory, to find its clinic and type), and
// the inbox copy is removed once recorded.
func (p *Pipeline) RecordInbound(ctx context.Context, f transport.InboundFile) (bool, error) {
	path := f.LocalPath
	// A payer that encrypts: the plaintext is recorded, or, when the file
	// cannot be decrypted or its signature is not the payer's, the file as
	// received is recorded and quarantined at once.
	var pgpErr error
	keys, err := p.pgpKeys(f.PayerID)
	if err != nil {
		return false, err
	}
	if keys != nil {
		plain, err := decryptFile(keys, f.LocalPath)
		switch {
		case errors.Is(err, pgp.ErrDecrypt) || errors.Is(err, pgp.ErrSignature):
			pgpErr = err
		case err != nil:
			return false, fmt.Errorf("%s from %s: %w", f.RemoteName, f.PayerID, err)
		default:
			path = plain
			defer os.Remove(plain)
		}
	}
	local, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer local.Close()
	head := make([]byte, sniffHead)
	n, err := io.ReadFull(local, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, fmt.Errorf("%s from %s: %w", f.RemoteName, f.PayerID, err)
	}
	head = head[:n]
	clinicID, err := p.cfg.ClinicFor(ctx, f.PayerID, head)
	if err != nil {
		return false, fmt.Errorf("%s from %s: %w", f.RemoteName, f.PayerID, err)
	}
	// The body is written before the transaction begins: no database
	// lock is held while a large file streams.
	if _, err := local.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	stored, err := p.cfg.Store.PutContent(ctx, local)
	if err != nil {
		return false, fmt.Errorf("%s from %s: %w", f.RemoteName, f.PayerID, err)
	}
	var created bool
	var recorded store.InboundFile
	ft := fileType(head)
	if pgpErr != nil {
		ft = ""
	}
	err = p.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		row, isNew, err := tx.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: clinicID, FileName: f.RemoteName,
			Source: f.PayerID, FileType: ft, Stored: &stored})
		if err != nil {
			return fmt.Errorf("%s from %s: %w", f.RemoteName, f.PayerID, err)
		}
		created, recorded = isNew, row
		if !isNew {
			return nil
		}
		if pgpErr != nil {
			return p.quarantineTx(ctx, tx, row, 0, ReasonPGP, pgpErr)
		}
		args := ProcessInboundArgs{ClinicID: clinicID, InboundFileID: row.ID}
		opts := args.InsertOpts()
		if row.FileType == "835" && p.cfg.RemittanceDelay > 0 {
			// Acknowledgments fetched in the same poll (recorded after it, in
			// name order) are applied first.
			opts.ScheduledAt = p.cfg.Now().Add(p.cfg.RemittanceDelay)
		}
		_, err = tx.InsertJob(ctx, args, &opts)
		return err
	})
	if err != nil {
		return false, err
	}
	// The file store holds it now (encrypted when a key is configured):
	// no plain copy stays in the inbox.
	local.Close()
	if err := os.Remove(f.LocalPath); err != nil {
		p.log.Warn("removing the inbox copy of a recorded file", "name", f.RemoteName, "error", err)
	}
	if created {
		p.metrics.inbound.WithLabelValues(InboundOutcomeRecorded).Inc()
		if pgpErr != nil {
			p.quarantined(recorded, ReasonPGP, pgpErr)
		}
	}
	return !created, nil
}

// decryptFile decrypts an inbox file next to it and returns the
// plaintext's path; on error nothing is left behind.
func decryptFile(keys *pgp.Keys, path string) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".plain-*")
	if err != nil {
		return "", err
	}
	err = keys.Decrypt(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// sniffHead is how much of an inbound file RecordInbound reads to find its
// clinic (ISA08) and type (its first TA1 or ST).
const sniffHead = 64 << 10

// openContent opens an inbound file's body from the file store.
func (p *Pipeline) openContent(ctx context.Context, f store.InboundFile) (io.ReadCloser, error) {
	body, err := p.cfg.Store.OpenContent(ctx, f.ContentID)
	if err != nil {
		return nil, fmt.Errorf("inbound file %d %s: %w", f.ID, f.FileName, err)
	}
	return body, nil
}

var _ transport.InboundRecorder = (*Pipeline)(nil)

// clinicResolver is the default Config.ClinicFor.
type clinicResolver struct{ st store.Store }

// clinicFor picks the clinic a response is for. With one clinic in the
// database, that one. Otherwise the clinic holding what the file answers:
// the interchange of its first TA1 (TA101) or 999 group (AK102), or the
// claim of its first 277CA claim status (TRN02 of an HL PT level) or 835
// claim payment (CLP01); control numbers are unique per sender and
// receiver, and a patient control number names one claim. Clinics may
// share the clearinghouse's interchange sender ID, so the file's ISA08 (the
// submitter of what it answers) decides only when the file names nothing a
// clinic holds (a 271, say): the clinic whose submitter ID it is.
func (r *clinicResolver) clinicFor(ctx context.Context, _ string, content []byte) (int64, error) {
	clinics, err := r.st.ListClinics(ctx)
	if err != nil {
		return 0, err
	}
	if len(clinics) == 1 {
		return clinics[0].ID, nil
	}
	ids := make([]int64, len(clinics))
	for i, c := range clinics {
		ids[i] = c.ID
	}
	if id, ok, err := r.byAnswered(ctx, ids, content); err != nil || ok {
		return id, err
	}
	receiver := isaReceiver(content)
	var match []int64
	for _, c := range clinics {
		if receiver != "" && strings.EqualFold(strings.TrimSpace(c.SubmitterID), receiver) {
			match = append(match, c.ID)
		}
	}
	if len(match) != 1 {
		return 0, fmt.Errorf("%w: the file answers nothing of one clinic and ISA08 %q matches %d of %d clinics", ErrNoClinic, receiver,
			len(match), len(clinics))
	}
	return match[0], nil
}

// byAnswered finds the one clinic of candidates holding what the file
// answers (see clinicFor).
func (r *clinicResolver) byAnswered(ctx context.Context, candidates []int64, content []byte) (int64, bool, error) {
	rd := edi.NewReader(bytes.NewReader(content))
	var sender, receiver, level string
	var find func(clinicID int64) (bool, error)
	for find == nil {
		s, err := rd.Next()
		if err != nil {
			return 0, false, nil
		}
		switch {
		case s.Is("ISA"):
			sender, receiver = strings.TrimSpace(s.String(6)), strings.TrimSpace(s.String(8))
		case s.Is("HL"):
			level = s.String(3)
		case s.Is("TA1"), s.Is("AK1"):
			n, err := strconv.ParseInt(strings.TrimSpace(s.String(2)), 10, 64)
			if s.Is("TA1") {
				n, err = strconv.ParseInt(strings.TrimSpace(s.String(1)), 10, 64)
			}
			if err != nil || n == 0 {
				return 0, false, nil
			}
			// Our interchange went the other way: from its ISA08 to its
			// ISA06.
			p := store.FindInterchangeParams{SenderID: receiver, ReceiverID: sender}
			if s.Is("TA1") {
				p.ControlNumber = n
			} else {
				p.GroupControlNumber = n
			}
			find = func(clinicID int64) (bool, error) {
				p.ClinicID = clinicID
				_, err := r.st.FindInterchange(ctx, p)
				return found(err)
			}
		case s.Is("TRN") && s.String(1) == "2" && level == "PT", s.Is("CLP"):
			pcn := s.String(2)
			if s.Is("CLP") {
				pcn = s.String(1)
			}
			find = func(clinicID int64) (bool, error) {
				_, err := r.st.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: clinicID, PatientControlNumber: pcn})
				return found(err)
			}
		}
	}
	var hit []int64
	for _, id := range candidates {
		ok, err := find(id)
		if err != nil {
			return 0, false, err
		}
		if ok {
			hit = append(hit, id)
		}
	}
	if len(hit) != 1 {
		return 0, false, nil
	}
	return hit[0], true, nil
}

// found turns a look-up's error into whether it found its row.
func found(err error) (bool, error) {
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// fileType names what a response holds from its first TA1 or ST segment:
// TA1, 999, 277CA, 835 or 271; "" when unknown (processing decides).
func fileType(content []byte) string {
	r := edi.NewReader(bytes.NewReader(content))
	for {
		s, err := r.Next()
		if err != nil {
			return ""
		}
		switch {
		case s.Is("TA1"):
			return store.AckTA1
		case s.Is("ST"):
			switch id := s.String(1); id {
			case "277":
				if s.String(3) == x277.StatusVersion {
					return store.Ack277
				}
				return store.Ack277CA
			case "999", "835", "271":
				return id
			default:
				return ""
			}
		}
	}
}

// ackFirstWindow is how long a remittance waits for the acknowledgments
// received with it to be applied first.
const ackFirstWindow = 10 * time.Minute

// isaReceiver returns the ISA08 of the first interchange, blanks trimmed,
// or "" when the content does not start with an ISA.
func isaReceiver(content []byte) string {
	r := edi.NewReader(bytes.NewReader(content))
	s, err := r.Next()
	if err != nil || !s.Is("ISA") {
		return ""
	}
	return strings.TrimSpace(s.String(8))
}

type processInboundWorker struct {
	river.WorkerDefaults[ProcessInboundArgs]
	p *Pipeline
}

func (w *processInboundWorker) Work(ctx context.Context, job *river.Job[ProcessInboundArgs]) error {
	return instrument(w.p, ctx, job, w.p.processInbound)
}

// Transaction kinds process_inbound dispatches on.
const (
	kindAck = "ack" // TA1, 999, 277CA
	kind835 = "835"
	kind271 = "271"
	// kindStatus is a 277 claim status response (005010X212).
	kindStatus = "277"
)

// QuarantineDetails is what an operations worklist item says about a
// quarantined file: where reading it failed.
type QuarantineDetails struct {
	InboundFileID int64  `json:"inboundFileId"`
	FileName      string `json:"fileName"`
	Source        string `json:"source,omitempty"`
	Reason        string `json:"reason"`
	Error         string `json:"error"`
	// Interchange, Group and Set are ISA13, GS06 and ST02 around the error.
	Interchange string `json:"interchange,omitempty"`
	Group       string `json:"group,omitempty"`
	Set         string `json:"set,omitempty"`
	// Segment is the segment's ordinal in the file, SegmentID its ID and
	// Element the element position.
	Segment   int    `json:"segment,omitempty"`
	SegmentID string `json:"segmentId,omitempty"`
	Element   int    `json:"element,omitempty"`
	// Loop is the implementation guide loop ID, such as 2100, when the
	// error is a guide error.
	Loop string `json:"loop,omitempty"`
	// Action is the next step, for the worklist.
	Action string `json:"action,omitempty"`
}

// Quarantine reasons.
const (
	ReasonSyntax      = "syntax"      // the file is not well-formed X12 (SNIP 1)
	ReasonUnsupported = "unsupported" // a transaction set this pipeline does not apply
	ReasonContent     = "content"     // the set could not be read or applied
	// ReasonPGP: a payer that encrypts sent a file that cannot be
	// decrypted with our key, or whose signature is missing or not the
	// payer's (sftp.pgp of its payer file).
	ReasonPGP = "pgp"
)

// processInbound applies one received file; see ProcessInboundArgs.
func (p *Pipeline) processInbound(ctx context.Context, a ProcessInboundArgs) error {
	start := p.cfg.Now()
	// counts are what the file applied, for its log line (never PHI).
	var counts []any
	st := p.cfg.Store
	f, err := st.GetInboundFile(ctx, store.Ref{ClinicID: a.ClinicID, ID: a.InboundFileID})
	if err != nil {
		return err
	}
	if f.State == store.InboundProcessed || f.State == store.InboundQuarantined || f.State == store.InboundHeld || f.State == store.InboundDiscarded {
		return nil
	}
	kind, qerr, err := p.inspect(ctx, f)
	if err != nil {
		// The file store could not be read (a missing key, a disk error):
		// not the file's fault; the job is retried.
		return err
	}
	if qerr != nil {
		return p.quarantine(ctx, f, a.Release, qerr.reason, qerr.err)
	}
	switch kind {
	case kindAck:
		var res billing.AckResult
		res, err = p.cfg.Billing.ApplyAcknowledgment(ctx, a.ClinicID, f.ID)
		counts = []any{"accepted", len(res.Accepted), "rejected", len(res.Rejected), "unknown", len(res.Unknown), "already_applied", res.AlreadyApplied}
	case kind835:
		// A payer's 277CA and 835 often arrive in one poll; the claims must
		// be acknowledged before they are paid, or a late 277CA would move
		// a paid claim back to accepted.
		if p.cfg.Now().Sub(f.ReceivedAt) < ackFirstWindow {
			acks, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: a.ClinicID,
				States: []string{store.InboundReceived, store.InboundProcessing}, FileTypes: []string{store.AckTA1, store.Ack999, store.Ack277CA}, Limit: 1})
			if err != nil {
				return err
			}
			if len(acks) > 0 {
				return river.JobSnooze(time.Second)
			}
		}
		var res billing.RemitResult
		body, oerr := p.openContent(ctx, f)
		if oerr != nil {
			return oerr
		}
		// Chunk after chunk until half the run's time is used; the next
		// run goes on after the last chunk committed.
		res, err = p.cfg.Billing.PostRemittanceWithin(ctx, a.ClinicID, f.ID, body, func() bool { return p.budgetSpent(start) })
		body.Close()
		counts = []any{"remittances", res.Remittances, "posted", res.Posted, "unmatched", res.Unmatched, "not_posted", res.NotPosted,
			"denials", res.Denials, "held", res.Held, "already_posted", res.AlreadyPosted}
		if err == nil && res.Partial {
			p.log.Info("inbound file continues", append([]any{"clinic", f.ClinicID, "file", f.ID, "name", f.FileName, "type", f.FileType,
				"duration", p.cfg.Now().Sub(start).Round(time.Millisecond).String()}, counts...)...)
			return river.JobSnooze(0)
		}
		if err == nil && res.HeldFile {
			p.metrics.inbound.WithLabelValues(InboundOutcomeHeld).Inc()
			p.log.Warn("inbound file held", "clinic", f.ClinicID, "file", f.ID, "name", f.FileName, "reason", res.Holds[0].Reason)
			return nil
		}
	case kindStatus:
		var res billing.StatusResult
		res, err = p.cfg.Billing.ApplyClaimStatus(ctx, a.ClinicID, f.ID, billing.StatusOptions{PendingDays: p.cfg.StatusPendingDays})
		if err == nil {
			p.log.Info("claim status applied", "clinic", a.ClinicID, "file", f.ID, "accepted", len(res.Accepted),
				"work_items", len(res.WorkItems), "unknown", len(res.Unknown))
		}
	case kind271:
		if p.cfg.Scheduling == nil {
			return p.quarantine(ctx, f, a.Release, ReasonUnsupported, errors.New("a 271 arrived and no eligibility service is configured"))
		}
		body, oerr := p.openContent(ctx, f)
		if oerr != nil {
			return oerr
		}
		_, err = p.cfg.Scheduling.ApplyEligibilityResponse(ctx, a.ClinicID, f.ID, body)
		body.Close()
	}
	if err != nil {
		if ctx.Err() == nil && isContentError(err) {
			// Retrying cannot help: the file is set aside at once, with
			// its item (and the job completes). Each apply runs in one
			// transaction (an 835 one per payment, read and checked in
			// full first), so nothing of the failing part was applied.
			// Should setting it aside fail (the database is down), the
			// job fails and is retried.
			return p.quarantine(ctx, f, a.Release, ReasonContent, err)
		}
		return err
	}
	p.metrics.inbound.WithLabelValues(InboundOutcomeProcessed).Inc()
	p.log.Info("inbound file processed", append([]any{"clinic", f.ClinicID, "file", f.ID, "name", f.FileName, "type", f.FileType,
		"bytes", f.SizeBytes, "duration", p.cfg.Now().Sub(start).Round(time.Millisecond).String()}, counts...)...)
	p.observeResponse(ctx, f)
	return nil
}

// isContentError reports whether err is about the file rather than the
// database or the network: retrying cannot help. That is a positioned
// X12 error, a file that is not X12 or not a response billing applies, a
// claim status change the file asks for that the state machine refuses
// (an 835 paying a claim that is not awaiting adjudication, when no hold
// caught it), and params the store refuses as invalid (values read from
// the file). Anything else (a lost connection, a serialization conflict,
// a deadline) is transient and the job is retried.
func isContentError(err error) bool {
	var ee *edi.Error
	return errors.As(err, &ee) || errors.Is(err, billing.ErrUnknownFile) || errors.Is(err, edi.ErrNotX12) ||
		errors.Is(err, claim.ErrIllegalTransition) || errors.Is(err, store.ErrInvalid) ||
		// A payer, claim or trace the file names that the database does
		// not have (a 271 from a payer the clinic has not set up).
		errors.Is(err, store.ErrNotFound)
}

type quarantineError struct {
	reason string
	err    error
}

// inspect checks a file's syntax, envelopes and implementation guide in
// full (SNIP 1 and 2, guide.IntakeLevel) and says which transaction it
// holds; an 835 is also decoded in full, so that posting, which commits one
// payment at a time, never stops half-way on a file that cannot be read.
//
// Envelope errors quarantine any file, guide errors an 835, 271 or 277
// (277CA and claim status): they post money, change coverage or move
// claims, and a 277CA off its guide may name the wrong claims or carry
// the wrong verdict. A 999 that breaks its guide but has sound envelopes
// is applied and its guide errors logged: it carries the translator's
// verdict on the groups already sent, and billing's 999 application
// checks what it names and sets aside a 999 it cannot trust.
func (p *Pipeline) inspect(ctx context.Context, f store.InboundFile) (string, *quarantineError, error) {
	return p.inspectContent(f, func() (io.ReadCloser, error) { return p.openContent(ctx, f) })
}

// inspectContent is inspect over the content open returns (read once for
// the guide check, and once more for an 835's claim payments).
func (p *Pipeline) inspectContent(f store.InboundFile, open func() (io.ReadCloser, error)) (string, *quarantineError, error) {
	body, err := open()
	if err != nil {
		return "", nil, err
	}
	rep, err := guide.Validate(body, guide.Options{File: f.FileName, Level: guide.IntakeLevel})
	body.Close()
	if err != nil {
		return "", &quarantineError{ReasonSyntax, err}, nil
	}
	if !rep.Clean() {
		var blocking, logged []*edi.Error
		for _, e := range rep.AllErrors() {
			if guide.FromGuide(e) && is999Set(e.Pos, rep) {
				logged = append(logged, e)
			} else {
				blocking = append(blocking, e)
			}
		}
		switch {
		case len(blocking) > 0:
			return "", &quarantineError{ReasonSyntax, blocking[0]}, nil
		case len(logged) == 0 || rep.ErrorCount() > len(logged):
			return "", &quarantineError{ReasonSyntax, rep.Err()}, nil
		}
		p.log.Warn("999 breaks its implementation guide; applied", "clinic", f.ClinicID, "file", f.ID,
			"name", f.FileName, "errors", len(logged), "first", logged[0])
	}
	kind := ""
	for _, ic := range rep.Interchanges {
		for _, g := range ic.Groups {
			for _, s := range g.Sets {
				k := ""
				switch s.ID {
				case "277":
					k = kindAck
					if s.ImplRef == x277.StatusVersion {
						k = kindStatus
					}
				case "999":
					k = kindAck
				case "835":
					k = kind835
				case "271":
					k = kind271
				default:
					return "", &quarantineError{ReasonUnsupported, &edi.Error{Pos: s.Pos, Err: edi.ErrImplementation,
						Msg: "transaction set " + s.ID + " is not a response the clearinghouse applies"}}, nil
				}
				if kind != "" && k != kind {
					return "", &quarantineError{ReasonUnsupported, &edi.Error{Pos: s.Pos, Err: edi.ErrImplementation,
						Msg: "transaction set " + s.ID + " mixed with other responses in one file"}}, nil
				}
				kind = k
			}
		}
	}
	if kind == "" {
		kind = kindAck // interchanges without groups: TA1s
	}
	if kind == kind835 {
		body, err := open()
		if err != nil {
			return "", nil, err
		}
		defer body.Close()
		r := edi.NewReader(body)
		r.File = f.FileName
		dec := x835.NewDecoderReader(r)
		for dec.Next() {
		}
		if err := dec.Err(); err != nil {
			return "", &quarantineError{ReasonContent, err}, nil
		}
	}
	return kind, nil, nil
}

// is999Set reports whether the transaction set at pos is a 999.
func is999Set(pos edi.Position, rep *edi.ValidationReport) bool {
	for _, ic := range rep.Interchanges {
		if ic.ControlNumber != pos.Interchange {
			continue
		}
		for _, g := range ic.Groups {
			if g.ControlNumber != pos.Group {
				continue
			}
			for _, s := range g.Sets {
				if s.ControlNumber == pos.Set {
					return s.ID == "999"
				}
			}
		}
	}
	return false
}

// quarantine sets a file aside: state quarantined with the reason and the
// positioned error, and an operations worklist item, in one transaction.
func (p *Pipeline) quarantine(ctx context.Context, f store.InboundFile, release int64, reason string, cause error) error {
	err := p.cfg.Store.InTx(ctx, f.ClinicID, func(tx store.Tx) error {
		return p.quarantineTx(ctx, tx, f, release, reason, cause)
	})
	if err != nil {
		return err
	}
	p.quarantined(f, reason, cause)
	return nil
}

// quarantined counts and logs a file set aside (after its transaction).
func (p *Pipeline) quarantined(f store.InboundFile, reason string, cause error) {
	p.metrics.inbound.WithLabelValues(InboundOutcomeQuarantined).Inc()
	p.log.Warn("inbound file quarantined", "clinic", f.ClinicID, "file", f.ID, "name", f.FileName, "reason", reason, "err", cause)
}

// quarantineTx is quarantine's work in tx.
func (p *Pipeline) quarantineTx(ctx context.Context, tx store.Tx, f store.InboundFile, release int64, reason string, cause error) error {
	if !strings.Contains(cause.Error(), f.FileName) {
		// The error an operator reads names the file, whatever raised it.
		cause = fmt.Errorf("%s: %w", f.FileName, cause)
	}
	d := QuarantineDetails{InboundFileID: f.ID, FileName: f.FileName, Source: f.Source, Reason: reason, Error: cause.Error(),
		Action: fmt.Sprintf("fix what stopped the file (or ask the payer to resend it), then clearhouse inbound release %d to process it again; "+
			"or clearhouse inbound discard %d --reason TEXT", f.ID, f.ID)}
	if reason == ReasonPGP {
		d.Action = fmt.Sprintf("check the payer's public key and ours in the payer file (sftp.pgp), ask the payer to resend the file "+
			"encrypted to our key and signed with theirs, then clearhouse inbound discard %d --reason TEXT", f.ID)
	}
	var ee *edi.Error
	if errors.As(cause, &ee) {
		d.Interchange, d.Group, d.Set = ee.Pos.Interchange, ee.Pos.Group, ee.Pos.Set
		d.Segment, d.SegmentID, d.Element, d.Loop = ee.Pos.Segment, ee.Pos.SegmentID, ee.Pos.Element, ee.Pos.Loop
	}
	details, err := json.Marshal(d)
	if err != nil {
		return err
	}
	title := "Inbound file " + f.FileName + " quarantined (" + reason + ")"
	if d.SegmentID != "" {
		title += " at segment " + strconv.Itoa(d.Segment) + " " + d.SegmentID
	}
	key := "inbound-file-" + strconv.FormatInt(f.ID, 10)
	if release != 0 {
		// A file quarantined again after staff released it raises a new
		// item: the first one was resolved by the release.
		key += "-release-" + strconv.FormatInt(release, 10)
	}
	if _, err := tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: f.ClinicID, ID: f.ID, State: store.InboundQuarantined,
		QuarantineReason: reason, Error: cause.Error()}); err != nil {
		return err
	}
	_, _, err = tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: f.ClinicID, Kind: store.WorkQuarantinedFile,
		Priority: 2, Title: title, Details: details, DedupeKey: key})
	return err
}
