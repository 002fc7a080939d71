-- Clearhouse schema, version 1 (SQLite).
-- Every clinic-owned table carries clinic_id; references between them are
-- composite (clinic_id, id) so a row can only point at rows of its own
-- clinic, and every query of the store filters by clinic_id. Timestamps are
-- TEXT in UTC with microseconds (fixed width, so text order is time order);
-- dates are TEXT YYYY-MM-DD.

CREATE TABLE clinics (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    npi          TEXT NOT NULL DEFAULT '',
    tax_id       TEXT NOT NULL DEFAULT '',
    submitter_id TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE providers (
    id                INTEGER PRIMARY KEY,
    clinic_id         INTEGER NOT NULL REFERENCES clinics (id),
    npi               TEXT NOT NULL,
    first_name        TEXT NOT NULL DEFAULT '',
    last_name         TEXT NOT NULL DEFAULT '',
    organization_name TEXT NOT NULL DEFAULT '',
    taxonomy_code     TEXT NOT NULL DEFAULT '',
    active            INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (clinic_id, id)
);

CREATE TABLE payers (
    id                INTEGER PRIMARY KEY,
    clinic_id         INTEGER NOT NULL REFERENCES clinics (id),
    payer_id          TEXT NOT NULL,
    name              TEXT NOT NULL,
    receiver_id       TEXT NOT NULL DEFAULT '',
    claim_filing_code TEXT NOT NULL DEFAULT '',
    active            INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, payer_id)
);

CREATE TABLE patients (
    id            INTEGER PRIMARY KEY,
    clinic_id     INTEGER NOT NULL REFERENCES clinics (id),
    mrn           TEXT NOT NULL,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    birth_date    TEXT,
    sex           TEXT NOT NULL DEFAULT '',
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    city          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT '',
    postal_code   TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, mrn)
);
CREATE INDEX patients_name ON patients (clinic_id, lower(last_name), lower(first_name));

CREATE TABLE coverages (
    id                     INTEGER PRIMARY KEY,
    clinic_id              INTEGER NOT NULL REFERENCES clinics (id),
    patient_id             INTEGER NOT NULL,
    payer_id               INTEGER NOT NULL,
    member_id              TEXT NOT NULL,
    group_number           TEXT NOT NULL DEFAULT '',
    priority               INTEGER NOT NULL DEFAULT 1,
    relationship_code      TEXT NOT NULL DEFAULT '',
    subscriber_first       TEXT NOT NULL DEFAULT '',
    subscriber_last        TEXT NOT NULL DEFAULT '',
    subscriber_birth       TEXT,
    effective_from         TEXT,
    effective_to           TEXT,
    eligibility_status     TEXT NOT NULL DEFAULT 'unknown',
    eligibility_checked_at TEXT,
    benefits               TEXT NOT NULL DEFAULT '{}',
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id)
);
CREATE INDEX coverages_patient ON coverages (clinic_id, patient_id);

CREATE TABLE appointments (
    id          INTEGER PRIMARY KEY,
    clinic_id   INTEGER NOT NULL REFERENCES clinics (id),
    patient_id  INTEGER NOT NULL,
    provider_id INTEGER NOT NULL,
    coverage_id INTEGER,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, provider_id) REFERENCES providers (clinic_id, id),
    FOREIGN KEY (clinic_id, coverage_id) REFERENCES coverages (clinic_id, id)
);
CREATE INDEX appointments_starts ON appointments (clinic_id, starts_at);

CREATE TABLE encounters (
    id               INTEGER PRIMARY KEY,
    clinic_id        INTEGER NOT NULL REFERENCES clinics (id),
    patient_id       INTEGER NOT NULL,
    provider_id      INTEGER NOT NULL,
    appointment_id   INTEGER,
    coverage_id      INTEGER,
    service_date     TEXT NOT NULL,
    place_of_service TEXT NOT NULL DEFAULT '',
    diagnosis_codes  TEXT NOT NULL DEFAULT '[]',
    status           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, provider_id) REFERENCES providers (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id),
    FOREIGN KEY (clinic_id, coverage_id) REFERENCES coverages (clinic_id, id)
);
CREATE INDEX encounters_patient ON encounters (clinic_id, patient_id);

CREATE TABLE interchanges (
    id                       INTEGER PRIMARY KEY,
    clinic_id                INTEGER NOT NULL REFERENCES clinics (id),
    payer_id                 INTEGER,
    sender_id                TEXT NOT NULL,
    receiver_id              TEXT NOT NULL,
    control_number           INTEGER NOT NULL,
    group_control_number     INTEGER NOT NULL DEFAULT 0,
    first_set_control_number INTEGER NOT NULL DEFAULT 0,
    set_count                INTEGER NOT NULL DEFAULT 0,
    transaction_set          TEXT NOT NULL DEFAULT '',
    claim_count              INTEGER NOT NULL DEFAULT 0,
    file_name                TEXT NOT NULL DEFAULT '',
    checksum                 TEXT NOT NULL,
    size_bytes               INTEGER NOT NULL,
    content                  BLOB NOT NULL,
    status                   TEXT NOT NULL,
    transfer_attempts        INTEGER NOT NULL DEFAULT 0,
    last_error               TEXT NOT NULL DEFAULT '',
    remote_path              TEXT NOT NULL DEFAULT '',
    uploaded_at              TEXT,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id)
);
CREATE INDEX interchanges_isa ON interchanges (clinic_id, sender_id, receiver_id, control_number);
CREATE INDEX interchanges_gs ON interchanges (clinic_id, sender_id, receiver_id, group_control_number);
CREATE INDEX interchanges_status ON interchanges (clinic_id, status);

