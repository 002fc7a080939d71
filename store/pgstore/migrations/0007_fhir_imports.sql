-- FHIR import: which Clearhouse row each imported FHIR resource became, so a
-- re-import of the same resource (same type, ID and version) is skipped and
-- a newer version updates the row it made instead of adding another.
CREATE TABLE fhir_imports (
    clinic_id     bigint NOT NULL REFERENCES clinics (id),
    resource_type text   NOT NULL,
    resource_id   text   NOT NULL,
    -- version_id is meta.versionId; '' when the resource carries none.
    version_id    text   NOT NULL,
    -- entity_type names the Clearhouse table ("patient", "coverage",
    -- "provider", "appointment", "encounter", "charge", ...); entity_id its
    -- row, 0 for a resource that only informs others (Condition, Location).
    entity_type   text   NOT NULL,
    entity_id     bigint NOT NULL,
    imported_at   timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, resource_type, resource_id)
);

CREATE INDEX fhir_imports_entity ON fhir_imports (clinic_id, entity_type, entity_id);

ALTER TABLE fhir_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE fhir_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON fhir_imports USING (clinic_id = clearhouse_clinic_id()) WITH CHECK (clinic_id = clearhouse_clinic_id());
