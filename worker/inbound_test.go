package worker_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/edi/x999"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// flakyStore fails the next fail transactions as a lost connection would.
type flakyStore struct {
	store.Store
	fail atomic.Int32
}

var errConnection = errors.New("write tcp 127.0.0.1:5432: connection reset by peer")

func (s *flakyStore) InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error {
	if s.fail.Add(-1) >= 0 {
		return errConnection
	}
	return s.Store.InTx(ctx, clinicID, fn)
}

// payClaims is an 835 from KHP01 paying each claim its charge less 20%
// (CO-45), claim level.
func payClaims(t testing.TB, trace string, claims ...store.Claim) []byte {
	t.Helper()
	day := time.Now().UTC().Truncate(24 * time.Hour)
	var total int64
	var cps []*x835.ClaimPayment
	for _, c := range claims {
		paid := c.TotalChargeCents * 8 / 10
		total += paid
		cps = append(cps, &x835.ClaimPayment{PatientControlNumber: c.PatientControlNumber, Status: "1", ChargeCents: c.TotalChargeCents, PaidCents: paid,
			FilingIndicator: "12", PayerClaimControlNumber: "ICN-" + c.PatientControlNumber,
			Adjustments: []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: c.TotalChargeCents - paid}},
			Patient:     x835.Name{EntityCode: "QC", EntityType: "1", Last: "SAMPLE1", First: "PAT"}})
	}
	var out bytes.Buffer
	e := x835.NewEncoder(&out, edi.ISAHeader{SenderID: "KEYSTONEHP", ReceiverID: "CLEARHOUSE", Time: day, ControlNumber: 61, Usage: "T"},
		edi.GSHeader{SenderCode: "KHP01", ReceiverCode: "CLEARHOUSE", Time: day, ControlNumber: 61})
	e.BeginRemittance(&x835.Remittance{HandlingCode: "I", TotalPaidCents: total, CreditDebit: "C", PaymentMethod: "CHK", PaymentDate: day,
		TraceNumber: trace, TraceOriginator: "1231231234",
		Payer: x835.Party{Name: "KEYSTONE HEALTH PLAN", Address: x835.Address{Line1: "1 PLAN WAY", City: "HARRISBURG", State: "PA", PostalCode: "17101"},
			References: []x835.Reference{{Qualifier: "2U", Value: "KHP01"}},
			Contacts:   []x835.Contact{{Function: "BL", Numbers: []x835.ContactNumber{{Qualifier: "TE", Number: "8005550100"}}}}},
		Payee: x835.Party{Name: "RIVERBEND FAMILY MEDICINE", IDQualifier: "XX", ID: "1234567893"}}, 1)
	for _, c := range cps {
		e.WriteClaim(c)
	}
	e.EndRemittance(nil)
	must(t, e.Close())
	return out.Bytes()
}

