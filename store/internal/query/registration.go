package query

import (
	"context"
	"fmt"

	"github.com/clearhouse/clearhouse/store"
)

// patientTables are the tables whose rows name a patient, in the order a
// merge moves them.
var patientTables = []string{"coverages", "appointments", "encounters", "claims", "ledger_entries", "worklist_items"}

func (q *Queries) MergePatients(ctx context.Context, p store.MergePatientsParams) (store.PatientMerge, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.PatientMerge{}, err
	}
	if p.From == 0 || p.Into == 0 || p.From == p.Into {
		return store.PatientMerge{}, &store.FieldError{Field: fmt.Sprintf("From, Into (%d into %d: want two different patients)", p.From, p.Into), Err: store.ErrInvalid}
	}
	from, err := q.GetPatient(ctx, store.Ref{ClinicID: cid, ID: p.From})
	if err != nil {
		return store.PatientMerge{}, err
	}
	into, err := q.GetPatient(ctx, store.Ref{ClinicID: cid, ID: p.Into})
	if err != nil {
		return store.PatientMerge{}, err
	}
	if from.MergedInto != nil {
		return store.PatientMerge{}, fmt.Errorf("patient %d was already merged into patient %d: %w", from.ID, *from.MergedInto, store.ErrConflict)
	}
	if into.MergedInto != nil {
		return store.PatientMerge{}, fmt.Errorf("patient %d was merged into patient %d; merge into that one: %w", into.ID, *into.MergedInto, store.ErrConflict)
	}
	now := q.Now()
	m := store.PatientMerge{Into: into, Moved: make(map[string]int64, len(patientTables))}
	for _, t := range patientTables {
		n, err := q.c.Exec(ctx, "UPDATE "+t+" SET patient_id = $3 WHERE clinic_id = $1 AND patient_id = $2", cid, from.ID, into.ID)
		if err != nil {
			return store.PatientMerge{}, fmt.Errorf("merge patient %d into %d: %s: %w", from.ID, into.ID, t, err)
		}
		m.Moved[t] = n
	}
	m.From, err = q.scanPatient(q.c.QueryRow(ctx, `UPDATE patients SET merged_into = $3, updated_at = $4
		WHERE clinic_id = $1 AND id = $2 RETURNING `+patientCols, cid, from.ID, into.ID, now))
	if err != nil {
		return store.PatientMerge{}, wrap("patient", from.ID, err)
	}
	return m, nil
}
