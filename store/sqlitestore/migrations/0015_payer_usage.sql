-- ISA15 per clinic and payer: the usage indicator (T test, P production)
-- a clinic's interchanges to a payer carry, set by an operator's cutover
-- (clearhouse payers cutover). A payer without a row here uses its payer
-- file's usage. checked_at is when the connectivity check that allowed the
-- cutover to production passed.
CREATE TABLE payer_usage (
    clinic_id       INTEGER NOT NULL REFERENCES clinics (id),
    payer_id        INTEGER NOT NULL,
    usage_indicator TEXT NOT NULL CHECK (usage_indicator IN ('T', 'P')),
    checked_at      TEXT,
    changed_at      TEXT NOT NULL,
    changed_by      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (clinic_id, payer_id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id)
);