// TestProcessInboundContentErrorsNotRetried (issue 14, finding 3): an 835
// paying a claim the 277CA rejected and a claim never submitted no longer
// fails with an illegal claim status transition and is retried: the job
// completes on its first attempt, each such claim payment is held with one
// item, and the file is processed. A lost database connection is still
// retried, and the retry posts.
func TestProcessInboundContentErrorsNotRetried(t *testing.T) {
	eachBackend(t, func(t *testing.T, base store.Store) {
		ctx := context.Background()
		st := &flakyStore{Store: base}
		sim := simulator(t, t.TempDir(), 3)
		svc, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir()})
		pr := newPractice(t, st, 1)
		importVisits(t, svc, pr, 3)
		encs, err := st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: pr.clinic.ID, Statuses: []string{store.EncounterReady}})
		must(t, err)
		var claims []store.Claim
		for _, e := range encs {
			c, err := svc.BuildClaim(ctx, pr.clinic.ID, e.ID, billing.BuildOptions{})
			must(t, err)
			claims = append(claims, c)
		}
		if len(claims) != 3 {
			t.Fatalf("%d claims", len(claims))
		}
		never, rejected, good := claims[0], claims[1], claims[2]
		for _, c := range []store.Claim{rejected, good} {
			for _, status := range []claim.Status{claim.StatusReady, claim.StatusSubmitted} {
				_, err := svc.SetClaimStatus(ctx, pr.clinic.ID, c.ID, status, "test")
				must(t, err)
			}
		}
		_, err = svc.SetClaimStatus(ctx, pr.clinic.ID, rejected.ID, claim.StatusRejected, "277CA A7:562:85")
		must(t, err)

		q := runQueue(t, st, p)
		events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		next := func() *river.Event {
			t.Helper()
			select {
			case ev := <-events:
				return ev
			case <-time.After(30 * time.Second):
				t.Fatal("job did not finish")
			}
			return nil
		}
		record := func(name string, content []byte) store.InboundFile {
			t.Helper()
			f, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: pr.clinic.ID, FileName: name, Source: "KHP01", Body: bytes.NewReader(content)})
			must(t, err)
			_, err = st.InsertJob(ctx, worker.ProcessInboundArgs{ClinicID: pr.clinic.ID, InboundFileID: f.ID}, nil)
			must(t, err)
			return f
		}
		state := func(f store.InboundFile) string {
			t.Helper()
			got, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: f.ID})
			must(t, err)
			return got.State
		}

		f := record("content.835", payClaims(t, "T1", never, rejected))
		if ev := next(); ev.Kind != river.EventKindJobCompleted || ev.Job.Attempt != 1 {
			t.Fatalf("job %s after %d attempts: %v", ev.Kind, ev.Job.Attempt, ev.Job.Errors)
		}
		if got := state(f); got != store.InboundProcessed {
			t.Fatalf("file %s", got)
		}
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID, Kinds: []string{billing.WorkHeldPayment}})
		must(t, err)
		if len(items) != 2 {
			t.Fatalf("held items %+v", items)
		}
		for _, it := range items {
			if !strings.Contains(it.Title, "claim_status") {
				t.Errorf("item %q", it.Title)
			}
		}
		for _, c := range []store.Claim{never, rejected} {
			cl, err := st.GetClaim(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: c.ID})
			must(t, err)
			if cl.Status == claim.StatusPaid {
				t.Errorf("claim %d paid", c.ID)
			}
		}

		// The database drops the connection once: the job fails, is
		// retried, and the retry posts.
		st.fail.Store(1)
		f = record("good.835", payClaims(t, "T2", good))
		if ev := next(); ev.Kind != river.EventKindJobFailed || !strings.Contains(ev.Job.Errors[0].Error, "connection reset") {
			t.Fatalf("first attempt %s: %v", ev.Kind, ev.Job.Errors)
		}
		if got := state(f); got != store.InboundReceived {
			t.Fatalf("file %s after a lost connection", got)
		}
		if ev := next(); ev.Kind != river.EventKindJobCompleted || ev.Job.Attempt != 2 {
			t.Fatalf("retry %s after %d attempts", ev.Kind, ev.Job.Attempt)
		}
		if got := state(f); got != store.InboundProcessed {
			t.Fatalf("file %s after the retry", got)
		}
		cl, err := st.GetClaim(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: good.ID})
		must(t, err)
		if cl.Status != claim.StatusPaid {
			t.Errorf("claim %s after the retry", cl.Status)
		}
		quarantined, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID, Kinds: []string{store.WorkQuarantinedFile}})
		must(t, err)
		if len(quarantined) != 0 {
			t.Errorf("quarantine items %+v", quarantined)
		}
	})
}

// TestProcessInboundMalformed999 (issue 14, finding 4): a 999 whose IK501
// is not a code of the guide is quarantined at once with one item, before
// it touches a claim.
func TestProcessInboundMalformed999(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 3)
		_, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir()})
		pr := newPractice(t, st, 1)
		var buf bytes.Buffer
		w := edi.NewWriter(&buf, edi.DefaultDelimiters)
		g := x999.FunctionalGroupResponse{FunctionalID: "HC", GroupControlNumber: "3", Version: "005010X222A1", Ack: "R", Included: 1, Received: 1,
			Sets: []x999.TransactionSetResponse{{ID: "837", ControlNumber: "0001", ImplRef: "005010X222A1", Ack: "R", Codes: []string{"5"}}}}
		now := time.Now().UTC()
		must(t, x999.Encode(w, x999.Envelope{ISA: edi.ISAHeader{SenderQualifier: "ZZ", SenderID: "KEYSTONEHP", ReceiverQualifier: "ZZ",
			ReceiverID: "CLEARHOUSE", Time: now, ControlNumber: 903, Usage: "T"},
			GS: edi.GSHeader{SenderCode: "KHP01", ReceiverCode: "CLEARHOUSE", Time: now, ControlNumber: 903}}, nil, []x999.FunctionalGroupResponse{g}))
		must(t, w.Flush())
		bad := bytes.Replace(buf.Bytes(), []byte("IK5*R*5~"), []byte("IK5*Q*5~"), 1)
		if bytes.Equal(bad, buf.Bytes()) {
			t.Fatalf("fixture changed: %s", bad)
		}
		f, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: pr.clinic.ID, FileName: "bad.999", Source: "KHP01", Body: bytes.NewReader(bad)})
		must(t, err)
		q := runQueue(t, st, p)
		events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		_, err = st.InsertJob(ctx, worker.ProcessInboundArgs{ClinicID: pr.clinic.ID, InboundFileID: f.ID}, nil)
		must(t, err)
		select {
		case ev := <-events:
			if ev.Kind != river.EventKindJobCompleted || ev.Job.Attempt != 1 {
				t.Fatalf("job %s after %d attempts: %v", ev.Kind, ev.Job.Attempt, ev.Job.Errors)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("job did not finish")
		}
		got, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: f.ID})
		must(t, err)
		if got.State != store.InboundQuarantined || got.QuarantineReason != worker.ReasonContent || !strings.Contains(got.Error, `IK501 "Q"`) {
			t.Fatalf("file %s %s %q", got.State, got.QuarantineReason, got.Error)
		}
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID})
		must(t, err)
		if len(items) != 1 || items[0].Kind != store.WorkQuarantinedFile {
			t.Fatalf("items %+v", items)
		}
	})
}
