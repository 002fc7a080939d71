package scheduling

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
)

// Exchanger sends one real-time 270 to a payer and returns the payer's
// answer: a 271, or the 999 or TA1 that rejects the 270. The transport
// (CAQH CORE's HTTP+MIME envelope, transport/realtime) lives behind it.
type Exchanger interface {
	// Ready returns an error when the payer cannot be reached in real time
	// (no endpoint or credentials configured); nothing is sent then.
	Ready(payer *payers.Payer) error
	Exchange270(ctx context.Context, payer *payers.Payer, x12 []byte) ([]byte, error)
}

// DefaultEligibilityMaxAge is how old a coverage's last 271 may be at
// check-in before a fresh one is asked for.
const DefaultEligibilityMaxAge = 7 * 24 * time.Hour

// RealTimeParams asks a payer about one patient's coverage now.
type RealTimeParams struct {
	ClinicID  int64
	PatientID int64
	// CoverageID is the coverage asked about; 0 takes the patient's
	// coverage of the lowest priority in effect on Date.
	CoverageID int64
	// ServiceType is the EQ01 service type; default Config.VisitServiceType.
	ServiceType string
	// Date is the date of service; zero means today.
	Date      time.Time
	Actor     string
	Exchanger Exchanger
}

// RealTimeResult is the payer's answer, applied to the coverage.
type RealTimeResult struct {
	// Coverage is the coverage asked about, as it stands after the answer.
	Coverage store.Coverage
	// PayerID is the payer's registry ID.
	PayerID string
	// ControlNumber is the 270's ISA13; TraceNumber its TRN02.
	ControlNumber int64
	TraceNumber   string
	// Responses are the 271's transaction sets (one, in real time).
	Responses []*x270.Response
	Applied   ApplyResult
	// Elapsed is the time from sending the 270 to its answer.
	Elapsed time.Duration
}

// ErrNotReachable is wrapped when the payer has no real-time connection
// configured; nothing was sent.
var ErrNotReachable = errors.New("no real-time connection")

// ErrNoAnswer is wrapped when the payer did not answer a real-time 270
// (timeout, connection refused, an answer that is not a 271).
var ErrNoAnswer = errors.New("no real-time answer")

