package scheduling

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
)

// MaxInquiriesPerSet caps the inquiries of one 270 transaction set; a
// payer's batch with more is written as several sets in one interchange
// (005010X279A1 section 1.4.3 recommends at most 99 patient requests per
// transaction set in batch mode).
const MaxInquiriesPerSet = 99

// TraceNumber is the TRN02 of an inquiry (Loop 2000C or 2000D TRN*1, echoed
// in the 271's TRN*2): the coverage asked about, the date of service and the
// interchange (ISA13) that carried it, written "<coverage>-<YYYYMMDD>-<ISA13>".
// Interchange control numbers are unique per payer, so trace numbers are
// too, and a 271 answer names its coverage by itself.
type TraceNumber struct {
	CoverageID  int64
	ServiceDate time.Time
	Interchange int64
}

func (t TraceNumber) String() string {
	return strconv.FormatInt(t.CoverageID, 10) + "-" + t.ServiceDate.Format("20060102") + "-" + strconv.FormatInt(t.Interchange, 10)
}

// ParseTraceNumber reads a trace number written by TraceNumber.String.
func ParseTraceNumber(s string) (TraceNumber, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return TraceNumber{}, fmt.Errorf("%w: trace number %q was not written by this clearinghouse", ErrResponse, s)
	}
	cov, err1 := strconv.ParseInt(parts[0], 10, 64)
	date, err2 := time.Parse("20060102", parts[1])
	ic, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || cov <= 0 || ic <= 0 || ic > 999999999 {
		return TraceNumber{}, fmt.Errorf("%w: trace number %q was not written by this clearinghouse", ErrResponse, s)
	}
	return TraceNumber{CoverageID: cov, ServiceDate: date, Interchange: ic}, nil
}

// batchReference is BHT03 of a batch: the run date and the interchange.
func batchReference(asOf time.Time, interchange int64) string {
	return "E" + asOf.Format("20060102") + "-" + strconv.FormatInt(interchange, 10)
}

// parseBatchReference reads BHT03 back.
func parseBatchReference(s string) (runDate string, interchange int64, ok bool) {
	run, ic, found := strings.Cut(strings.TrimPrefix(s, "E"), "-")
	if !found || len(run) != 8 || !strings.HasPrefix(s, "E") {
		return "", 0, false
	}
	n, err := strconv.ParseInt(ic, 10, 64)
	return run, n, err == nil && n > 0
}

// EligibilityBatch is one payer's 270 interchange, recorded as a store
// interchange (status created) for the worker to upload.
type EligibilityBatch struct {
	// PayerID is the payer's registry ID (NM109 of Loop 2100A).
	PayerID string
	// StorePayerID is the clinic's payer row.
	StorePayerID  int64
	InterchangeID int64
	// ControlNumber is ISA13.
	ControlNumber int64
	FileName      string
	Content       []byte
	Inquiries     []BatchInquiry
}

// BatchInquiry is one inquiry of a batch.
type BatchInquiry struct {
	TraceNumber    string
	CoverageID     int64
	PatientID      int64
	AppointmentIDs []int64
	ServiceDate    time.Time
	// Dependent is true when the patient is not the subscriber (Loop 2000D).
	Dependent bool
}

// SkippedAppointment is an appointment of the window that no inquiry asks
// about, and why.
type SkippedAppointment struct {
	AppointmentID int64
	Reason        string
}

// PrepareResult is what PrepareEligibilityBatches wrote.
type PrepareResult struct {
	// From and To bound the appointments' start times.
	From, To time.Time
	Batches  []EligibilityBatch
	Skipped  []SkippedAppointment
	// AlreadyBatched counts inquiries a batch of an earlier run for the same
	// day already carries.
	AlreadyBatched int
}

// pending is an inquiry being gathered.
type pending struct {
	coverage     store.Coverage
	patient      store.Patient
	date         time.Time
	appointments []int64
}

