package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// SubmitBatchArgs is a job: submit a clinic's ready claims to one payer.
type SubmitBatchArgs struct {
	ClinicID int64 `json:"clinic_id"`
	PayerID  int64 `json:"payer_id"`
}

func (SubmitBatchArgs) Kind() string { return "submit_batch" }

// SubmitBatchWorker marks the batch's claims submitted.
type SubmitBatchWorker struct {
	river.WorkerDefaults[SubmitBatchArgs]
	Store store.Store
	Done  chan<- int
}

func (w *SubmitBatchWorker) Work(ctx context.Context, job *river.Job[SubmitBatchArgs]) error {
	n := 0
	err := w.Store.InTx(ctx, job.Args.ClinicID, func(tx store.Tx) error {
		claims, err := tx.ListClaims(ctx, store.ListClaimsParams{Statuses: []claim.Status{claim.StatusReady}, PayerID: job.Args.PayerID})
		if err != nil {
			return err
		}
		for _, c := range claims {
			if _, err := tx.SetClaimStatus(ctx, store.SetClaimStatusParams{ID: c.ID, From: claim.StatusReady, Status: claim.StatusSubmitted, Actor: "worker"}); err != nil {
				return err
			}
			n++
		}
		_, err = tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: "worker", Action: "batch.submit", EntityType: "payer", EntityID: fmt.Sprint(job.Args.PayerID)})
		return err
	})
	if err == nil {
		w.Done <- n
	}
	return err
}

// Example shows the store's shape: open and migrate, create rows, insert a
// claim and its job in one transaction, and work the job with a queue.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "clearhouse-example")
	defer os.RemoveAll(dir)

	s, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(dir, "clearhouse.db")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}

	clinic, _ := s.CreateClinic(ctx, store.CreateClinicParams{Name: "Maple Family Practice"})
	payer, _ := s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: clinic.ID, PayerID: "87726", Name: "Example Health"})
	patient, _ := s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: clinic.ID, MRN: "A100", FirstName: "Ada", LastName: "King"})

	// The claim and the job that will submit it commit together.
	err = s.InTx(ctx, clinic.ID, func(tx store.Tx) error {
		if _, err := tx.CreateClaim(ctx, store.CreateClaimParams{PayerID: payer.ID, PatientID: patient.ID,
			PatientControlNumber: "A100-1", Status: claim.StatusReady, TotalChargeCents: 12500,
			Document: []byte(`{"kind":"837P"}`)}); err != nil {
			return err
		}
		_, err := tx.InsertJob(ctx, SubmitBatchArgs{ClinicID: clinic.ID, PayerID: payer.ID}, nil)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	done := make(chan int, 1)
	workers := river.NewWorkers()
	river.AddWorker(workers, &SubmitBatchWorker{Store: s, Done: done})
	q, err := s.NewQueue(store.QueueConfig{Workers: workers, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := q.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("submitted:", <-done)
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := q.Stop(stopCtx); err != nil {
		fmt.Println(err)
	}

	v, _ := s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: clinic.ID})
	fmt.Println("audit ok:", v.OK(), "events:", v.Events)
	// Output:
	// submitted: 1
	// audit ok: true events: 1
}
