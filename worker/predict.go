package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/predict"
)

// TrainModelsAllArgs is the nightly retraining of every clinic's models:
// it inserts one TrainModelsArgs per clinic.
type TrainModelsAllArgs struct{}

// Kind implements river.JobArgs.
func (TrainModelsAllArgs) Kind() string { return "train_models_all" }

// InsertOpts makes the fan-out unique while it waits or runs.
func (TrainModelsAllArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

// TrainModelsArgs retrains one clinic's no-show and denial models on its
// history and stores a new version of each (package predict), then puts
// the unconfirmed high-risk appointments of the next two days on the
// worklist (scheduling.FlagUnconfirmed). A clinic without enough history
// yet keeps the versions it has.
type TrainModelsArgs struct {
	ClinicID int64 `json:"clinic_id"`
}

// Kind implements river.JobArgs.
func (TrainModelsArgs) Kind() string { return "train_models" }

// InsertOpts makes the run unique per clinic while it waits or runs.
func (TrainModelsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: uniqueWhileActive()}
}

type trainModelsAllWorker struct {
	river.WorkerDefaults[TrainModelsAllArgs]
	p *Pipeline
}

func (w *trainModelsAllWorker) Work(ctx context.Context, job *river.Job[TrainModelsAllArgs]) error {
	return instrument(w.p, ctx, job, func(ctx context.Context, _ TrainModelsAllArgs) error {
		cs, err := w.p.cfg.Store.ListClinics(ctx)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if _, err := w.p.cfg.Store.InsertJob(ctx, TrainModelsArgs{ClinicID: c.ID}, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

type trainModelsWorker struct {
	river.WorkerDefaults[TrainModelsArgs]
	p *Pipeline
}

func (w *trainModelsWorker) Work(ctx context.Context, job *river.Job[TrainModelsArgs]) error {
	return instrument(w.p, ctx, job, func(ctx context.Context, a TrainModelsArgs) error {
		return w.p.TrainModels(ctx, a.ClinicID)
	})
}

// TrainModels retrains a clinic's models now (what the nightly job does).
func (p *Pipeline) TrainModels(ctx context.Context, clinicID int64) error {
	o := predict.TrainOptions{Now: p.cfg.Now(), Location: p.cfg.Location}
	var errs []error
	if t, err := predict.TrainNoShow(ctx, p.cfg.Store, clinicID, o); err == nil {
		p.log.InfoContext(ctx, "no-show model trained", "clinic", clinicID, "version", t.Row.Version, "auc", t.Evaluation.AUC)
	} else if !errors.Is(err, predict.ErrNoData) {
		errs = append(errs, fmt.Errorf("no-show model: %w", err))
	}
	var baseline func(*claim.Claim, string) float64
	if p.cfg.Scrubber != nil {
		baseline = predict.ScrubBaseline(p.cfg.Scrubber)
	}
	if t, err := predict.TrainDenialWithBaseline(ctx, p.cfg.Store, clinicID, o, baseline); err == nil {
		p.log.InfoContext(ctx, "denial model trained", "clinic", clinicID, "version", t.Row.Version, "auc", t.Evaluation.AUC)
	} else if !errors.Is(err, predict.ErrNoData) {
		errs = append(errs, fmt.Errorf("denial model: %w", err))
	}
	if p.cfg.Scheduling != nil {
		n, err := p.cfg.Scheduling.FlagUnconfirmed(ctx, clinicID, p.cfg.Now(), 0)
		if err != nil {
			errs = append(errs, fmt.Errorf("unconfirmed appointments: %w", err))
		} else if n > 0 {
			p.log.InfoContext(ctx, "unconfirmed high-risk appointments on the worklist", "clinic", clinicID, "items", n)
		}
	}
	return errors.Join(errs...)
}