// PrepareEligibilityBatches writes the 270 batches of the nightly
// eligibility run for asOf: for the booked appointments of the next
// businessDays business days (0 takes Config.BusinessDays), one inquiry per
// coverage and date of service, grouped into one interchange per payer that
// accepts 270 and that the clinic may send to. Each batch is recorded as a
// store interchange (transaction set "270", status created) in a
// transaction of its own, together with its control numbers; its trace
// numbers name the coverages (TraceNumber), so nothing else needs
// recording. Running it again for the same asOf writes only inquiries no
// batch of that day carries yet: a retried job neither duplicates nor loses
// a batch.
func (s *Service) PrepareEligibilityBatches(ctx context.Context, clinicID int64, asOf time.Time, businessDays int) (PrepareResult, error) {
	if s.cfg.Payers == nil {
		return PrepareResult{}, fmt.Errorf("%w: Config.Payers (the payer registry) is required for eligibility batches", ErrInvalid)
	}
	businessDays = cmp.Or(businessDays, s.cfg.BusinessDays)
	if businessDays < 1 || businessDays > 30 {
		return PrepareResult{}, fmt.Errorf("%w: business days %d must be 1 to 30", ErrInvalid, businessDays)
	}
	st := s.cfg.Store
	clinic, err := st.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID})
	if err != nil {
		return PrepareResult{}, fmt.Errorf("clinic %d: %w", clinicID, err)
	}
	originator := s.cfg.TraceOriginator(clinic)
	if len(originator) != 10 || (originator[0] != '1' && originator[0] != '9') {
		return PrepareResult{}, fmt.Errorf("%w: clinic %d: TRN03 originator %q must be 1 and a 9-digit EIN or 9 and 9 characters (set the clinic's tax ID or Config.TraceOriginator)", ErrInvalid, clinicID, originator)
	}
	if clinic.NPI == "" || clinic.Name == "" {
		return PrepareResult{}, fmt.Errorf("%w: clinic %d needs a name and an NPI for Loop 2100B", ErrInvalid, clinicID)
	}
	res := PrepareResult{}
	res.From, res.To = s.EligibilityWindow(asOf, businessDays)
	appts, err := st.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: clinicID, From: res.From, To: res.To,
		Statuses: []string{store.AppointmentBooked}})
	if err != nil {
		return res, err
	}

	coverages := map[int64]store.Coverage{}
	patients := map[int64]store.Patient{}
	storePayers := map[int64]store.Payer{}
	byPayer := map[int64][]*pending{}
	index := map[string]*pending{}
	skip := func(a store.Appointment, format string, args ...any) {
		res.Skipped = append(res.Skipped, SkippedAppointment{AppointmentID: a.ID, Reason: fmt.Sprintf(format, args...)})
	}
	for _, a := range appts {
		covID := a.CoverageID
		if covID == nil {
			if covID, err = s.coverageFor(ctx, st, clinicID, a.PatientID, nil, a.StartsAt); err != nil {
				return res, err
			}
			if covID == nil {
				skip(a, "no coverage on file (self-pay)")
				continue
			}
		}
		c, ok := coverages[*covID]
		if !ok {
			if c, err = st.GetCoverage(ctx, store.Ref{ClinicID: clinicID, ID: *covID}); err != nil {
				return res, fmt.Errorf("coverage %d: %w", *covID, err)
			}
			coverages[c.ID] = c
		}
		p, ok := storePayers[c.PayerID]
		if !ok {
			if p, err = st.GetPayer(ctx, store.Ref{ClinicID: clinicID, ID: c.PayerID}); err != nil {
				return res, fmt.Errorf("payer %d: %w", c.PayerID, err)
			}
			storePayers[p.ID] = p
		}
		rp, ok := s.cfg.Payers.Get(p.PayerID)
		switch {
		case !ok:
			skip(a, "payer %s is not in the payer registry", p.PayerID)
			continue
		case !rp.Accepts(payers.Tx270):
			skip(a, "payer %s does not accept 270 inquiries", p.PayerID)
			continue
		case !rp.CanSubmit(s.cfg.EnrollmentKey(clinic)):
			skip(a, "clinic is not enrolled for EDI with payer %s", p.PayerID)
			continue
		}
		pt, ok := patients[a.PatientID]
		if !ok {
			if pt, err = st.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: a.PatientID}); err != nil {
				return res, fmt.Errorf("patient %d: %w", a.PatientID, err)
			}
			patients[pt.ID] = pt
		}
		if dependent(c) && (c.SubscriberLast == "" || pt.BirthDate.IsZero() || pt.FirstName == "") {
			skip(a, "coverage %d: the patient is a dependent; subscriber name and patient birth date are required", c.ID)
			continue
		}
		date := dateOf(a.StartsAt.In(s.cfg.Location))
		key := strconv.FormatInt(c.ID, 10) + "/" + date.Format("20060102")
		if q, ok := index[key]; ok {
			q.appointments = append(q.appointments, a.ID)
			continue
		}
		q := &pending{coverage: c, patient: pt, date: date, appointments: []int64{a.ID}}
		index[key] = q
		byPayer[p.ID] = append(byPayer[p.ID], q)
	}

	ids := make([]int64, 0, len(byPayer))
	for id := range byPayer {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(storePayers[a].PayerID, storePayers[b].PayerID) })
	for _, id := range ids {
		p := storePayers[id]
		rp, _ := s.cfg.Payers.Get(p.PayerID)
		var batch *EligibilityBatch
		err := st.InTx(ctx, clinicID, func(tx store.Tx) error {
			b, already, err := s.writeBatch(ctx, tx, clinic, originator, asOf, p, rp, byPayer[id])
			res.AlreadyBatched += already
			batch = b
			return err
		})
		if errors.Is(err, errNothingToSend) {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("payer %s: %w", p.PayerID, err)
		}
		res.Batches = append(res.Batches, *batch)
		s.cfg.Logger.InfoContext(ctx, "eligibility batch written", "clinic", clinicID, "payer", p.PayerID,
			"interchange", batch.ControlNumber, "inquiries", len(batch.Inquiries), "file", batch.FileName)
	}
	return res, nil
}

