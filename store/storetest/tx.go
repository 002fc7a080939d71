package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

func testIsolation(t *testing.T, h Harness) {
	ctx := context.Background()
	a, b := newFixture(t, h), newFixture(t, h)
	s := h.Store
	aid := a.clinic.ID
	bClaim := b.claim(t, "PCN-B", 999)
	aClaim := a.claim(t, "PCN-A", 100)

	// Reading another clinic's rows by a crafted ID finds nothing.
	_, err := s.GetPatient(ctx, store.Ref{ClinicID: aid, ID: b.patient.ID})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetClaim(ctx, store.Ref{ClinicID: aid, ID: bClaim.ID})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetPayer(ctx, store.Ref{ClinicID: aid, ID: b.payer.ID})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: aid, PatientControlNumber: "PCN-B"})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ListClaimStatusHistory(ctx, store.Ref{ClinicID: aid, ID: bClaim.ID})
	must(t, err)
	claims, err := s.ListClaims(ctx, store.ListClaimsParams{ClinicID: aid})
	must(t, err)
	for _, c := range claims {
		if c.ClinicID != aid {
			t.Fatalf("clinic %d listed claim %d of clinic %d", aid, c.ID, c.ClinicID)
		}
	}

	// Changing them fails the same way.
	_, err = s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: aid, ID: bClaim.ID, TotalChargeCents: ptr(int64(1))})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: aid, ID: bClaim.ID, Status: claim.StatusVoided})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.UpdatePatient(ctx, store.UpdatePatientParams{ClinicID: aid, ID: b.patient.ID, MRN: "X", FirstName: "X", LastName: "X"})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.UpdatePayer(ctx, store.UpdatePayerParams{ClinicID: aid, ID: b.payer.ID, PayerID: "X", Name: "X"})
	wantErr(t, err, store.ErrNotFound)

	// Pointing at them from one's own rows fails too.
	_, err = s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: aid, PayerID: a.payer.ID, PatientID: b.patient.ID, PatientControlNumber: "PCN-X1"})
	wantErr(t, err, store.ErrInvalidReference)
	_, err = s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: aid, PatientID: a.patient.ID, PayerID: b.payer.ID, MemberID: "M"})
	wantErr(t, err, store.ErrInvalidReference)
	_, _, err = s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: aid, IdempotencyKey: "steal",
		Lines: []store.LedgerLine{{Account: "a", AmountCents: 1, ClaimID: &bClaim.ID}, {Account: "b", AmountCents: -1}}})
	wantErr(t, err, store.ErrInvalidReference)
	_, err = s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: aid, ID: aClaim.ID, PayerID: &b.payer.ID})
	wantErr(t, err, store.ErrInvalidReference)

	// A transaction is bound to its clinic.
	err = s.InTx(ctx, aid, func(tx store.Tx) error {
		_, err := tx.GetClaim(ctx, store.Ref{ClinicID: b.clinic.ID, ID: bClaim.ID})
		return err
	})
	wantErr(t, err, store.ErrClinicMismatch)
	err = s.InTx(ctx, aid, func(tx store.Tx) error {
		_, err := tx.GetClinic(ctx, store.GetClinicParams{ClinicID: b.clinic.ID})
		return err
	})
	wantErr(t, err, store.ErrClinicMismatch)
	_, err = s.GetClinic(ctx, store.GetClinicParams{ClinicID: b.clinic.ID + 1_000_000})
	wantErr(t, err, store.ErrNotFound)

	// Clinic B's rows are untouched.
	got, err := s.GetClaim(ctx, b.ref(bClaim.ID))
	must(t, err)
	eq(t, "B's claim status", got.Status, claim.StatusDraft)
	eq(t, "B's claim charge", got.TotalChargeCents, int64(999))
	pt, err := s.GetPatient(ctx, b.ref(b.patient.ID))
	must(t, err)
	eq(t, "B's patient", pt.LastName, "Hopper")
}

// markJob is a job the suite inserts; Marker travels as its queue name so
// the suite can count jobs with the same SQL on every backend.
type markJob struct {
	ClinicID int64 `json:"clinic_id"`
	ClaimID  int64 `json:"claim_id"`
}

func (markJob) Kind() string { return "storetest_mark" }

var errRollback = errors.New("roll back")

