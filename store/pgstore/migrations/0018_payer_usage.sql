-- ISA15 per clinic and payer: the usage indicator (T test, P production)
-- a clinic's interchanges to a payer carry, set by an operator's cutover
-- (clearhouse payers cutover). A payer without a row here uses its payer
-- file's usage. checked_at is when the connectivity check that allowed the
-- cutover to production passed.
CREATE TABLE payer_usage (
    clinic_id       bigint NOT NULL REFERENCES clinics (id),
    payer_id        bigint NOT NULL,
    usage_indicator text NOT NULL CHECK (usage_indicator IN ('T', 'P')),
    checked_at      timestamptz,
    changed_at      timestamptz NOT NULL,
    changed_by      text NOT NULL DEFAULT '',
    PRIMARY KEY (clinic_id, payer_id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id)
);
ALTER TABLE payer_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE payer_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY clinic_isolation ON payer_usage USING (clinic_id = clearhouse_clinic_id() AND (SELECT clearhouse_clinic_allowed()))
    WITH CHECK (clinic_id = clearhouse_clinic_id() AND (SELECT clearhouse_clinic_allowed()));
