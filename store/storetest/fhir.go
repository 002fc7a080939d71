package storetest

import (
	"context"
	"testing"

	"github.com/clearhouse/clearhouse/store"
)

// testFHIRImports records imported FHIR resources: a re-record replaces the
// version and row, lookups are per clinic, and lists filter.
func testFHIRImports(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID

	_, err := s.GetFHIRImport(ctx, store.GetFHIRImportParams{ClinicID: cid, ResourceType: "Patient", ResourceID: "p1"})
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RecordFHIRImport(ctx, store.RecordFHIRImportParams{ClinicID: cid, ResourceType: "Patient", ResourceID: ""})
	wantErr(t, err, store.ErrInvalid)

	r, err := s.RecordFHIRImport(ctx, store.RecordFHIRImportParams{ClinicID: cid, ResourceType: "Patient", ResourceID: "p1",
		VersionID: "1", EntityType: "patient", EntityID: 7})
	must(t, err)
	eq(t, "recorded version", r.VersionID, "1")
	r, err = s.RecordFHIRImport(ctx, store.RecordFHIRImportParams{ClinicID: cid, ResourceType: "Patient", ResourceID: "p1",
		VersionID: "2", EntityType: "patient", EntityID: 7})
	must(t, err)
	eq(t, "re-recorded version", r.VersionID, "2")
	_, err = s.RecordFHIRImport(ctx, store.RecordFHIRImportParams{ClinicID: cid, ResourceType: "Coverage", ResourceID: "c1",
		EntityType: "coverage", EntityID: 3})
	must(t, err)

	got, err := s.GetFHIRImport(ctx, store.GetFHIRImportParams{ClinicID: cid, ResourceType: "Patient", ResourceID: "p1"})
	must(t, err)
	eq(t, "stored", [3]any{got.VersionID, got.EntityType, got.EntityID}, [3]any{"2", "patient", int64(7)})

	all, err := s.ListFHIRImports(ctx, store.ListFHIRImportsParams{ClinicID: cid})
	must(t, err)
	eq(t, "listed", len(all), 2)
	pts, err := s.ListFHIRImports(ctx, store.ListFHIRImportsParams{ClinicID: cid, EntityType: "patient", EntityID: 7})
	must(t, err)
	eq(t, "listed patient", len(pts), 1)

	// Another clinic sees none of them.
	other := newFixture(t, h)
	_, err = other.s.GetFHIRImport(ctx, store.GetFHIRImportParams{ClinicID: other.clinic.ID, ResourceType: "Patient", ResourceID: "p1"})
	wantErr(t, err, store.ErrNotFound)
}