CREATE TABLE claims (
    id                         INTEGER PRIMARY KEY,
    clinic_id                  INTEGER NOT NULL REFERENCES clinics (id),
    payer_id                   INTEGER NOT NULL,
    patient_id                 INTEGER NOT NULL,
    encounter_id               INTEGER,
    patient_control_number     TEXT NOT NULL,
    kind                       TEXT NOT NULL,
    status                     TEXT NOT NULL,
    initial_status             TEXT NOT NULL,
    created_by                 TEXT NOT NULL DEFAULT '',
    frequency_code             TEXT NOT NULL,
    original_claim_id          INTEGER,
    payer_claim_control_number TEXT NOT NULL DEFAULT '',
    total_charge_cents         INTEGER NOT NULL,
    service_date_from          TEXT,
    service_date_to            TEXT,
    interchange_id             INTEGER,
    document                   TEXT NOT NULL,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, patient_control_number),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, encounter_id) REFERENCES encounters (clinic_id, id),
    FOREIGN KEY (clinic_id, original_claim_id) REFERENCES claims (clinic_id, id),
    FOREIGN KEY (clinic_id, interchange_id) REFERENCES interchanges (clinic_id, id)
);
CREATE INDEX claims_status ON claims (clinic_id, status, payer_id);
CREATE INDEX claims_payer ON claims (clinic_id, payer_id);
CREATE INDEX claims_icn ON claims (clinic_id, payer_claim_control_number);

-- Status changes after creation; a claim's creation (initial_status,
-- created_by, created_at) is on the claim itself, which keeps bulk loads to
-- one row per claim.
CREATE TABLE claim_status_history (
    id          INTEGER PRIMARY KEY,
    clinic_id   INTEGER NOT NULL REFERENCES clinics (id),
    claim_id    INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id)
);
CREATE INDEX claim_status_history_claim ON claim_status_history (clinic_id, claim_id);

CREATE TABLE charges (
    id                 INTEGER PRIMARY KEY,
    clinic_id          INTEGER NOT NULL REFERENCES clinics (id),
    encounter_id       INTEGER NOT NULL,
    line_number        INTEGER NOT NULL,
    procedure_code     TEXT NOT NULL,
    modifiers          TEXT NOT NULL DEFAULT '[]',
    diagnosis_pointers TEXT NOT NULL DEFAULT '[]',
    units_milli        INTEGER NOT NULL,
    charge_cents       INTEGER NOT NULL,
    service_date       TEXT,
    place_of_service   TEXT NOT NULL DEFAULT '',
    claim_id           INTEGER,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, encounter_id) REFERENCES encounters (clinic_id, id),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id)
);
CREATE INDEX charges_encounter ON charges (clinic_id, encounter_id);
CREATE INDEX charges_claim ON charges (clinic_id, claim_id);

-- Control numbers are per sender and receiver, shared by every clinic that
-- submits under the same ISA06, so this table is not clinic-owned.
CREATE TABLE control_numbers (
    sender_id       TEXT NOT NULL,
    receiver_id     TEXT NOT NULL,
    interchange     INTEGER NOT NULL,
    group_number    INTEGER NOT NULL,
    transaction_set INTEGER NOT NULL,
    PRIMARY KEY (sender_id, receiver_id)
);

CREATE TABLE inbound_files (
    id                INTEGER PRIMARY KEY,
    clinic_id         INTEGER NOT NULL REFERENCES clinics (id),
    checksum          TEXT NOT NULL,
    file_name         TEXT NOT NULL DEFAULT '',
    source            TEXT NOT NULL DEFAULT '',
    size_bytes        INTEGER NOT NULL,
    file_type         TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL,
    quarantine_reason TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    content           BLOB NOT NULL,
    received_at       TEXT NOT NULL,
    processed_at      TEXT,
    updated_at        TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, checksum)
);
CREATE INDEX inbound_files_state ON inbound_files (clinic_id, state);

CREATE TABLE acknowledgments (
    id              INTEGER PRIMARY KEY,
    clinic_id       INTEGER NOT NULL REFERENCES clinics (id),
    inbound_file_id INTEGER,
    interchange_id  INTEGER,
    claim_id        INTEGER,
    kind            TEXT NOT NULL,
    control_number  TEXT NOT NULL DEFAULT '',
    code            TEXT NOT NULL DEFAULT '',
    accepted        INTEGER NOT NULL,
    details         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    FOREIGN KEY (clinic_id, inbound_file_id) REFERENCES inbound_files (clinic_id, id),
    FOREIGN KEY (clinic_id, interchange_id) REFERENCES interchanges (clinic_id, id),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id)
);
CREATE INDEX acknowledgments_interchange ON acknowledgments (clinic_id, interchange_id);
CREATE INDEX acknowledgments_claim ON acknowledgments (clinic_id, claim_id);

