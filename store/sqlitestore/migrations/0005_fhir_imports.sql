-- FHIR import: which Clearhouse row each imported FHIR resource became (see
-- the PostgreSQL migration 0006_fhir_imports).
CREATE TABLE fhir_imports (
    clinic_id     INTEGER NOT NULL REFERENCES clinics (id),
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    version_id    TEXT NOT NULL,
    entity_type   TEXT NOT NULL,
    entity_id     INTEGER NOT NULL,
    imported_at   TEXT NOT NULL,
    PRIMARY KEY (clinic_id, resource_type, resource_id)
);

CREATE INDEX fhir_imports_entity ON fhir_imports (clinic_id, entity_type, entity_id);