func testTransactions(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	queue := fmt.Sprintf("storetest_tx_%d", cid)
	countJobs := func() int64 {
		return h.QueryInt(t, "SELECT count(*) FROM river_job WHERE queue = $1", queue)
	}

	var committed store.Claim
	err := s.InTx(ctx, cid, func(tx store.Tx) error {
		eq(t, "tx clinic", tx.ClinicID(), cid)
		c, err := tx.CreateClaim(ctx, store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "PCN-T1"})
		if err != nil {
			return err
		}
		if _, err := tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ID: c.ID, Status: claim.StatusReady}); err != nil {
			return err
		}
		committed = c
		_, err = tx.InsertJob(ctx, markJob{ClinicID: cid, ClaimID: c.ID}, &river.InsertOpts{Queue: queue})
		return err
	})
	must(t, err)
	got, err := s.GetClaim(ctx, f.ref(committed.ID))
	must(t, err)
	eq(t, "committed status", got.Status, claim.StatusReady)
	eq(t, "job committed with the claim", countJobs(), int64(1))

	var rolledBack int64
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		c, err := tx.CreateClaim(ctx, store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "PCN-T2"})
		if err != nil {
			return err
		}
		rolledBack = c.ID
		if _, err := tx.InsertJob(ctx, markJob{ClinicID: cid, ClaimID: c.ID}, &river.InsertOpts{Queue: queue}); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, err, errRollback)
	_, err = s.GetClaim(ctx, f.ref(rolledBack))
	wantErr(t, err, store.ErrNotFound)
	eq(t, "job rolled back with the claim", countJobs(), int64(1))

	// A failing call inside the transaction undoes the earlier ones.
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		if _, err := tx.CreateClaim(ctx, store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "PCN-T3"}); err != nil {
			return err
		}
		_, err := tx.CreateClaim(ctx, store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "PCN-T1"})
		return err
	})
	wantErr(t, err, store.ErrConflict)
	_, err = s.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: cid, PatientControlNumber: "PCN-T3"})
	wantErr(t, err, store.ErrNotFound)

	err = s.InTx(ctx, 0, func(store.Tx) error { return nil })
	wantErr(t, err, store.ErrInvalid)

	_, err = s.InsertJob(ctx, markJob{ClinicID: cid}, &river.InsertOpts{Queue: queue})
	must(t, err)
	eq(t, "job inserted alone", countJobs(), int64(2))
}

// submitJob asks the worker to mark a claim submitted.
type submitJob struct {
	ClinicID int64 `json:"clinic_id"`
	ClaimID  int64 `json:"claim_id"`
}

func (submitJob) Kind() string { return "storetest_submit" }

type submitWorker struct {
	river.WorkerDefaults[submitJob]
	s    store.Store
	done chan<- string
}

func (w *submitWorker) Work(ctx context.Context, job *river.Job[submitJob]) error {
	var pcn string
	err := w.s.InTx(ctx, job.Args.ClinicID, func(tx store.Tx) error {
		c, err := tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ID: job.Args.ClaimID, From: claim.StatusReady, Status: claim.StatusSubmitted, Actor: "worker"})
		pcn = c.PatientControlNumber
		return err
	})
	if err != nil {
		return err
	}
	w.done <- pcn
	return nil
}

func testQueue(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	_, err := s.NewQueue(store.QueueConfig{})
	wantErr(t, err, store.ErrInvalid)

	done := make(chan string, 4)
	workers := river.NewWorkers()
	river.AddWorker(workers, &submitWorker{s: s, done: done})
	queueName := fmt.Sprintf("storetest_queue_%d", cid)
	q, err := s.NewQueue(store.QueueConfig{Workers: workers, Queues: map[string]river.QueueConfig{queueName: {MaxWorkers: 2}},
		FetchPollInterval: 50 * time.Millisecond})
	must(t, err)
	must(t, q.Start(ctx))
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(stopCtx)
		}
	})
	events, cancelEvents := q.Subscribe(river.EventKindJobCompleted)
	defer cancelEvents()

	for i := range 3 {
		must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
			c, err := tx.CreateClaim(ctx, store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID,
				PatientControlNumber: fmt.Sprintf("PCN-Q%d", i), Status: claim.StatusReady})
			if err != nil {
				return err
			}
			_, err = tx.InsertJob(ctx, submitJob{ClinicID: cid, ClaimID: c.ID}, &river.InsertOpts{Queue: queueName})
			return err
		}))
	}
	seen := map[string]bool{}
	timeout := time.After(20 * time.Second)
	for len(seen) < 3 {
		select {
		case pcn := <-done:
			seen[pcn] = true
		case <-timeout:
			t.Fatalf("worker finished %d of 3 jobs", len(seen))
		}
	}
	completed := 0
	for completed < 3 {
		select {
		case <-events:
			completed++
		case <-timeout:
			t.Fatalf("%d of 3 completion events", completed)
		}
	}
	submitted, err := s.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, Statuses: []claim.Status{claim.StatusSubmitted}})
	must(t, err)
	eq(t, "submitted by the worker", len(submitted), 3)

	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	must(t, q.Stop(stopCtx))
	stopped = true
}