CREATE TABLE remittances (
    id               INTEGER PRIMARY KEY,
    clinic_id        INTEGER NOT NULL REFERENCES clinics (id),
    inbound_file_id  INTEGER,
    payer_id         INTEGER,
    payer_identifier TEXT NOT NULL,
    trace_number     TEXT NOT NULL,
    payment_method   TEXT NOT NULL DEFAULT '',
    payment_cents    INTEGER NOT NULL,
    payment_date     TEXT,
    file_checksum    TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, payer_identifier, trace_number),
    FOREIGN KEY (clinic_id, inbound_file_id) REFERENCES inbound_files (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id)
);

CREATE TABLE claim_payments (
    id                           INTEGER PRIMARY KEY,
    clinic_id                    INTEGER NOT NULL REFERENCES clinics (id),
    remittance_id                INTEGER NOT NULL,
    claim_id                     INTEGER,
    patient_control_number       TEXT NOT NULL,
    status_code                  TEXT NOT NULL,
    charge_cents                 INTEGER NOT NULL,
    paid_cents                   INTEGER NOT NULL,
    patient_responsibility_cents INTEGER NOT NULL,
    payer_claim_control_number   TEXT NOT NULL DEFAULT '',
    document                     TEXT NOT NULL,
    created_at                   TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    FOREIGN KEY (clinic_id, remittance_id) REFERENCES remittances (clinic_id, id),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id)
);
CREATE INDEX claim_payments_remittance ON claim_payments (clinic_id, remittance_id);
CREATE INDEX claim_payments_claim ON claim_payments (clinic_id, claim_id);

CREATE TABLE claim_adjustments (
    id               INTEGER PRIMARY KEY,
    clinic_id        INTEGER NOT NULL REFERENCES clinics (id),
    claim_payment_id INTEGER NOT NULL,
    service_line     INTEGER NOT NULL,
    group_code       TEXT NOT NULL,
    reason_code      TEXT NOT NULL,
    amount_cents     INTEGER NOT NULL,
    quantity_milli   INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (clinic_id, claim_payment_id) REFERENCES claim_payments (clinic_id, id)
);
CREATE INDEX claim_adjustments_payment ON claim_adjustments (clinic_id, claim_payment_id);

CREATE TABLE ledger_transactions (
    id              INTEGER PRIMARY KEY,
    clinic_id       INTEGER NOT NULL REFERENCES clinics (id),
    idempotency_key TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    effective_date  TEXT NOT NULL,
    posted_at       TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, idempotency_key)
);

CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY,
    clinic_id      INTEGER NOT NULL REFERENCES clinics (id),
    transaction_id INTEGER NOT NULL,
    account        TEXT NOT NULL,
    amount_cents   INTEGER NOT NULL,
    claim_id       INTEGER,
    patient_id     INTEGER,
    remittance_id  INTEGER,
    effective_date TEXT NOT NULL,
    posted_at      TEXT NOT NULL,
    FOREIGN KEY (clinic_id, transaction_id) REFERENCES ledger_transactions (clinic_id, id),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, remittance_id) REFERENCES remittances (clinic_id, id)
);
CREATE INDEX ledger_entries_account ON ledger_entries (clinic_id, account);
CREATE INDEX ledger_entries_claim ON ledger_entries (clinic_id, claim_id);
CREATE INDEX ledger_entries_patient ON ledger_entries (clinic_id, patient_id);

CREATE TABLE worklist_items (
    id             INTEGER PRIMARY KEY,
    clinic_id      INTEGER NOT NULL REFERENCES clinics (id),
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    priority       INTEGER NOT NULL DEFAULT 0,
    claim_id       INTEGER,
    patient_id     INTEGER,
    payer_id       INTEGER,
    appointment_id INTEGER,
    assignee       TEXT NOT NULL DEFAULT '',
    amount_cents   INTEGER NOT NULL DEFAULT 0,
    title          TEXT NOT NULL DEFAULT '',
    details        TEXT NOT NULL,
    dedupe_key     TEXT,
    due_at         TEXT,
    resolution     TEXT NOT NULL DEFAULT '',
    resolved_at    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (clinic_id, id),
    UNIQUE (clinic_id, dedupe_key),
    FOREIGN KEY (clinic_id, claim_id) REFERENCES claims (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, payer_id) REFERENCES payers (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id)
);
CREATE INDEX worklist_items_status ON worklist_items (clinic_id, status, kind);

-- The audit log: append-only, one hash chain per clinic; audit_heads keeps
-- each chain's end.
CREATE TABLE audit_events (
    clinic_id   INTEGER NOT NULL REFERENCES clinics (id),
    seq         INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL DEFAULT '',
    entity_id   TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (clinic_id, seq)
);

CREATE TABLE audit_heads (
    clinic_id INTEGER PRIMARY KEY REFERENCES clinics (id),
    last_seq  INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);

-- Append-only: the store never updates or deletes audit rows.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