// errNothingToSend rolls back a batch whose inquiries an earlier run of
// the day already sent.
var errNothingToSend = errors.New("nothing to send")

func dependent(c store.Coverage) bool { return c.RelationshipCode != "" && c.RelationshipCode != "18" }

// writeBatch allocates the control numbers (whose row lock also queues
// concurrent runs for the payer), drops inquiries a batch of the same day
// carries, encodes the 270 and records the interchange.
func (s *Service) writeBatch(ctx context.Context, tx store.Tx, clinic store.Clinic, originator string, asOf time.Time,
	p store.Payer, rp *payers.Payer, qs []*pending) (*EligibilityBatch, int, error) {
	env := rp.Envelope
	cn, err := tx.AllocateControlNumbers(ctx, store.AllocateControlNumbersParams{SenderID: env.SenderID, ReceiverID: env.ReceiverID, Groups: 1})
	if err != nil {
		return nil, 0, err
	}
	sent, err := s.sentToday(ctx, tx, p, rp, asOf)
	if err != nil {
		return nil, 0, err
	}
	already := 0
	qs = slices.DeleteFunc(slices.Clone(qs), func(q *pending) bool {
		if sent[strconv.FormatInt(q.coverage.ID, 10)+"/"+q.date.Format("20060102")] {
			already++
			return true
		}
		return false
	})
	if len(qs) == 0 {
		return nil, already, errNothingToSend
	}
	now := s.cfg.Now().In(s.cfg.Location)
	batch := &EligibilityBatch{PayerID: rp.ID, StorePayerID: p.ID, ControlNumber: cn.Interchange}
	var reqs []*x270.Request
	for start := 0; start < len(qs); start += MaxInquiriesPerSet {
		part := qs[start:min(start+MaxInquiriesPerSet, len(qs))]
		req := newRequest(rp, clinic, batchReference(asOf.In(s.cfg.Location), cn.Interchange), now)
		for _, q := range part {
			trn := TraceNumber{CoverageID: q.coverage.ID, ServiceDate: q.date, Interchange: cn.Interchange}.String()
			req.Inquiries = append(req.Inquiries, s.inquiry(q, trn, originator))
			batch.Inquiries = append(batch.Inquiries, BatchInquiry{TraceNumber: trn, CoverageID: q.coverage.ID, PatientID: q.patient.ID,
				AppointmentIDs: q.appointments, ServiceDate: q.date, Dependent: dependent(q.coverage)})
		}
		reqs = append(reqs, req)
	}
	usage, err := store.UsageFor(ctx, tx, clinic.ID, p.ID, string(rp.Usage))
	if err != nil {
		return nil, already, err
	}
	isa, gs := s.envelope(rp, usage, cn, now)
	var buf bytes.Buffer
	if err := x270.EncodeRequests(&buf, isa, gs, reqs...); err != nil {
		return nil, already, err
	}
	batch.Content = buf.Bytes()
	control := fmt.Sprintf("%09d", cn.Interchange)
	// Dates and times in the envelope are UTC (as the writer puts them in
	// ISA09/ISA10); the file name follows.
	utc := now.UTC()
	batch.FileName = rp.FileName(payers.FileNameParams{Transaction: payers.Tx270, Date: utc.Format("20060102"), Time: utc.Format("150405"), Control: control})
	pid := p.ID
	ic, err := tx.CreateInterchange(ctx, store.CreateInterchangeParams{PayerID: &pid, SenderID: env.SenderID, ReceiverID: env.ReceiverID,
		ControlNumber: cn.Interchange, GroupControlNumber: cn.FirstGroup, FirstSetControlNumber: 1, SetCount: len(reqs),
		TransactionSet: "270", FileName: batch.FileName, Body: bytes.NewReader(batch.Content)})
	if err != nil {
		return nil, already, err
	}
	batch.InterchangeID = ic.ID
	details, _ := json.Marshal(map[string]any{"payer": rp.ID, "control_number": cn.Interchange, "inquiries": len(batch.Inquiries),
		"as_of": asOf.In(s.cfg.Location).Format(time.DateOnly)})
	_, err = tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: DefaultActor, Action: "eligibility.batch",
		EntityType: "interchange", EntityID: strconv.FormatInt(ic.ID, 10), Details: details})
	return batch, already, err
}

