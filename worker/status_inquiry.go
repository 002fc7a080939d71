package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
)

// ClaimStatusAllArgs is the nightly claim status run of every clinic: it
// inserts one claim_status job per clinic.
type ClaimStatusAllArgs struct{}

// Kind implements river.JobArgs.
func (ClaimStatusAllArgs) Kind() string { return "claim_status_all" }

// InsertOpts makes the fan-out unique while it waits or runs.
func (ClaimStatusAllArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

// ClaimStatusArgs asks a clinic's payers where its unpaid claims stand:
// one 276 (005010X212) per payer that takes 276, for the claims with no
// 835 that reached the payer's status_inquiry_days (default 21) today or a
// multiple of 7 days after (billing.PrepareStatusInquiry); or, with
// ClaimIDs, for those claims of PayerID now. Each 276 is recorded, then
// uploaded; one whose upload fails stays pending and the payer's
// submission job is inserted to upload it. The payer's 277 comes back
// through poll_inbound and process_inbound (billing.ApplyClaimStatus).
type ClaimStatusArgs struct {
	ClinicID int64 `json:"clinic_id"`
	// PayerID (the clinic's payer row) and ClaimIDs ask about given
	// claims on demand.
	PayerID  int64   `json:"payer_id,omitempty"`
	ClaimIDs []int64 `json:"claim_ids,omitempty"`
}

// Kind implements river.JobArgs.
func (ClaimStatusArgs) Kind() string { return "claim_status" }

// InsertOpts makes the run unique per clinic and claims while it waits
// or runs.
func (ClaimStatusArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

type claimStatusAllWorker struct {
	river.WorkerDefaults[ClaimStatusAllArgs]
	p *Pipeline
}

func (w *claimStatusAllWorker) Work(ctx context.Context, job *river.Job[ClaimStatusAllArgs]) error {
	return instrument(w.p, ctx, job, func(ctx context.Context, _ ClaimStatusAllArgs) error {
		clinics, err := w.p.cfg.Store.ListClinics(ctx)
		if err != nil {
			return err
		}
		for _, c := range clinics {
			if _, err := w.p.cfg.Store.InsertJob(ctx, ClaimStatusArgs{ClinicID: c.ID}, nil); err != nil {
				return fmt.Errorf("clinic %d: %w", c.ID, err)
			}
		}
		return nil
	})
}

type claimStatusWorker struct {
	river.WorkerDefaults[ClaimStatusArgs]
	p *Pipeline
}

func (w *claimStatusWorker) Work(ctx context.Context, job *river.Job[ClaimStatusArgs]) error {
	return instrument(w.p, ctx, job, w.p.claimStatus)
}

// claimStatus writes and uploads the clinic's 276s; see ClaimStatusArgs.
// A run killed half way leaves the 276s it recorded pending: the payer's
// next submission job uploads them.
func (p *Pipeline) claimStatus(ctx context.Context, a ClaimStatusArgs) error {
	start := p.cfg.Now()
	st := p.cfg.Store
	var payerIDs []int64
	if len(a.ClaimIDs) > 0 {
		if a.PayerID == 0 {
			return fmt.Errorf("%w: claim_status with claim IDs needs the payer", ErrConfig)
		}
		payerIDs = []int64{a.PayerID}
	} else {
		ps, err := st.ListPayers(ctx, store.ListPayersParams{ClinicID: a.ClinicID, ActiveOnly: true})
		if err != nil {
			return err
		}
		for _, py := range ps {
			if reg, ok := p.cfg.Payers.Get(py.PayerID); ok && reg.Accepts(payers.Tx276) {
				payerIDs = append(payerIDs, py.ID)
			}
		}
	}
	files, claims := 0, 0
	for _, id := range payerIDs {
		q, err := p.cfg.Billing.PrepareStatusInquiry(ctx, billing.StatusInquiryParams{ClinicID: a.ClinicID, PayerID: id, ClaimIDs: a.ClaimIDs})
		if err != nil {
			return fmt.Errorf("payer %d: %w", id, err)
		}
		if q == nil {
			continue
		}
		files++
		claims += len(q.ClaimIDs)
		if err := p.uploadInquiry(ctx, a.ClinicID, id, q); err != nil {
			// The 276 stays pending: the payer's submission job uploads it.
			p.log.Warn("claim status inquiry not uploaded", "clinic", a.ClinicID, "payer", id, "interchange", q.Interchange.ID, "err", err)
			if _, ierr := st.InsertJob(ctx, SubmitPayerBatchArgs{ClinicID: a.ClinicID, PayerID: id}, nil); ierr != nil {
				return fmt.Errorf("payer %d: %w", id, ierr)
			}
		}
	}
	p.log.Info("claim status run", "clinic", a.ClinicID, "payers", len(payerIDs), "files", files, "claims", claims,
		"duration", p.cfg.Now().Sub(start))
	return nil
}

// uploadInquiry uploads a recorded 276 and marks it transferred (or
// failed, for the submission job to retry).
func (p *Pipeline) uploadInquiry(ctx context.Context, clinicID, payerID int64, q *billing.StatusInquiry) error {
	payer, err := p.cfg.Store.GetPayer(ctx, store.Ref{ClinicID: clinicID, ID: payerID})
	if err != nil {
		return err
	}
	client, err := p.client(payer.PayerID)
	if err != nil {
		return err
	}
	ic := q.Interchange
	up, err := p.uploadInterchange(ctx, client, payer.PayerID, ic)
	if err != nil {
		if _, merr := p.cfg.Billing.MarkTransferFailed(ctx, clinicID, ic.ID, err); merr != nil {
			err = errors.Join(err, merr)
		}
		return err
	}
	if _, err := p.cfg.Billing.MarkTransferred(ctx, clinicID, ic.ID, up.RemotePath); err != nil {
		return err
	}
	p.log.Info("interchange uploaded", "clinic", clinicID, "payer", payer.PayerID, "interchange", ic.ID,
		"control", ic.ControlNumber, "set", ic.TransactionSet, "claims", len(q.ClaimIDs), "path", up.RemotePath)
	return nil
}
