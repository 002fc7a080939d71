package query

import (
	"context"
	"fmt"

	"github.com/clearhouse/clearhouse/store"
)

const fhirImportCols = `clinic_id, resource_type, resource_id, version_id, entity_type, entity_id, imported_at`

func scanFHIRImport(r Row) (store.FHIRImport, error) {
	var f store.FHIRImport
	err := r.Scan(&f.ClinicID, &f.ResourceType, &f.ResourceID, &f.VersionID, &f.EntityType, &f.EntityID, TS(&f.ImportedAt))
	return f, err
}

func (q *Queries) GetFHIRImport(ctx context.Context, p store.GetFHIRImportParams) (store.FHIRImport, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.FHIRImport{}, err
	}
	f, err := scanFHIRImport(q.c.QueryRow(ctx, "SELECT "+fhirImportCols+` FROM fhir_imports
		WHERE clinic_id = $1 AND resource_type = $2 AND resource_id = $3`, cid, p.ResourceType, p.ResourceID))
	if err != nil {
		return store.FHIRImport{}, fmt.Errorf("FHIR import %s/%s: %w", p.ResourceType, p.ResourceID, err)
	}
	return f, nil
}

func (q *Queries) RecordFHIRImport(ctx context.Context, p store.RecordFHIRImportParams) (store.FHIRImport, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return store.FHIRImport{}, err
	}
	for _, f := range [][2]string{{"ResourceType", p.ResourceType}, {"ResourceID", p.ResourceID}, {"EntityType", p.EntityType}} {
		if f[1] == "" {
			return store.FHIRImport{}, &store.FieldError{Field: f[0] + " (required)", Err: store.ErrInvalid}
		}
	}
	return scanFHIRImport(q.c.QueryRow(ctx, `INSERT INTO fhir_imports (`+fhirImportCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (clinic_id, resource_type, resource_id) DO UPDATE SET
			version_id = excluded.version_id, entity_type = excluded.entity_type,
			entity_id = excluded.entity_id, imported_at = excluded.imported_at
		RETURNING `+fhirImportCols, cid, p.ResourceType, p.ResourceID, p.VersionID, p.EntityType, p.EntityID, q.Now()))
}

func (q *Queries) ListFHIRImports(ctx context.Context, p store.ListFHIRImportsParams) ([]store.FHIRImport, error) {
	cid, err := q.check(p.ClinicID)
	if err != nil {
		return nil, err
	}
	var b builder
	b.add("SELECT " + fhirImportCols + " FROM fhir_imports")
	b.cond("clinic_id = ?", cid)
	if p.ResourceType != "" {
		b.cond("resource_type = ?", p.ResourceType)
	}
	if p.EntityType != "" {
		b.cond("entity_type = ?", p.EntityType)
	}
	if p.EntityID != 0 {
		b.cond("entity_id = ?", p.EntityID)
	}
	b.add(" ORDER BY resource_type, resource_id")
	rows, err := q.c.Query(ctx, b.String(), b.args...)
	return collect(rows, err, scanFHIRImport)
}