// newRequest is a 270 transaction set from the clinic (Loop 2100B, by NPI)
// to the payer (Loop 2100A, by payer ID), without inquiries.
func newRequest(rp *payers.Payer, clinic store.Clinic, reference string, now time.Time) *x270.Request {
	return &x270.Request{
		ReferenceID: reference,
		Created:     now,
		Source:      x270.Entity{EntityCode: "PR", EntityType: "2", Last: strings.ToUpper(rp.Name), IDQualifier: "PI", ID: rp.ID},
		Receiver:    x270.Entity{EntityCode: "1P", EntityType: "2", Last: strings.ToUpper(clinic.Name), IDQualifier: "XX", ID: clinic.NPI},
	}
}

// envelope is the ISA and GS of a 270 interchange to the payer with the
// control numbers cn; ISA15 is Config.Usage, else usage, the clinic's for
// the payer (store.UsageFor).
func (s *Service) envelope(rp *payers.Payer, usage string, cn store.ControlNumbers, now time.Time) (edi.ISAHeader, edi.GSHeader) {
	env := rp.Envelope
	isa := edi.ISAHeader{SenderQualifier: env.SenderQualifier, SenderID: env.SenderID, ReceiverQualifier: env.ReceiverQualifier,
		ReceiverID: env.ReceiverID, Time: now, ControlNumber: cn.Interchange, Usage: cmp.Or(s.cfg.Usage, usage)}
	gs := edi.GSHeader{SenderCode: env.GSSender, ReceiverCode: env.GSReceiver, Time: now, ControlNumber: cn.FirstGroup}
	return isa, gs
}