// CheckEligibilityNow sends one real-time 270 for the patient's coverage
// through p.Exchanger and applies the 271 the payer answers with, as the
// nightly batch's answers are applied (the coverage's eligibility, worklist
// items for inactive or unknown coverage). The 270 is recorded as an
// interchange (transaction set 270, status uploaded, its remote path
// "realtime") with its answer's outcome, in one transaction with the
// answer; a payer that does not answer leaves the coverage as it was and
// the interchange's last error says why.
func (s *Service) CheckEligibilityNow(ctx context.Context, p RealTimeParams) (RealTimeResult, error) {
	var res RealTimeResult
	if p.Exchanger == nil {
		return res, fmt.Errorf("%w: no real-time connection configured", ErrInvalid)
	}
	if s.cfg.Payers == nil {
		return res, fmt.Errorf("%w: Config.Payers (the payer registry) is required for real-time eligibility", ErrInvalid)
	}
	st := cmp.Or(p.ServiceType, s.cfg.VisitServiceType)
	if !isServiceType(st) {
		return res, fmt.Errorf("%w: service type %q", ErrInvalid, st)
	}
	now := s.cfg.Now().In(s.cfg.Location)
	date := dateOf(now)
	if !p.Date.IsZero() {
		date = dateOf(p.Date)
	}
	db := s.cfg.Store
	clinic, err := db.GetClinic(ctx, store.GetClinicParams{ClinicID: p.ClinicID})
	if err != nil {
		return res, fmt.Errorf("clinic %d: %w", p.ClinicID, err)
	}
	originator := s.cfg.TraceOriginator(clinic)
	if len(originator) != 10 || clinic.NPI == "" {
		return res, fmt.Errorf("%w: clinic %d needs an NPI and a tax ID (TRN03 %q) for a 270", ErrInvalid, p.ClinicID, originator)
	}
	pt, err := db.GetPatient(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.PatientID})
	if err != nil {
		return res, fmt.Errorf("patient %d: %w", p.PatientID, err)
	}
	var covID *int64
	if p.CoverageID != 0 {
		covID = &p.CoverageID
	}
	covID, err = s.coverageFor(ctx, db, p.ClinicID, pt.ID, covID, date)
	if err != nil {
		return res, err
	}
	if covID == nil {
		return res, fmt.Errorf("%w: patient %d has no coverage in effect on %s", ErrCoverage, pt.ID, isoDate(date))
	}
	c, err := db.GetCoverage(ctx, store.Ref{ClinicID: p.ClinicID, ID: *covID})
	if err != nil {
		return res, fmt.Errorf("coverage %d: %w", *covID, err)
	}
	payer, err := db.GetPayer(ctx, store.Ref{ClinicID: p.ClinicID, ID: c.PayerID})
	if err != nil {
		return res, fmt.Errorf("payer %d: %w", c.PayerID, err)
	}
	rp, ok := s.cfg.Payers.Get(payer.PayerID)
	switch {
	case !ok:
		return res, fmt.Errorf("%w: payer %s is not in the payer registry", ErrInvalid, payer.PayerID)
	case !rp.Accepts(payers.Tx270):
		return res, fmt.Errorf("%w: payer %s does not accept 270 inquiries", ErrInvalid, payer.PayerID)
	case !rp.CanSubmit(s.cfg.EnrollmentKey(clinic)):
		return res, fmt.Errorf("%w: clinic %d is not enrolled for EDI with payer %s", ErrInvalid, p.ClinicID, payer.PayerID)
	case dependent(c) && (c.SubscriberLast == "" || pt.BirthDate.IsZero() || pt.FirstName == ""):
		return res, fmt.Errorf("%w: coverage %d: the patient is a dependent; subscriber name and patient birth date are required", ErrInvalid, c.ID)
	}
	res.PayerID = rp.ID
	if err := p.Exchanger.Ready(rp); err != nil {
		return res, fmt.Errorf("%w: %w", ErrNotReachable, err)
	}
	env := rp.Envelope
	var cn store.ControlNumbers
	var usage string
	if err := db.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		if usage, err = store.UsageFor(ctx, tx, p.ClinicID, payer.ID, string(rp.Usage)); err != nil {
			return err
		}
		cn, err = tx.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: env.SenderID, ReceiverID: env.ReceiverID, Groups: 1})
		return err
	}); err != nil {
		return res, err
	}
	res.ControlNumber = cn.Interchange
	res.TraceNumber = TraceNumber{CoverageID: c.ID, ServiceDate: date, Interchange: cn.Interchange}.String()
	q := &pending{coverage: c, patient: pt, date: date}
	in := s.inquiry(q, res.TraceNumber, originator)
	in.ServiceTypes = []string{st}
	req := newRequest(rp, clinic, "R"+strconv.FormatInt(cn.Interchange, 10), now)
	req.Inquiries = []x270.Inquiry{in}
	isa, gs := s.envelope(rp, usage, cn, now)
	var buf bytes.Buffer
	if err := x270.EncodeRequests(&buf, isa, gs, req); err != nil {
		return res, err
	}

	start := time.Now()
	answer, sendErr := p.Exchanger.Exchange270(ctx, rp, buf.Bytes())
	res.Elapsed = time.Since(start)
	var resps []*x270.Response
	if sendErr == nil {
		resps, sendErr = x270.DecodeResponses(bytes.NewReader(answer))
		if sendErr == nil && len(resps) == 0 {
			sendErr = errors.New("the answer holds no 271 transaction set")
		}
		if sendErr != nil {
			sendErr = fmt.Errorf("payer %s answered with something other than a 271: %w", rp.ID, sendErr)
		}
	}
	res.Responses = resps
	err = db.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		pid := payer.ID
		ic, err := tx.CreateInterchange(ctx, store.CreateInterchangeParams{PayerID: &pid, SenderID: env.SenderID, ReceiverID: env.ReceiverID,
			ControlNumber: cn.Interchange, GroupControlNumber: cn.FirstGroup, FirstSetControlNumber: 1, SetCount: 1,
			TransactionSet: "270", FileName: fmt.Sprintf("realtime-%09d.270", cn.Interchange), Body: bytes.NewReader(buf.Bytes())})
		if err != nil {
			return err
		}
		sent := s.cfg.Now().UTC()
		lastErr := ""
		if sendErr != nil {
			lastErr = sendErr.Error()
		}
		if _, err := tx.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ID: ic.ID, Status: store.InterchangeUploaded,
			Attempt: true, LastError: lastErr, RemotePath: "realtime", UploadedAt: &sent}); err != nil {
			return err
		}
		res.Applied = ApplyResult{}
		if sendErr == nil {
			if err := s.applyResponses(ctx, tx, p.ClinicID, 0, resps, &res.Applied); err != nil {
				return err
			}
		}
		details, _ := json.Marshal(map[string]any{"payer": rp.ID, "control_number": cn.Interchange, "service_type": st,
			"elapsed_ms": res.Elapsed.Milliseconds(), "answered": sendErr == nil, "coverage_id": c.ID})
		_, err = tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: cmp.Or(p.Actor, DefaultActor), Action: "eligibility.realtime",
			EntityType: "coverage", EntityID: strconv.FormatInt(c.ID, 10), Details: details})
		return err
	})
	if err != nil {
		return res, err
	}
	if sendErr != nil {
		return res, fmt.Errorf("%w from %s for coverage %d: %w", ErrNoAnswer, rp.ID, c.ID, sendErr)
	}
	if res.Coverage, err = db.GetCoverage(ctx, store.Ref{ClinicID: p.ClinicID, ID: c.ID}); err != nil {
		return res, err
	}
	s.cfg.Logger.InfoContext(ctx, "real-time eligibility answered", "clinic", p.ClinicID, "payer", rp.ID,
		"interchange", cn.Interchange, "elapsed_ms", res.Elapsed.Milliseconds(), "status", res.Coverage.EligibilityStatus)
	return res, nil
}