func testBulk(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	const n = 2000
	claims := make([]store.CreateClaimParams, n)
	for i := range claims {
		claims[i] = store.CreateClaimParams{PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: fmt.Sprintf("BULK-%05d", i),
			Status: claim.StatusSubmitted, TotalChargeCents: int64(1000 + i), ServiceDateFrom: date(2025, 2, 1), ServiceDateTo: date(2025, 2, 1),
			Document: []byte(`{"lines":1}`), Actor: "import"}
	}
	ids, err := s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: cid, Claims: claims})
	must(t, err)
	eq(t, "ids", len(ids), n)
	c, err := s.GetClaim(ctx, f.ref(ids[1234]))
	must(t, err)
	eq(t, "pcn in order", c.PatientControlNumber, "BULK-01234")
	eq(t, "cents", c.TotalChargeCents, int64(2234))
	eq(t, "date", c.ServiceDateFrom, date(2025, 2, 1))
	hist, err := s.ListClaimStatusHistory(ctx, f.ref(ids[7]))
	must(t, err)
	eq(t, "history", len(hist), 1)
	eq(t, "history status", hist[0].ToStatus, claim.StatusSubmitted)
	listed, err := s.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, Statuses: []claim.Status{claim.StatusSubmitted}})
	must(t, err)
	eq(t, "listed", len(listed), n)

	_, err = s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: cid, Claims: claims[:1]})
	wantErr(t, err, store.ErrConflict)
	other := newFixture(t, h)
	_, err = s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: cid, Claims: []store.CreateClaimParams{{PayerID: other.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "BULK-X"}}})
	wantErr(t, err, store.ErrInvalidReference)
	_, err = s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: cid, Claims: []store.CreateClaimParams{{ClinicID: other.clinic.ID, PayerID: f.payer.ID, PatientID: f.patient.ID, PatientControlNumber: "BULK-Y"}}})
	wantErr(t, err, store.ErrClinicMismatch)
	_, err = s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{Claims: claims[:1]})
	wantErr(t, err, store.ErrInvalid)
	_, err = s.BulkInsertClaimPayments(ctx, store.BulkInsertClaimPaymentsParams{})
	wantErr(t, err, store.ErrInvalid)

	r, _, err := s.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: cid, PayerIdentifier: "1870000001", TraceNumber: "BULK", PaymentCents: 1})
	must(t, err)
	pays := make([]store.CreateClaimPaymentParams, n)
	for i := range pays {
		pays[i] = store.CreateClaimPaymentParams{RemittanceID: r.ID, ClaimID: &ids[i], PatientControlNumber: fmt.Sprintf("BULK-%05d", i),
			StatusCode: "1", ChargeCents: int64(1000 + i), PaidCents: 800, PatientResponsibilityCents: 100,
			Adjustments: []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: int64(100 + i)}}}
	}
	pids, err := s.BulkInsertClaimPayments(ctx, store.BulkInsertClaimPaymentsParams{ClinicID: cid, Payments: pays})
	must(t, err)
	eq(t, "payment ids", len(pids), n)
	byClaim, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, ClaimID: ids[42]})
	must(t, err)
	eq(t, "payments for claim", len(byClaim), 1)
	eq(t, "payment id", byClaim[0].ID, pids[42])
	eq(t, "adjustment", byClaim[0].Adjustments[0].AmountCents, int64(142))
	all, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: cid, RemittanceID: r.ID})
	must(t, err)
	eq(t, "all payments", len(all), n)
	eq(t, "all adjustments loaded", len(all[n-1].Adjustments), 1)
}