// inquiry builds a 270 inquiry: Loop 2100C for the subscriber and, when the
// patient is a dependent, Loop 2100D.
func (s *Service) inquiry(q *pending, trn, originator string) x270.Inquiry {
	c, pt := q.coverage, q.patient
	in := x270.Inquiry{TraceNumber: trn, TraceOriginator: originator, ServiceTypes: s.cfg.ServiceTypes, ServiceDate: q.date}
	patient := x270.Person{Last: strings.ToUpper(pt.LastName), First: strings.ToUpper(pt.FirstName), BirthDate: pt.BirthDate, Gender: gender(pt.Sex)}
	if dependent(c) {
		in.Subscriber = x270.Person{Last: strings.ToUpper(c.SubscriberLast), First: strings.ToUpper(c.SubscriberFirst), MemberID: c.MemberID,
			BirthDate: c.SubscriberBirth}
		in.Dependent = &patient
	} else {
		patient.MemberID = c.MemberID
		in.Subscriber = patient
	}
	if c.GroupNumber != "" {
		in.Subscriber.References = []x270.Reference{{Qualifier: "6P", Value: c.GroupNumber}}
	}
	return in
}

// gender maps a patient's sex to DMG03 (F, M or U).
func gender(sex string) string {
	switch strings.ToUpper(sex) {
	case "F", "FEMALE":
		return "F"
	case "M", "MALE":
		return "M"
	case "":
		return ""
	}
	return "U"
}

// sentToday returns the coverage/date keys that the payer's 270 batches of
// the run date asOf (created within Config.RerunWindow) already carry.
func (s *Service) sentToday(ctx context.Context, q store.Queries, p store.Payer, rp *payers.Payer, asOf time.Time) (map[string]bool, error) {
	sent := map[string]bool{}
	run := asOf.In(s.cfg.Location).Format("20060102")
	since := s.cfg.Now().Add(-s.cfg.RerunWindow)
	err := s.eachBatch(ctx, q, p.ID, since, func(ic store.Interchange, req *x270.Request) error {
		if r, _, ok := parseBatchReference(req.ReferenceID); !ok || r != run {
			return nil
		}
		for _, in := range req.Inquiries {
			if t, err := ParseTraceNumber(in.TraceNumber); err == nil {
				sent[strconv.FormatInt(t.CoverageID, 10)+"/"+t.ServiceDate.Format("20060102")] = true
			}
		}
		return nil
	})
	return sent, err
}

// eachBatch calls fn for each 270 transaction set of the payer's
// interchanges created since then.
func (s *Service) eachBatch(ctx context.Context, q store.Queries, payerID int64, since time.Time, fn func(store.Interchange, *x270.Request) error) error {
	var after int64
	for {
		page, err := q.ListInterchanges(ctx, store.ListInterchangesParams{PayerID: payerID, AfterID: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, ic := range page {
			after = ic.ID
			if ic.TransactionSet != "270" || ic.CreatedAt.Before(since) {
				continue
			}
			full, err := q.GetInterchange(ctx, store.Ref{ID: ic.ID})
			if err != nil {
				return err
			}
			reqs, err := decodeStored270(ctx, q, full)
			if err != nil {
				return fmt.Errorf("interchange %d: %w", ic.ID, err)
			}
			for _, r := range reqs {
				if err := fn(full, r); err != nil {
					return err
				}
			}
		}
		if len(page) < 500 {
			return nil
		}
	}
}

// decodeStored270 reads a stored 270 batch from the file store.
func decodeStored270(ctx context.Context, q interface {
	OpenContent(ctx context.Context, contentID string) (io.ReadCloser, error)
}, ic store.Interchange) ([]*x270.Request, error) {
	body, err := q.OpenContent(ctx, ic.ContentID)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return x270.DecodeRequests(body)
}
